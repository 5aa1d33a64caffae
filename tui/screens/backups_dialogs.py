"""Dialogs of the Backups screen: the receipt form and one operation's full record."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from core.models.backups import JournalOperation, OperationReceipt
from core.timeutil import from_epoch
from tui.formatting import ago
from tui.screens.dialogs import FormDialog, FormField

# Receipt fields an operator may give beyond the required one, by kind (canic keeps them).
OPTIONAL_COMPLETION_FIELDS: dict[str, list[str]] = {
    "create-snapshot": ["snapshot_taken_at_timestamp", "snapshot_total_size_bytes"],
}

COMPLETION_FIELDS: dict[str, FormField] = {
    "snapshot_id": FormField(
        "snapshot_id", "Snapshot id", placeholder="the id the subnet returned for the snapshot"
    ),
    "snapshot_taken_at_timestamp": FormField(
        "snapshot_taken_at_timestamp",
        "Snapshot taken at (unix seconds)",
        placeholder="optional, e.g. 1794909600",
        integer=True,
    ),
    "snapshot_total_size_bytes": FormField(
        "snapshot_total_size_bytes",
        "Snapshot size (bytes)",
        placeholder="optional, e.g. 48213004",
        integer=True,
    ),
    "artifact_path": FormField(
        "artifact_path", "Artifact path", placeholder="where the downloaded snapshot was written"
    ),
    "checksum": FormField("checksum", "Checksum", placeholder="e.g. sha256:3f1c…"),
}

INTEGER_FIELDS = frozenset(key for key, field in COMPLETION_FIELDS.items() if field.integer)


def completion_form_fields(kind: str, required: list[str]) -> list[FormField]:
    """The form for a completed receipt: exactly the required fields, then the optional ones."""
    fields = [replace(COMPLETION_FIELDS[key], required=True) for key in required]
    fields += [COMPLETION_FIELDS[key] for key in OPTIONAL_COMPLETION_FIELDS.get(kind, [])]
    return fields


class ReceiptForm(FormDialog):
    """A FormDialog whose number fields must hold whole, non-negative numbers.

    The Input's integer type still lets through '-', '+' and '_' on their own; catching them
    here keeps the operator's typing instead of failing after the dialog closed. On a short
    terminal the inputs lose their borders (`-short`, styles/backups.tcss) so that all three
    snapshot fields and the buttons fit in 24 lines.
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def _submit(self) -> None:
        values = self._values()
        for field in self.fields:
            value = values[field.key]
            if field.key in INTEGER_FIELDS and value and not _is_count(value):
                self.query_one("#form-error", Static).update(
                    f"{field.label}: a whole number of 0 or more"
                )
                return
        super()._submit()


def _is_count(value: str) -> bool:
    try:
        return int(value) >= 0
    except ValueError:
        return False


def parse_count(value: str | None) -> int | None:
    return None if value is None else int(value)


def stamp_time(stamp: str | None) -> datetime | None:
    """canic's `unix:<seconds>` as a UTC time; None for anything else."""
    if not stamp or not stamp.startswith("unix:"):
        return None
    try:
        return from_epoch(int(stamp[5:]))
    except (ValueError, OverflowError, OSError):
        return None


def human_size(count: int) -> str:
    """`48.2 MB`: decimal units, as disks and the IC's storage are measured."""
    if count < 1000:
        return f"{count} B"
    size = float(count)
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size / 1000:.1f} TB"


class OperationDialog(ModalScreen[None]):
    """One operation's whole record: state, reasons and every receipt canic holds for it."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="operation.close")]

    def __init__(
        self,
        operation: JournalOperation,
        receipts: list[OperationReceipt],
        *,
        is_next: bool,
        now: datetime,
    ) -> None:
        super().__init__()
        self.operation = operation
        self.receipts = receipts
        self.is_next = is_next
        self.clock_now = now

    def compose(self) -> ComposeResult:
        operation = self.operation
        marker = "  (next)" if self.is_next else ""
        with Vertical(classes="dialog dialog-wide"):
            yield Label(
                f"#{operation.sequence} {operation.kind} · {operation.state}{marker}",
                classes="dialog-title",
            )
            with VerticalScroll(classes="dialog-scroll"):
                yield Static(self._facts(), classes="dialog-body")
                yield Label(f"Receipts ({len(self.receipts)})", classes="help-heading")
                yield Static(self._receipts(), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close [esc]", id="close", variant="primary")

    def _when(self, stamp: str | None) -> str:
        moment = stamp_time(stamp)
        if moment is None:
            return stamp or "-"
        return f"{moment.strftime('%Y-%m-%d %H:%M:%S')} UTC ({ago(moment, self.clock_now)})"

    def _facts(self) -> Table:
        operation = self.operation
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row("operation", operation.operation_id)
        table.add_row("canister", operation.target_canister_id or "-")
        table.add_row("state", str(operation.state))
        table.add_row("updated", self._when(operation.state_updated_at))
        reasons = operation.blocking_reasons
        table.add_row("reasons", "\n".join(reasons) if reasons else "-")
        return table

    def _receipts(self) -> Table | Text:
        if not self.receipts:
            return Text("None yet: a receipt is written when an outcome is recorded.", style="dim")
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for receipt in self.receipts:
            table.add_row(
                str(receipt.outcome), self._when(receipt.updated_at), _receipt_facts(receipt)
            )
        return table

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


def _receipt_facts(receipt: OperationReceipt) -> str:
    facts: list[str] = []
    if receipt.snapshot_id:
        facts.append(f"snapshot {receipt.snapshot_id}")
    if receipt.snapshot_taken_at_timestamp is not None:
        facts.append(f"taken at unix:{receipt.snapshot_taken_at_timestamp}")
    if receipt.snapshot_total_size_bytes is not None:
        facts.append(human_size(receipt.snapshot_total_size_bytes))
    if receipt.artifact_path:
        facts.append(f"artifact {receipt.artifact_path}")
    if receipt.checksum:
        facts.append(f"checksum {receipt.checksum}")
    if receipt.failure_reason:
        facts.append(receipt.failure_reason)
    if receipt.preflight_id:
        facts.append(f"preflight {receipt.preflight_id}")
    return " · ".join(facts) or "-"
