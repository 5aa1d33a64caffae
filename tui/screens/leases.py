"""Mode 2 — every lease with a live expiry countdown; renew or release from here."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from core.models.leases import Lease
from styles import STYLES
from tui.formatting import bar, countdown
from tui.screens.base import ModeScreen
from tui.screens.dialogs import ConfirmDialog
from tui.widgets.fast_table import Column, FastTable

SOON_SECONDS = 5 * 60


class LeasesScreen(ModeScreen[list[Lease]]):
    MODE = "leases"
    TITLE = "Leases"
    # Loaded with the screen, when the mode first opens, not at start-up.
    CSS_PATH = STYLES / "leases.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "renew", "Renew", id="leases.renew"),
        Binding("x", "release", "Release", id="leases.release"),
        Binding("o", "open_change", "Open change", id="leases.open"),
        Binding("slash", "filter", "Filter", id="leases.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="leases.clear_filter"),
    ]
    MUTATING_ACTIONS = frozenset({"renew", "release"})
    AUTO_FOCUS = "#leases-table"

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Vertical(id="leases-body"):
            yield Static("", id="leases-summary")
            yield Input(
                placeholder="filter leases: change or holder", id="leases-filter", classes="filter"
            )
            yield FastTable(
                self._columns(),
                row_key=lambda lease: lease.change_id,
                haystack=lambda lease: f"{lease.change_id} {lease.holder}",
                empty_message="No leases: nobody holds a change right now.",
                id="leases-table",
            )
        yield from self.compose_footer()

    def on_mount(self) -> None:
        # ModeScreen.on_mount runs too: Textual calls every class's handler.
        self.set_interval(1.0, self._tick)

    @property
    def table(self) -> FastTable[Lease]:
        return self.query_one("#leases-table", FastTable)

    def _columns(self) -> list[Column[Lease]]:
        return [
            Column(
                "change", "CHANGE", self._change_cell, ratio=3, sort_key=lambda le: le.change_id
            ),
            Column("holder", "HOLDER", self._holder_cell, ratio=2, sort_key=lambda le: le.holder),
            Column(
                "left",
                "EXPIRES IN",
                self._left_cell,
                width=11,
                align="right",
                sort_key=lambda le: le.expires_at,
            ),
            Column("bar", "TIME LEFT", self._bar_cell, width=18),
            Column("at", "EXPIRES AT", self._at_cell, width=10, sort_key=lambda le: le.expires_at),
        ]

    # Cells (rendered only for visible rows, every second for the countdown).

    def _seconds_left(self, lease: Lease) -> float:
        return lease.seconds_left(self.now())

    def _urgency_style(self, lease: Lease) -> str:
        left = self._seconds_left(lease)
        if left <= 0:
            return f"bold {self.palette.error}"
        if left <= SOON_SECONDS:
            return f"bold {self.palette.warning}"
        return ""

    def _change_cell(self, lease: Lease) -> Text:
        return Text(lease.change_id, style=self._urgency_style(lease))

    def _holder_cell(self, lease: Lease) -> Text:
        if lease.holder == self.service.holder:
            return Text.assemble((lease.holder, ""), ("  you", f"bold {self.palette.accent}"))
        return Text(lease.holder)

    def _left_cell(self, lease: Lease) -> Text:
        left = self._seconds_left(lease)
        label = "expired" if left <= 0 else countdown(left)
        return Text(label, style=self._urgency_style(lease) or self.palette.success)

    def _bar_cell(self, lease: Lease) -> Text:
        left = self._seconds_left(lease)
        full = max(self.service.lease_ttl_seconds, left)
        colour = (
            self.palette.error
            if left <= 0
            else (self.palette.warning if left <= SOON_SECONDS else self.palette.success)
        )
        return Text(bar(left / full if full else 0, 16), style=colour)

    def _at_cell(self, lease: Lease) -> Text:
        local: datetime = lease.expires_at.astimezone()
        return Text(local.strftime("%H:%M:%S"), style="dim")

    # Data.

    def load(self) -> list[Lease]:
        return self.service.list_leases(include_expired=True)

    def show(self, data: list[Lease]) -> None:
        self.table.set_rows(data)
        self._summarise()

    def _tick(self) -> None:
        if self.data is not None and self.is_current:
            self.table.refresh_cells()
            self._summarise()

    def _summarise(self) -> None:
        leases = self.data or []
        now = self.now()
        mine = sum(1 for lease in leases if lease.holder == self.service.holder)
        expired = sum(1 for lease in leases if lease.seconds_left(now) <= 0)
        soon = sum(1 for lease in leases if 0 < lease.seconds_left(now) <= SOON_SECONDS)
        active = len(leases) - expired
        summary = Text.assemble(
            (f"{active:,} active", "bold"),
            f" · {mine:,} yours",
            (f" · {soon:,} expiring within 5 min", f"bold {self.palette.warning}") if soon else "",
            (f" · {expired:,} expired, not released", f"bold {self.palette.error}")
            if expired
            else "",
        )
        self.query_one("#leases-summary", Static).update(summary)

    def select_entity(self, key: str) -> None:
        self.table.move_cursor_to_key(key)
        self.table.focus()

    # Actions.

    def action_renew(self) -> None:
        lease = self.table.cursor_row
        if lease is None:
            return
        if lease.holder != self.service.holder:
            self.notify(
                f"{lease.change_id} is held by {lease.holder}, not you: only the holder can renew.",
                severity="warning",
            )
            return
        self.perform(
            lambda: self.service.renew(lease.change_id),
            success=lambda renewed: (
                f"Renewed {renewed.change_id} for {countdown(renewed.seconds_left(self.now()))}"
            ),
        )

    def action_release(self) -> None:
        lease = self.table.cursor_row
        if lease is None:
            return
        if lease.holder == self.service.holder or lease.seconds_left(self.now()) <= 0:
            self._release(lease, force=lease.holder != self.service.holder)
            return

        def confirmed(answer: bool | None) -> None:
            if answer:
                self._release(lease, force=True)

        self.app.push_screen(
            ConfirmDialog(
                "Release someone else's lease?",
                f"{lease.change_id} is held by {lease.holder} for another "
                f"{countdown(lease.seconds_left(self.now()))}. Releasing it lets anyone claim it; "
                f"{lease.holder} will not be told.",
                confirm="Release",
                danger=True,
            ),
            confirmed,
        )

    def _release(self, lease: Lease, *, force: bool) -> None:
        self.perform(
            lambda: self.service.release(lease.change_id, force=force),
            success=lambda result: f"Released {result.change_id}",
        )

    def action_open_change(self) -> None:
        lease = self.table.cursor_row
        if lease is not None:
            self.qapp.open_entity("change", lease.change_id)

    def action_filter(self) -> None:
        box = self.query_one("#leases-filter", Input)
        box.add_class("-open")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#leases-filter", Input)
        box.value = ""
        box.remove_class("-open")
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "leases-filter":
            self.table.set_filter(event.value)
            self.table.empty_message = (
                f"No lease matches '{event.value}'."
                if event.value
                else "No leases: nobody holds a change right now."
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "leases-filter":
            self.table.focus()

    def on_fast_table_row_activated(self, event: FastTable.RowActivated) -> None:
        self.qapp.open_entity("change", event.key)
