"""`?`: every binding of the current screen, the focused list, and the global ones."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

Section = tuple[str, list[tuple[str, str, bool]]]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, title: str, sections: list[Section]) -> None:
        super().__init__()
        self.title_text = title
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label(f"Keys — {self.title_text}", classes="dialog-title")
            with Horizontal(classes="help-columns"):
                for heading, rows in self.sections:
                    table = Table.grid(padding=(0, 1))
                    table.add_column(style="bold", no_wrap=True)
                    table.add_column()
                    for keys, description, enabled in rows:
                        note = Text(description)
                        if not enabled:
                            note.append(" (read-only)", style="dim")
                        table.add_row(keys, note)
                    with Vertical(classes="help-column"):
                        yield Label(heading, classes="help-heading")
                        yield Static(table)
            yield Static(
                "escape or ? closes · ctrl+p runs any action by name", classes="dialog-hint"
            )

    def action_close(self) -> None:
        self.dismiss(None)
