"""Mode 4 — canic's backup folders and, for the selected one, the journal stepper.

The folder list shows every backup folder under the configured roots with its status. The
stepper shows the selected folder's operations in order with the next one marked, and binds
a key to each journal step. Every step is one locked, atomic write done by the core: a
refused step changes nothing, and the rule's own message is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.widgets import Input, Static

from core.backups.journal import required_fields, resume_summary
from core.models.backups import (
    PREFLIGHT_KINDS,
    BackupFolder,
    BackupStatus,
    CompletionFields,
    ExecutionJournal,
    JournalLockInfo,
    JournalOperation,
    OperationKind,
    OperationReceipt,
    OperationState,
    ReceiptOutcome,
    ResumeSummary,
)
from core.models.errors import BackendUnavailable, QuarterdeckError
from styles import STYLES
from tui.commands import backup_entries
from tui.formatting import ago
from tui.screens.backups_dialogs import (
    OperationDialog,
    ReceiptForm,
    completion_form_fields,
    human_size,
    parse_count,
    stamp_time,
)
from tui.screens.base import ModeScreen
from tui.screens.dialogs import ConfirmDialog, prompt
from tui.widgets.fast_table import Column, FastTable

# Below this width the folder list sits above the stepper: the operations table needs the
# whole width to show canister ids untruncated.
WIDE_FROM = 150

RESTART_BANNER = (
    "⚠ RESTART REQUIRED — canisters are stopped: finish the run or start them again "
    "before you walk away"
)

STATE_BADGES: dict[OperationState, str] = {
    OperationState.COMPLETED: "✓ completed",
    OperationState.PENDING: "▶ pending",
    OperationState.READY: "● ready",
    OperationState.BLOCKED: "■ blocked",
    OperationState.FAILED: "✗ failed",
    OperationState.SKIPPED: "– skipped",
}
# Dry runs and skipped operations fade out. Rich's dim, because the palette's muted colour
# loses its alpha and comes out as the plain foreground.
MUTED = "dim"
# The order counts are listed in: what is done, then what is in the way.
COUNT_ORDER = [
    OperationState.COMPLETED,
    OperationState.SKIPPED,
    OperationState.PENDING,
    OperationState.FAILED,
    OperationState.READY,
    OperationState.BLOCKED,
]


class OperationRow(NamedTuple):
    """One operation as the stepper lists it (built in the loading thread; a tuple, because
    a 10,000-operation journal builds 10,000 of them on every change)."""

    operation: JournalOperation
    key: str
    updated: datetime | None
    detail: str
    is_next: bool


@dataclass(frozen=True)
class Stepper:
    """The selected folder: its journal, the rows built from it, and who holds its lock."""

    folder: BackupFolder
    journal: ExecutionJournal | None = None
    summary: ResumeSummary | None = None
    status: BackupStatus | None = None
    rows: list[OperationRow] = field(default_factory=list)
    receipts: dict[int, list[OperationReceipt]] = field(default_factory=dict)
    pending: JournalOperation | None = None
    lock: JournalLockInfo | None = None
    error: str | None = None

    @property
    def next_operation(self) -> JournalOperation | None:
        return self.summary.next_operation if self.summary else None


@dataclass(frozen=True)
class BackupsView:
    folders: list[BackupFolder]
    # The folder the screen asked for, and the one shown (they differ when it vanished).
    requested: str | None
    selected: str | None
    stepper: Stepper | None


@dataclass(frozen=True)
class _BuiltRows:
    """Rows built for one journal object, reused while the core hands back the same one."""

    folder: str
    journal: ExecutionJournal
    summary: ResumeSummary
    rows: list[OperationRow]
    receipts: dict[int, list[OperationReceipt]]
    pending: JournalOperation | None


# Enum members as plain names: looking one up on its class costs more than the comparison,
# and both run once per operation.
_BLOCKED, _FAILED = OperationState.BLOCKED, OperationState.FAILED
_PENDING, _COMPLETED = OperationState.PENDING, OperationState.COMPLETED
_RECEIPT_COMPLETED = ReceiptOutcome.COMPLETED


def operation_detail(
    operation: JournalOperation, receipt: OperationReceipt | None, accepted: bool
) -> str:
    """What the DETAIL column says: why it is stuck, or what its receipt recorded."""
    state = operation.state
    if state in (_BLOCKED, _FAILED):
        return "; ".join(operation.blocking_reasons)
    if state == _PENDING:
        return "in progress — waiting for its outcome"
    if state != _COMPLETED:
        return ""
    if receipt is not None and receipt.outcome == _RECEIPT_COMPLETED:
        facts: list[str] = []
        if receipt.snapshot_id:
            facts.append(f"snapshot {receipt.snapshot_id}")
        if receipt.snapshot_total_size_bytes is not None:
            facts.append(human_size(receipt.snapshot_total_size_bytes))
        if receipt.artifact_path:
            facts.append(f"artifact {receipt.artifact_path}")
        if receipt.checksum:
            facts.append(f"checksum {receipt.checksum}")
        return " · ".join(facts)
    if accepted and operation.kind in PREFLIGHT_KINDS:
        return "preflight accepted"
    return ""


def build_rows(folder: str, journal: ExecutionJournal) -> _BuiltRows:
    """Every row of the stepper in one pass over the operations and one over the receipts."""
    summary = resume_summary(journal)
    next_sequence = summary.next_operation.sequence if summary.next_operation else None
    receipts: dict[int, list[OperationReceipt]] = {}
    for receipt in journal.operation_receipts:
        receipts.setdefault(receipt.sequence, []).append(receipt)
    rows: list[OperationRow] = []
    pending: JournalOperation | None = None
    accepted = journal.preflight_accepted
    # Steps stamp whole batches of operations with one time: parse each stamp once.
    times: dict[str | None, datetime | None] = {None: None}
    for operation in journal.operations:
        sequence = operation.sequence
        stamp = operation.state_updated_at
        updated = times[stamp] if stamp in times else times.setdefault(stamp, stamp_time(stamp))
        history = receipts.get(sequence)
        if operation.state == _PENDING and (pending is None or sequence < pending.sequence):
            pending = operation
        rows.append(
            OperationRow(
                operation,
                str(sequence),
                updated,
                operation_detail(operation, history[-1] if history else None, accepted),
                sequence == next_sequence,
            )
        )
    return _BuiltRows(folder, journal, summary, rows, receipts, pending)


class BackupsScreen(ModeScreen[BackupsView]):
    MODE = "backups"
    TITLE = "Backups"
    # Loaded with the screen, when the mode first opens, not at start-up.
    CSS_PATH = STYLES / "backups.tcss"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (WIDE_FROM, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept_preflight", "Accept", id="backups.accept_preflight"),
        Binding("s", "start_next", "Start", id="backups.start_next"),
        Binding("d", "record_completed", "Done", id="backups.record_completed"),
        Binding("f", "record_failed", "Failed", id="backups.record_failed"),
        Binding("x", "record_skipped", "Skip", id="backups.record_skipped"),
        Binding("t", "retry", "Retry", id="backups.retry"),
        # Offered only for a stale lock; on a live one `u` still answers, with the core's
        # refusal naming the holder, rather than doing nothing.
        Binding("u", "break_lock('stale')", "Break lock", id="backups.break_lock"),
        Binding("u", "break_lock('live')", "", show=False, id="backups.break_live_lock"),
        Binding("n", "goto_next", "Go to next operation", show=False, id="backups.goto_next"),
        Binding("slash", "filter", "Filter", id="backups.filter"),
        Binding("escape", "back", "Back / clear filter", show=False, id="backups.back"),
    ]
    MUTATING_ACTIONS = frozenset(
        {
            "accept_preflight",
            "start_next",
            "record_completed",
            "record_failed",
            "record_skipped",
            "retry",
            "break_lock",
        }
    )
    AUTO_FOCUS = "#backups-folder-table"

    def __init__(self) -> None:
        super().__init__()
        self._selected: str | None = None
        # Put the operations cursor on the next operation at the next show (a folder was
        # opened, or a step moved the run on).
        self._cursor_to_next = True
        self._focus_operations = False
        self._built: _BuiltRows | None = None
        self._shown_rows: list[OperationRow] | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Container(id="backups-body"):
            with Vertical(id="backups-folders", classes="panel"):
                yield FastTable(
                    self._folder_columns(),
                    row_key=lambda folder: folder.name,
                    haystack=lambda folder: folder.name,
                    empty_message="No backup folders under the configured backup_roots.",
                    id="backups-folder-table",
                )
            with Vertical(id="backups-stepper", classes="panel"):
                yield Static("", id="backups-restart")
                yield Static("", id="backups-lock")
                yield Static(Text("Loading…", style="dim"), id="backups-summary")
                yield Input(
                    placeholder="filter operations: state, kind, id, canister, reason",
                    id="backups-filter",
                    classes="filter",
                )
                yield FastTable(
                    self._operation_columns(),
                    row_key=lambda row: row.key,
                    haystack=_operation_haystack,
                    empty_message="Select a backup folder.",
                    id="backups-operations",
                )
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#backups-folders").border_title = "Backup folders"
        self.query_one("#backups-stepper").border_title = "Stepper"

    @property
    def folders(self) -> FastTable[BackupFolder]:
        return self.query_one("#backups-folder-table", FastTable)

    @property
    def operations(self) -> FastTable[OperationRow]:
        return self.query_one("#backups-operations", FastTable)

    @property
    def stepper(self) -> Stepper | None:
        return self.data.stepper if self.data is not None else None

    # Columns.

    def _folder_columns(self) -> list[Column[BackupFolder]]:
        return [
            Column(
                "name",
                "FOLDER",
                self._folder_name_cell,
                ratio=3,
                min_width=18,
                sort_key=lambda f: f.name,
            ),
            Column(
                "status",
                "STATUS",
                self._folder_status_cell,
                width=10,
                sort_key=lambda f: f.layout_status or "~",
            ),
            Column(
                "done",
                "DONE",
                self._folder_done_cell,
                width=7,
                align="right",
                sort_key=lambda f: (f.completed_operations, f.total_operations),
            ),
            Column("note", "", self._folder_note_cell, ratio=2, min_width=4),
        ]

    def _operation_columns(self) -> list[Column[OperationRow]]:
        return [
            Column("next", "", self._next_cell, width=4),
            Column(
                "seq",
                "#",
                self._seq_cell,
                width=5,
                align="right",
                sort_key=lambda r: r.operation.sequence,
            ),
            Column(
                "state",
                "STATE",
                self._state_cell,
                width=11,
                sort_key=lambda r: COUNT_ORDER.index(r.operation.state),
            ),
            Column(
                "kind",
                "KIND",
                self._kind_cell,
                ratio=3,
                min_width=8,
                sort_key=lambda r: r.operation.kind,
            ),
            Column(
                "operation",
                "OPERATION",
                self._operation_cell,
                ratio=4,
                min_width=10,
                sort_key=lambda r: r.operation.operation_id,
            ),
            Column(
                "target",
                "CANISTER",
                self._target_cell,
                ratio=2,
                min_width=6,
                sort_key=lambda r: r.operation.target_canister_id or "",
            ),
            Column(
                "updated",
                "UPDATED",
                self._updated_cell,
                width=8,
                align="right",
                sort_key=lambda r: r.updated.timestamp() if r.updated else 0.0,
            ),
            Column("detail", "DETAIL", self._detail_cell, ratio=5, min_width=8),
        ]

    # Folder cells.

    def _folder_name_cell(self, folder: BackupFolder) -> Text:
        return Text(folder.name, style=f"bold {self.palette.error}" if folder.error else "")

    def _folder_status_cell(self, folder: BackupFolder) -> Text:
        if folder.error:
            return Text("unreadable", style=f"bold {self.palette.error}")
        status = folder.layout_status or "-"
        colour = {
            "running": self.palette.accent,
            "failed": self.palette.error,
            "complete": self.palette.success,
        }.get(status, MUTED)
        return Text(status, style=f"bold {colour}")

    def _folder_done_cell(self, folder: BackupFolder) -> str:
        if folder.error:
            return "-"
        return f"{folder.completed_operations}/{folder.total_operations}"

    def _folder_note_cell(self, folder: BackupFolder) -> Text:
        note = Text()
        if folder.error:
            note.append(folder.error, style=self.palette.error)
            return note
        if folder.restart_required:
            note.append("⚠ restart", style=f"bold {self.palette.error}")
        if folder.locked_by_pid is not None or folder.lock_pid_alive is not None:
            if note:
                note.append(" ")
            note.append_text(self._lock_marker(folder.locked_by_pid, folder.lock_pid_alive))
        elif folder.locked_by_pid is None and folder.has_journal is False:
            note.append("no journal yet", style="dim")
        return note

    def _lock_marker(self, pid: int | None, alive: bool | None) -> Text:
        who = f"🔒 pid {pid}" if pid is not None else "🔒 unknown holder"
        if alive is False:
            return Text(f"{who} (dead — u to break)", style=f"bold {self.palette.error}")
        return Text(f"{who} (running)", style=f"bold {self.palette.warning}")

    # Operation cells: the next operation's row is bold from end to end.

    def _weight(self, row: OperationRow) -> str:
        return "bold" if row.is_next else ""

    def _next_cell(self, row: OperationRow) -> Text:
        if not row.is_next:
            return Text("")
        return Text("next", style=f"bold reverse {self.palette.accent}")

    def _seq_cell(self, row: OperationRow) -> Text:
        return Text(row.key, style=self._weight(row))

    def _state_colour(self, state: OperationState) -> str:
        # Ready is the plain, expected state; it is not coloured, which also keeps it
        # readable on the cursor's row (whose background is the theme's primary colour).
        if state == OperationState.READY:
            return ""
        if state == OperationState.SKIPPED:
            return MUTED
        return self.palette.for_operation_state(state)

    def _state_cell(self, row: OperationRow) -> Text:
        state = row.operation.state
        colour = self._state_colour(state)
        return Text(STATE_BADGES[state], style=f"bold {colour}" if row.is_next else colour)

    def _kind_cell(self, row: OperationRow) -> Text:
        return Text(row.operation.kind, style=self._weight(row))

    def _operation_cell(self, row: OperationRow) -> Text:
        return Text(row.operation.operation_id, style=self._weight(row))

    def _target_cell(self, row: OperationRow) -> Text:
        target = row.operation.target_canister_id
        if target is None:
            return Text("-", style="dim")
        return Text(target, style=self._weight(row))

    def _updated_cell(self, row: OperationRow) -> Text:
        if row.updated is None:
            return Text("-", style="dim")
        now = self.now()
        if (now - row.updated).days >= 30:
            # ago() turns to a full date here, too wide for the column: drop the century.
            return Text(row.updated.strftime("%y-%m-%d"), style="dim")
        return Text(ago(row.updated, now), style="dim")

    def _detail_cell(self, row: OperationRow) -> Text:
        state = row.operation.state
        if state == OperationState.FAILED:
            return Text(row.detail, style=self.palette.error)
        if state == OperationState.BLOCKED:
            return Text(row.detail, style=self.palette.warning)
        return Text(row.detail, style=self._weight(row) or "dim")

    # Data.

    def load(self) -> BackupsView:
        requested = self._selected
        folders = self.service.list_backups()
        names = [folder.name for folder in folders]
        selected = requested if requested in names else _default_folder(folders)
        stepper = None
        if selected is not None:
            stepper = self._load_stepper(folders[names.index(selected)])
        return BackupsView(folders, requested, selected, stepper)

    def _load_stepper(self, folder: BackupFolder) -> Stepper:
        if folder.error:
            return Stepper(folder=folder, error=folder.error)
        name = folder.name
        try:
            lock = self.service.journal_lock(name)
            journal = self.service.backup_journal(name)
            status = self.service.backup_status(name)
        except BackendUnavailable:
            raise
        except QuarterdeckError as error:
            return Stepper(folder=folder, error=str(error))
        built = self._built
        if built is None or built.folder != name or built.journal is not journal:
            built = build_rows(name, journal)
            self._built = built
        return Stepper(
            folder=folder,
            journal=journal,
            summary=built.summary,
            status=status,
            rows=built.rows,
            receipts=built.receipts,
            pending=built.pending,
            lock=lock,
        )

    def show(self, data: BackupsView) -> None:
        if self._selected is not None and data.requested != self._selected:
            return  # the user moved on while this loaded; a newer load is on its way
        self._selected = data.selected
        table = self.folders
        table.set_rows(data.folders)
        if data.selected is not None:
            table.move_cursor_to_key(data.selected)
        self.qapp.catalog.publish("backup", backup_entries(data.folders))
        restarts = sum(1 for folder in data.folders if folder.restart_required)
        title = f"Backup folders ({len(data.folders)})"
        self.query_one("#backups-folders").border_title = title
        self.query_one("#backups-folders").border_subtitle = (
            f"⚠ {restarts} need{'s' if restarts == 1 else ''} a restart" if restarts else ""
        )
        self._show_stepper(data.stepper)
        self.refresh_bindings()

    def _show_stepper(self, stepper: Stepper | None) -> None:
        panel = self.query_one("#backups-stepper")
        banner = self.query_one("#backups-restart", Static)
        lock_line = self.query_one("#backups-lock", Static)
        summary = self.query_one("#backups-summary", Static)
        table = self.operations
        restart = (
            stepper is not None
            and stepper.journal is not None
            and (stepper.journal.restart_required)
        )
        banner.update(RESTART_BANNER if restart else "")
        banner.set_class(restart, "-visible")
        lock = stepper.lock if stepper is not None else None
        lock_line.update(self._lock_text(lock) if lock is not None else "")
        lock_line.set_class(lock is not None, "-visible")
        if stepper is None:
            panel.border_title = "Stepper"
            summary.update(Text("No backup folder to show.", style="dim"))
            table.empty_message = "Select a backup folder."
            self._set_operation_rows([])
            return
        panel.border_title = stepper.folder.name
        panel.border_subtitle = _status_title(stepper)
        summary.update(self._summary_text(stepper))
        table.empty_message = (
            "No operations: the folder could not be read."
            if stepper.error
            else "No operation matches the filter."
            if table.filter_text
            else "This journal has no operations."
        )
        self._set_operation_rows(stepper.rows)
        if self._cursor_to_next:
            self._cursor_to_next = False
            following = stepper.next_operation
            if following is not None:
                table.move_cursor_to_key(str(following.sequence))
            elif stepper.rows:
                table.cursor_index = table.visible_count - 1
        if self._focus_operations:
            self._focus_operations = False
            table.focus()

    def _set_operation_rows(self, rows: list[OperationRow]) -> None:
        if rows is self._shown_rows:
            self.operations.refresh_cells()  # times ("5m ago") and theme colours move on
            return
        self._shown_rows = rows
        self.operations.set_rows(rows)

    def _lock_text(self, lock: JournalLockInfo) -> Text:
        who = f"pid {lock.pid}" if lock.pid is not None else "an unknown process"
        if lock.alive is False:
            return Text.assemble(
                ("🔒 Locked by ", "bold"),
                (who, "bold"),
                " — not running: ",
                (
                    "press u to break the stale lock"
                    if not self.service.read_only
                    else "its lock is stale"
                ),
            )
        state = "running" if lock.alive else "its state is unknown"
        return Text.assemble(
            ("🔒 Locked by ", "bold"),
            (who, "bold"),
            f" — {state}: steps are refused until it lets go",
        )

    def _summary_text(self, stepper: Stepper) -> Text:
        palette = self.palette
        if stepper.error is not None:
            return Text.assemble(
                ("✗ This folder could not be read: ", f"bold {palette.error}"),
                (stepper.error, palette.error),
                ("\nFix or replace the file; the list re-reads it on every refresh.", "dim"),
            )
        journal, summary = stepper.journal, stepper.summary
        assert journal is not None and summary is not None
        text = Text()
        text.append("plan ", style="dim")
        text.append(journal.plan_id, style="bold")
        text.append(" · run ", style="dim")
        text.append(journal.run_id, style="bold")
        status = stepper.status
        if status is not None and (status.fleet or status.network):
            text.append(" · fleet ", style="dim")
            text.append(f"{status.fleet or '?'} on {status.network or '?'}")
            text.append(
                f" · {status.targets} target{'' if status.targets == 1 else 's'}", style="dim"
            )
        if not stepper.folder.has_journal:
            text.append(" · journal not written yet: the first step writes it", style="dim")
        text.append("\n")
        text.append("preflight ", style="dim")
        if journal.preflight_accepted and journal.preflight_id:
            text.append(journal.preflight_id, style="bold")
            text.append(" ✓ accepted", style=f"bold {palette.success}")
        else:
            text.append("not accepted", style=f"bold {palette.warning}")
            blocked = summary.blocked_operations
            if blocked:
                text.append(
                    f" — {blocked} mutating operation{'s' if blocked != 1 else ''} "
                    "blocked until it is",
                    style="dim",
                )
            if not self.service.read_only:
                text.append("  a accept", style=f"bold {palette.accent}")
        text.append("\n")
        text.append(f"{summary.total_operations:,} operations ", style="dim")
        counts = {
            OperationState.COMPLETED: summary.completed_operations,
            OperationState.SKIPPED: summary.skipped_operations,
            OperationState.PENDING: summary.pending_operations,
            OperationState.FAILED: summary.failed_operations,
            OperationState.READY: summary.ready_operations,
            OperationState.BLOCKED: summary.blocked_operations,
        }
        first = True
        for state in COUNT_ORDER:
            if counts[state]:
                text.append("  " if first else " · ", style="dim")
                first = False
                badge = STATE_BADGES[state]
                text.append(
                    f"{badge[0]} {counts[state]:,} {badge[2:]}",
                    style=self._state_colour(state),
                )
        text.append("\n")
        text.append_text(self._next_text(stepper))
        return text

    def _next_text(self, stepper: Stepper) -> Text:
        palette = self.palette
        following = stepper.next_operation
        summary = stepper.summary
        assert summary is not None
        text = Text()
        text.append("next ", style="dim")
        if following is None:
            if summary.blocked_operations:
                text.append(
                    f"nothing can advance: {summary.blocked_operations} blocked",
                    style=f"bold {palette.warning}",
                )
            else:
                text.append(
                    "nothing left — every operation is completed or skipped",
                    style=f"bold {palette.success}",
                )
            return text
        text.append(f"#{following.sequence} {following.kind} ", style="bold")
        text.append(following.operation_id)
        state = following.state
        text.append(f"  {STATE_BADGES[state]}", style=f"bold {self._state_colour(state)}")
        if not self.service.read_only:
            hints = _hints(
                following,
                accepted=stepper.journal is not None and stepper.journal.preflight_accepted,
            )
            text.append(f"   {hints}", style=f"bold {palette.accent}")
        return text

    def select_entity(self, key: str) -> None:
        """Open folder `key` (the palette's jump): its stepper, cursor on the next operation."""
        if key != self._selected:
            self._selected = key
            self._cursor_to_next = True
            self._clear_filter()
        self._focus_operations = True
        if self.is_mounted:
            self.folders.move_cursor_to_key(key)
        self.refresh_data()

    # Choosing a folder.

    def on_fast_table_cursor_moved(self, event: FastTable.CursorMoved) -> None:
        table = self.folders
        if event.table is not table or event.key is None:
            return
        # A move superseded by a later one (set_rows then move_cursor_to_key) is old news.
        if event.key != table.cursor_key or event.key == self._selected:
            return
        self._selected = event.key
        self._cursor_to_next = True
        self._clear_filter()
        self.refresh_data()

    def on_fast_table_row_activated(self, event: FastTable.RowActivated) -> None:
        if event.table is self.folders:
            self.operations.focus()
            return
        stepper = self.stepper
        row: OperationRow = event.row
        if stepper is None:
            return
        self.app.push_screen(
            OperationDialog(
                row.operation,
                stepper.receipts.get(row.operation.sequence, []),
                is_next=row.is_next,
                now=self.now(),
            )
        )

    def action_goto_next(self) -> None:
        stepper = self.stepper
        following = stepper.next_operation if stepper else None
        if following is None:
            self.notify("No next operation: nothing can advance in this journal.")
            return
        if not self.operations.move_cursor_to_key(str(following.sequence)):
            self._clear_filter()
            self.operations.move_cursor_to_key(str(following.sequence))
        self.operations.focus()

    def action_filter(self) -> None:
        box = self.query_one("#backups-filter", Input)
        box.add_class("-open")
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#backups-filter", Input)
        if box.has_class("-open"):
            self._clear_filter()
            self.operations.focus()
        elif self.operations.has_focus:
            self.folders.focus()

    def _clear_filter(self) -> None:
        if not self.is_mounted:
            return
        box = self.query_one("#backups-filter", Input)
        box.value = ""
        box.remove_class("-open")
        self.operations.set_filter("")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "backups-filter":
            self.operations.set_filter(event.value)
            self.operations.empty_message = (
                f"No operation matches '{event.value}'."
                if event.value
                else "This journal has no operations."
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "backups-filter":
            self.operations.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if not allowed:
            return allowed
        if action == "break_lock":
            stepper = self.stepper
            lock = stepper.lock if stepper is not None else None
            if lock is None:
                return False
            # Unqualified (the palette asks so) means the offered, stale-lock binding.
            return (lock.alive is False) == (parameters != ("live",))
        return True

    # Steps. Each captures the folder and operation the user saw when pressing the key, so
    # a step never lands on another folder; the core re-checks it against the journal.

    def _steppable(self) -> Stepper | None:
        stepper = self.stepper
        if stepper is None:
            self.notify("No backup folder is selected.", severity="warning")
            return None
        if stepper.error is not None or stepper.journal is None:
            self.notify(
                f"{stepper.folder.name} could not be read, so it cannot be stepped: "
                f"{stepper.error}",
                severity="error",
                timeout=8,
            )
            return None
        return stepper

    def _step(
        self,
        call: Callable[[], ExecutionJournal],
        describe: Callable[[ExecutionJournal], str],
    ) -> None:
        def run() -> str:
            return describe(call())

        def done(_message: str) -> None:
            self._cursor_to_next = True

        self.perform(run, success=lambda message: message, on_error=self._refused, then=done)

    def _refused(self, _error: QuarterdeckError) -> bool:
        # The journal did not change, but what stopped the step (a lock, another writer)
        # is worth showing: reload, and let the rule's message be shown as usual.
        self.refresh_data()
        return False

    def action_accept_preflight(self) -> None:
        stepper = self._steppable()
        if stepper is None:
            return
        journal = stepper.journal
        summary = stepper.summary
        assert journal is not None and summary is not None
        name = stepper.folder.name
        if journal.preflight_accepted:
            intro = (
                f"Preflight {journal.preflight_id} is already accepted. Accepting it again "
                "changes nothing; canic refuses any other id for this run."
            )
        else:
            intro = (
                "Marks the four validation operations completed and unblocks the "
                f"{summary.blocked_operations} blocked mutating operations. Once accepted, "
                "canic refuses any other preflight id for this run."
            )

        def answered(values: dict[str, str] | None) -> None:
            if not values:
                return
            preflight_id = values["value"]
            self._step(
                lambda: self.service.accept_preflight(name, preflight_id),
                lambda journal: (
                    f"Accepted preflight {preflight_id} for {name}: "
                    f"{sum(op.state == OperationState.READY for op in journal.operations)} "
                    "operations ready"
                ),
            )

        self.app.push_screen(
            prompt(
                f"Accept preflight — {name}",
                "Preflight id",
                value=journal.preflight_id or "",
                placeholder="the id canic's preflight printed",
                intro=intro,
            ),
            answered,
        )

    def action_start_next(self) -> None:
        stepper = self._steppable()
        if stepper is None:
            return
        name = stepper.folder.name

        def describe(journal: ExecutionJournal) -> str:
            started = resume_summary(journal).next_operation
            if started is None:
                return f"Started the next operation of {name}"
            return (
                f"Started #{started.sequence} {started.kind} {started.operation_id} — "
                "record its outcome with d (done), f (failed) or x (skip)"
            )

        self._step(lambda: self.service.start_next_operation(name), describe)

    def _receipt_target(self, outcome: str) -> tuple[Stepper, JournalOperation] | None:
        """The operation a receipt is for: the pending one. Without one, say what to do."""
        stepper = self._steppable()
        if stepper is None:
            return None
        if stepper.pending is not None:
            return stepper, stepper.pending
        following = stepper.next_operation
        if following is None:
            self.notify(
                f"Nothing is pending in {stepper.folder.name}, and no operation can advance.",
                severity="warning",
            )
        else:
            self.notify(
                f"Nothing is pending: #{following.sequence} {following.kind} is "
                f"{following.state}. Press s to start it before recording it {outcome}.",
                severity="warning",
            )
        return None

    def action_record_completed(self) -> None:
        target = self._receipt_target("completed")
        if target is None:
            return
        stepper, operation = target
        name = stepper.folder.name
        label = _operation_label(operation)
        required = required_fields(operation.kind, ReceiptOutcome.COMPLETED)
        fields = completion_form_fields(operation.kind, required)

        def record(values: dict[str, str]) -> None:
            completion = CompletionFields(
                snapshot_id=values.get("snapshot_id"),
                snapshot_taken_at_timestamp=parse_count(values.get("snapshot_taken_at_timestamp")),
                snapshot_total_size_bytes=parse_count(values.get("snapshot_total_size_bytes")),
                artifact_path=values.get("artifact_path"),
                checksum=values.get("checksum"),
            )
            self._step(
                lambda: self.service.record_operation(
                    name, operation.sequence, ReceiptOutcome.COMPLETED, completion
                ),
                lambda _journal: (
                    f"Recorded #{operation.sequence} completed: {_kind_and_id(operation)}"
                ),
            )

        if not fields:
            self.app.push_screen(
                ConfirmDialog(
                    f"Record {label} completed?",
                    f"{name}: canic needs nothing more for a completed {operation.kind}. "
                    "The receipt is written to the journal at once.",
                    confirm="Completed",
                ),
                lambda yes: record({}) if yes else None,
            )
            return
        needs = ", ".join(field.label.lower() for field in fields if field.required)
        self.app.push_screen(
            ReceiptForm(
                f"Record {label} completed",
                fields,
                submit="Record completed",
                intro=f"{name}: canic needs the {needs} for a completed {operation.kind}.",
            ),
            lambda values: record(values) if values is not None else None,
        )

    def action_record_failed(self) -> None:
        target = self._receipt_target("failed")
        if target is None:
            return
        stepper, operation = target
        name = stepper.folder.name
        label = _operation_label(operation)

        def answered(values: dict[str, str] | None) -> None:
            if not values:
                return
            reason = values["value"]
            self._step(
                lambda: self.service.record_operation(
                    name, operation.sequence, ReceiptOutcome.FAILED, failure_reason=reason
                ),
                lambda _journal: f"Recorded #{operation.sequence} failed: {reason}",
            )

        self.app.push_screen(
            prompt(
                f"Record {label} failed",
                "Failure reason",
                placeholder="what went wrong",
                intro=f"{name}: the reason becomes the operation's blocking reason; "
                "t retries it later.",
            ),
            answered,
        )

    def action_record_skipped(self) -> None:
        target = self._receipt_target("skipped")
        if target is None:
            return
        stepper, operation = target
        name = stepper.folder.name
        label = _operation_label(operation)
        body = f"{name}: the run moves past it and it is never done."
        if operation.kind == OperationKind.START:
            body += (
                f" Skipping a start does not start {operation.target_canister_id or 'the canister'}"
                ": make sure it is running again yourself."
            )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._step(
                    lambda: self.service.record_operation(
                        name, operation.sequence, ReceiptOutcome.SKIPPED
                    ),
                    lambda _journal: (
                        f"Recorded #{operation.sequence} skipped: {_kind_and_id(operation)}"
                    ),
                )

        self.app.push_screen(
            ConfirmDialog(
                f"Skip {label}?",
                body,
                confirm="Skip",
                danger=operation.kind == OperationKind.START,
            ),
            confirmed,
        )

    def action_retry(self) -> None:
        stepper = self._steppable()
        if stepper is None:
            return
        row = self.operations.cursor_row
        failed = OperationState.FAILED
        operation: JournalOperation | None = None
        if row is not None and row.operation.state == failed:
            operation = row.operation
        else:
            operation = next(
                (r.operation for r in stepper.rows if r.operation.state == failed), None
            )
        if operation is None:
            self.notify(f"No operation of {stepper.folder.name} has failed: nothing to retry.")
            return
        name = stepper.folder.name
        label = _operation_label(operation)
        self._step(
            lambda: self.service.retry_operation(name, operation.sequence),
            lambda _journal: f"{label} is ready to retry — press s to start it",
        )

    def action_break_lock(self, _holder: str = "stale") -> None:
        stepper = self.stepper
        lock = stepper.lock if stepper is not None else None
        if stepper is None or lock is None:
            self.notify("This journal is not locked.")
            return
        name = stepper.folder.name
        holder = f"pid {lock.pid}" if lock.pid is not None else "an unknown process"

        def break_it() -> None:
            self.perform(
                lambda: self.service.break_journal_lock(name),
                success=lambda _none: f"Broke the stale lock on {name} (held by {holder})",
                on_error=self._refused,
            )

        if lock.alive is not False:
            # A live holder's lock is the core's to refuse, with its own words.
            break_it()
            return
        self.app.push_screen(
            ConfirmDialog(
                "Break the stale journal lock?",
                f"{name}'s journal is locked by {holder}, which is no longer running — it "
                "probably stopped in the middle of a step. Breaking the lock lets steps be "
                "written again; the journal itself is not touched.",
                confirm="Break lock",
                danger=True,
            ),
            lambda yes: break_it() if yes else None,
        )


def _default_folder(folders: list[BackupFolder]) -> str | None:
    """The folder to open first: one whose canisters wait for a restart, else the first."""
    for folder in folders:
        if folder.restart_required:
            return folder.name
    return folders[0].name if folders else None


def _operation_label(operation: JournalOperation) -> str:
    return f"#{operation.sequence} {_kind_and_id(operation)}"


def _kind_and_id(operation: JournalOperation) -> str:
    # Preflight operations are usually named after their kind: say it once.
    if operation.operation_id == operation.kind:
        return str(operation.kind)
    return f"{operation.kind} {operation.operation_id}"


def _operation_haystack(row: OperationRow) -> str:
    operation = row.operation
    return (
        f"#{operation.sequence} {operation.state} {operation.kind} {operation.operation_id} "
        f"{operation.target_canister_id or ''} {row.detail}{' next' if row.is_next else ''}"
    )


def _status_title(stepper: Stepper) -> str:
    folder = stepper.folder
    if stepper.error is not None:
        return "unreadable"
    done = f"{folder.completed_operations}/{folder.total_operations} completed"
    return f"{folder.layout_status} · {done}"


def _hints(operation: JournalOperation, *, accepted: bool) -> str:
    """The keys that move the next operation on, as the stepper's last line offers them."""
    state = operation.state
    if state == OperationState.PENDING:
        return "d done · f failed · x skip"
    if state == OperationState.FAILED:
        return "t retry · s start again"
    if state == OperationState.READY:
        if operation.kind.is_preflight and not accepted:
            return "s start · a accept the preflight"
        return "s start"
    return ""
