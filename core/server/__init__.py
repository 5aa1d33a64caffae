"""The HTTP server: ito's API (and Quarterdeck's additions) over the local backend."""

# Here rather than in settings.py: the CLI's parser names it in its help, and importing the
# settings class costs every start of `quarterdeck` (the dashboard included) ~25 ms.
CONFIG_NAME = "quarterdeck-server.toml"
