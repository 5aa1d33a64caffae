"""One module per mode screen, plus dialogs and the help screen."""
