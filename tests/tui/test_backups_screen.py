"""The Backups screen (mode 4): backup folders and the journal stepper, driven by keys.

Every test runs on a private copy of the demo workspace at NOW: `nightly-2026-11-22` is a dry
run (journal written, nothing accepted) and `weekly-2026-11-17` has its canisters stopped and
snapshot #7 failed. Journals are read back from disk with canic's validity rules applied.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from core.backups.files import JOURNAL_FILE, PLAN_FILE, load_journal
from core.backups.journal import required_fields
from core.models.backups import (
    ExecutionJournal,
    OperationKind,
    OperationState,
    ReceiptOutcome,
)
from tui.app import QuarterdeckApp
from tui.screens.backups import BackupsScreen, OperationRow
from tui.screens.backups_dialogs import OperationDialog, ReceiptForm, completion_form_fields
from tui.screens.dialogs import ConfirmDialog, FormDialog
from tui.screenshots import settle
from tui.widgets.fast_table import FastTable

pytestmark = pytest.mark.anyio

DRY_RUN = "nightly-2026-11-22"
STOPPED = "weekly-2026-11-17"
# A pid no process can have (above Linux's pid_max): its lock is stale.
DEAD_PID = 99_999_999
AppFactory = Callable[..., QuarterdeckApp]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def journal_path(root: Path, folder: str) -> Path:
    return root / "backups" / folder / JOURNAL_FILE


def journal_on_disk(root: Path, folder: str) -> ExecutionJournal:
    """The journal as canic would read it: parsed and validated (raises if invalid)."""
    return load_journal(journal_path(root, folder))


def state_of(journal: ExecutionJournal, sequence: int) -> OperationState:
    return journal.operations[sequence].state


def write_lock(root: Path, folder: str, pid: int) -> Path:
    lock = journal_path(root, folder).with_name(JOURNAL_FILE + ".lock")
    lock.write_text(f"pid={pid}\n")
    return lock


async def open_backups(pilot: Pilot[None], folder: str | None = None) -> BackupsScreen:
    await pilot.press("4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BackupsScreen)
    if folder is not None and screen.stepper is not None and screen.stepper.folder.name != folder:
        screen.select_entity(folder)
        await settle(pilot)
    assert screen.stepper is not None
    return screen


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def notices(app: QuarterdeckApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def errors(app: QuarterdeckApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def static_text(screen: BackupsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# The folder list.


async def test_each_backup_folder_is_listed_with_its_status(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot)
        table = screen.folders
        rows = [table.row_at(i) for i in range(table.visible_count)]
        assert [(f.name, f.layout_status) for f in rows] == [
            (DRY_RUN, "dry-run"),
            (STOPPED, "failed"),
        ]


async def test_the_folder_whose_canisters_are_stopped_opens_first(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot)
        assert screen.folders.cursor_key == STOPPED
        assert screen.stepper is not None and screen.stepper.folder.name == STOPPED


async def test_a_red_banner_shows_while_restart_is_required(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        banner = screen.query_one("#backups-restart", Static)
        assert banner.display
        assert "RESTART REQUIRED" in static_text(screen, "#backups-restart")


async def test_no_restart_banner_shows_for_a_dry_run(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert not screen.query_one("#backups-restart", Static).display


async def test_moving_through_the_folder_list_opens_each_folder(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        screen.folders.focus()
        await pilot.press("k")
        await settle(pilot)
        assert screen.stepper is not None and screen.stepper.folder.name == DRY_RUN
        assert screen.operations.cursor_key == "0"


async def test_an_unreadable_folder_is_listed_with_its_error(
    make_app: AppFactory, demo_root: Path
) -> None:
    broken = demo_root / "backups" / "broken-2026-11-20"
    broken.mkdir()
    (broken / PLAN_FILE).write_text("{ not json\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, "broken-2026-11-20")
        stepper = screen.stepper
        assert stepper is not None and stepper.error is not None
        assert "malformed JSON" in stepper.error
        assert "could not be read" in static_text(screen, "#backups-summary")
        assert screen.operations.row_count == 0


async def test_a_step_on_an_unreadable_folder_is_refused(
    make_app: AppFactory, demo_root: Path
) -> None:
    broken = demo_root / "backups" / "broken-2026-11-20"
    broken.mkdir()
    (broken / PLAN_FILE).write_text("{ not json\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, "broken-2026-11-20")
        await pilot.press("s")
        await settle(pilot)
        assert any("cannot be stepped" in message for message in errors(app))
        assert not (broken / JOURNAL_FILE).exists()


# The stepper.


async def test_opening_a_folder_puts_the_cursor_on_its_next_operation(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        assert screen.operations.cursor_key == "7"


async def test_only_the_next_operation_is_marked_next(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        table: FastTable[OperationRow] = screen.operations
        marked = [
            table.row_at(i).key for i in range(table.visible_count) if table.row_at(i).is_next
        ]
        assert marked == ["0"]
        assert screen._next_cell(table.row_at(0)).plain == "next"


async def test_the_resume_summary_names_the_next_operation_and_the_counts(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        summary = static_text(screen, "#backups-summary")
        assert "preflight-weekly-004 ✓ accepted" in summary
        assert "7 completed" in summary and "1 failed" in summary and "7 ready" in summary
        assert "#7 create-snapshot snapshot-rdmx6-jaaaa-aaaaa-aaadq-cai" in summary


async def test_blocked_operations_show_why(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        stop = screen.operations.row_at(4)
        assert stop.operation.state == OperationState.BLOCKED
        assert stop.detail == "preflight-not-accepted"


async def test_a_completed_snapshot_shows_its_snapshot_id(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        assert screen.operations.row_at(6).detail == "snapshot snap-7f3a91 · 48.2 MB"


async def test_enter_on_an_operation_shows_its_receipts(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        screen.operations.focus()
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, OperationDialog)
        assert dialog.operation.sequence == 7
        assert [r.failure_reason for r in dialog.receipts] == [
            "snapshot create failed: canister rdmx6 out of cycles"
        ]


async def test_enter_on_a_folder_moves_to_its_operations_and_escape_back(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot)
        screen.folders.focus()
        await pilot.press("enter")
        assert screen.operations.has_focus
        await pilot.press("escape")
        assert screen.folders.has_focus


async def test_the_filter_narrows_the_operations(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        await pilot.press("slash")
        await type_text(pilot, "rdmx6 start")
        assert [
            screen.operations.row_at(i).key for i in range(screen.operations.visible_count)
        ] == ["9"]
        await pilot.press("escape")
        assert screen.operations.visible_count == 15


async def test_n_goes_to_the_next_operation(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        screen.operations.focus()
        await pilot.press("g")
        await pilot.press("n")
        assert screen.operations.cursor_key == "7"


# Accepting the preflight.


async def accept(pilot: Pilot[None], preflight_id: str) -> None:
    await pilot.press("a")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, FormDialog)
    dialog.query_one("#field-value", Input).value = ""
    await type_text(pilot, preflight_id)
    await pilot.press("enter")
    await settle(pilot)


async def test_accepting_the_preflight_readies_the_mutating_operations(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        await accept(pilot, "preflight-nightly-017")
        journal = journal_on_disk(demo_root, DRY_RUN)
        assert journal.preflight_accepted and journal.preflight_id == "preflight-nightly-017"
        assert [state_of(journal, i) for i in range(4)] == [OperationState.COMPLETED] * 4
        assert all(op.state == OperationState.READY for op in journal.operations[4:])
        assert screen.operations.row_at(4).operation.state == OperationState.READY
        assert any("Accepted preflight preflight-nightly-017" in m for m in notices(app))


async def test_the_preflight_prompt_is_prefilled_with_the_accepted_id(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, STOPPED)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.query_one("#field-value", Input).value == "preflight-weekly-004"


async def test_accepting_a_different_preflight_id_is_refused(
    make_app: AppFactory, demo_root: Path
) -> None:
    before = journal_path(demo_root, STOPPED).read_bytes()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, STOPPED)
        await accept(pilot, "preflight-other")
        assert journal_path(demo_root, STOPPED).read_bytes() == before
        assert errors(app) == [
            "preflight preflight-weekly-004 already accepted; refusing preflight-other"
        ]


# Starting and recording.


async def test_s_marks_the_next_operation_pending(make_app: AppFactory, demo_root: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        await pilot.press("s")
        await settle(pilot)
        assert state_of(journal_on_disk(demo_root, DRY_RUN), 0) == OperationState.PENDING
        assert screen.operations.row_at(0).operation.state == OperationState.PENDING
        assert any(m.startswith("Started #0 validate-topology") for m in notices(app))


async def test_starting_an_already_pending_operation_is_refused(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("s")
        await settle(pilot)
        before = journal_path(demo_root, DRY_RUN).read_bytes()
        await pilot.press("s")
        await settle(pilot)
        assert journal_path(demo_root, DRY_RUN).read_bytes() == before
        assert errors(app) == [
            "operation 0 is pending; only a ready or failed operation can be marked pending"
        ]


async def start_snapshot_seven(pilot: Pilot[None]) -> BackupsScreen:
    """Weekly folder, its failed snapshot #7 started again (pending)."""
    screen = await open_backups(pilot, STOPPED)
    await pilot.press("s")
    await settle(pilot)
    stepper = screen.stepper
    assert stepper is not None and stepper.pending is not None
    assert stepper.pending.sequence == 7
    return screen


async def test_the_completion_form_asks_for_the_snapshot_fields_of_a_create_snapshot(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ReceiptForm)
        assert form.title_text == (
            "Record #7 create-snapshot snapshot-rdmx6-jaaaa-aaaaa-aaadq-cai completed"
        )
        assert [(f.key, f.required) for f in form.fields] == [
            ("snapshot_id", True),
            ("snapshot_taken_at_timestamp", False),
            ("snapshot_total_size_bytes", False),
        ]


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        (
            "create-snapshot",
            [
                ("snapshot_id", True),
                ("snapshot_taken_at_timestamp", False),
                ("snapshot_total_size_bytes", False),
            ],
        ),
        ("download-snapshot", [("artifact_path", True)]),
        ("verify-artifact", [("checksum", True)]),
        ("stop", []),
        ("start", []),
        ("finalize-manifest", []),
        ("validate-topology", []),
    ],
)
def test_the_completion_form_asks_exactly_what_the_kind_needs(
    kind: str, fields: list[tuple[str, bool]]
) -> None:
    operation_kind = OperationKind(kind)
    required = required_fields(operation_kind, ReceiptOutcome.COMPLETED)
    form = completion_form_fields(operation_kind, required)
    assert [(field.key, field.required) for field in form] == fields


async def test_recording_a_snapshot_completed_writes_its_receipt(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_snapshot_seven(pilot)
        await pilot.press("d")
        await pilot.pause()
        await type_text(pilot, "snap-91c2")
        await pilot.press("enter", "enter")  # to the size field, past the time stamp
        await type_text(pilot, "1200")
        await pilot.press("enter")
        await settle(pilot)
        journal = journal_on_disk(demo_root, STOPPED)
        assert state_of(journal, 7) == OperationState.COMPLETED
        receipt = journal.operation_receipts[-1]
        assert (receipt.sequence, receipt.outcome, receipt.snapshot_id) == (
            7,
            "completed",
            "snap-91c2",
        )
        assert receipt.snapshot_total_size_bytes == 1200
        assert receipt.snapshot_taken_at_timestamp is None
        assert "Recorded #7 completed" in notices(app)[-1]
        # The run moved on, and so did the cursor.
        assert screen.operations.cursor_key == "8"


async def test_completing_without_the_required_field_is_blocked_by_the_form(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        before = journal_path(demo_root, STOPPED).read_bytes()
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        form.query_one("#submit").press()
        await pilot.pause()
        assert app.screen is form
        assert "Required: Snapshot id" in str(form.query_one("#form-error", Static).render())
        assert journal_path(demo_root, STOPPED).read_bytes() == before


async def test_a_negative_snapshot_size_is_refused_by_the_form(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        before = journal_path(demo_root, STOPPED).read_bytes()
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-snapshot_id", Input).value = "snap-91c2"
        form.query_one("#field-snapshot_total_size_bytes", Input).value = "-5"
        form.query_one("#submit").press()
        await pilot.pause()
        assert app.screen is form
        assert "Snapshot size (bytes): a whole number" in str(
            form.query_one("#form-error", Static).render()
        )
        assert journal_path(demo_root, STOPPED).read_bytes() == before


async def test_a_kind_that_needs_nothing_is_completed_after_a_confirmation(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.title_text == "Record #0 validate-topology completed?"
        await pilot.press("y")
        await settle(pilot)
        journal = journal_on_disk(demo_root, DRY_RUN)
        assert state_of(journal, 0) == OperationState.COMPLETED
        assert journal.operation_receipts[-1].outcome == "completed"


async def test_recording_with_nothing_pending_says_to_start_first(
    make_app: AppFactory, demo_root: Path
) -> None:
    before = journal_path(demo_root, DRY_RUN).read_bytes()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, BackupsScreen)
        assert notices(app) == [
            "Nothing is pending: #0 validate-topology is ready. Press s to start it before "
            "recording it completed."
        ]
        assert journal_path(demo_root, DRY_RUN).read_bytes() == before


async def test_recording_failed_makes_the_reason_its_blocking_reason(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_snapshot_seven(pilot)
        await pilot.press("f")
        await pilot.pause()
        await type_text(pilot, "subnet busy")
        await pilot.press("enter")
        await settle(pilot)
        journal = journal_on_disk(demo_root, STOPPED)
        assert state_of(journal, 7) == OperationState.FAILED
        assert journal.operations[7].blocking_reasons == ["subnet busy"]
        assert journal.operation_receipts[-1].failure_reason == "subnet busy"
        assert screen.operations.row_at(7).detail == "subnet busy"


async def test_recording_failed_without_a_reason_is_refused(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        before = journal_path(demo_root, STOPPED).read_bytes()
        await pilot.press("f")
        await pilot.pause()
        form = app.screen
        await type_text(pilot, "   ")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        assert "Required: Failure reason" in str(form.query_one("#form-error", Static).render())
        assert journal_path(demo_root, STOPPED).read_bytes() == before


async def test_recording_skipped_after_confirming(make_app: AppFactory, demo_root: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        journal = journal_on_disk(demo_root, STOPPED)
        assert state_of(journal, 7) == OperationState.SKIPPED
        assert journal.operation_receipts[-1].outcome == "skipped"


async def test_declining_the_skip_changes_nothing(make_app: AppFactory, demo_root: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await start_snapshot_seven(pilot)
        before = journal_path(demo_root, STOPPED).read_bytes()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert journal_path(demo_root, STOPPED).read_bytes() == before


async def test_retry_puts_the_failed_snapshot_back_to_ready(
    make_app: AppFactory, demo_root: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, STOPPED)
        await pilot.press("t")
        await settle(pilot)
        journal = journal_on_disk(demo_root, STOPPED)
        assert state_of(journal, 7) == OperationState.READY
        assert journal.operations[7].blocking_reasons == []
        assert screen.operations.row_at(7).operation.state == OperationState.READY


async def test_retry_with_no_failed_operation_changes_nothing(
    make_app: AppFactory, demo_root: Path
) -> None:
    before = journal_path(demo_root, DRY_RUN).read_bytes()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("t")
        await settle(pilot)
        assert notices(app) == [f"No operation of {DRY_RUN} has failed: nothing to retry."]
        assert journal_path(demo_root, DRY_RUN).read_bytes() == before


async def test_a_step_out_of_order_is_refused_with_canics_message(
    make_app: AppFactory, demo_root: Path
) -> None:
    """The screen still shows #0 pending, but another process has moved the run on."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("s")
        await settle(pilot)
        other = make_app().service
        other.record_operation(DRY_RUN, 0, "completed")  # type: ignore[arg-type]
        other.start_next_operation(DRY_RUN)
        before = journal_path(demo_root, DRY_RUN).read_bytes()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert journal_path(demo_root, DRY_RUN).read_bytes() == before
        assert errors(app) == [
            "operation 0 is not pending (it is completed); mark it pending before recording "
            "its receipt"
        ]


# The journal's lock.


async def test_a_locked_journal_says_who_holds_it(make_app: AppFactory, demo_root: Path) -> None:
    write_lock(demo_root, DRY_RUN, os.getpid())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert f"Locked by pid {os.getpid()} — running" in static_text(screen, "#backups-lock")


async def test_a_step_on_a_locked_journal_is_refused_naming_the_holder(
    make_app: AppFactory, demo_root: Path
) -> None:
    write_lock(demo_root, DRY_RUN, os.getpid())
    before = journal_path(demo_root, DRY_RUN).read_bytes()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("s")
        await settle(pilot)
        assert journal_path(demo_root, DRY_RUN).read_bytes() == before
        [message] = errors(app)
        assert message.startswith("backup execution journal is locked: ")
        assert message.endswith(f"(by running process {os.getpid()})")


async def test_a_stale_lock_is_broken_with_u(make_app: AppFactory, demo_root: Path) -> None:
    lock = write_lock(demo_root, DRY_RUN, DEAD_PID)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert "not running: press u to break" in static_text(screen, "#backups-lock")
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert not lock.exists()
        assert not screen.query_one("#backups-lock", Static).display
        assert notices(app) == [f"Broke the stale lock on {DRY_RUN} (held by pid {DEAD_PID})"]


async def test_a_live_lock_is_not_broken(make_app: AppFactory, demo_root: Path) -> None:
    lock = write_lock(demo_root, DRY_RUN, os.getpid())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        await pilot.press("u")
        await settle(pilot)
        assert lock.read_text() == f"pid={os.getpid()}\n"
        [message] = errors(app)
        assert message.endswith(f"(by running process {os.getpid()})")


def shown_keys(screen: BackupsScreen) -> set[str]:
    return {
        active.binding.key
        for active in screen.active_bindings.values()
        if active.binding.show and active.enabled
    }


async def test_break_lock_is_offered_for_a_stale_lock(
    make_app: AppFactory, demo_root: Path
) -> None:
    write_lock(demo_root, DRY_RUN, DEAD_PID)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert "u" in shown_keys(screen)


async def test_break_lock_is_not_offered_for_a_live_lock(
    make_app: AppFactory, demo_root: Path
) -> None:
    write_lock(demo_root, DRY_RUN, os.getpid())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert "u" not in shown_keys(screen)


async def test_break_lock_is_not_offered_without_a_lock(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert screen.check_action("break_lock", ()) is False


# Read-only, the palette.

STEP_KEYS = ["a", "s", "d", "f", "x", "t", "u"]


async def test_read_only_hides_every_step_key(make_app: AppFactory, demo_root: Path) -> None:
    write_lock(demo_root, DRY_RUN, DEAD_PID)
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_backups(pilot, DRY_RUN)
        assert shown_keys(screen).isdisjoint(STEP_KEYS)


async def test_read_only_step_keys_change_nothing(make_app: AppFactory, demo_root: Path) -> None:
    before = journal_path(demo_root, STOPPED).read_bytes()
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, STOPPED)
        for key in STEP_KEYS:
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(app.screen, BackupsScreen)
        assert journal_path(demo_root, STOPPED).read_bytes() == before


async def test_each_folder_is_published_to_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot)
        entries = {entry.key: entry for entry in app.catalog.candidates("2026")}
        assert entries[DRY_RUN].kind == "backup"
        assert entries[DRY_RUN].help == "dry-run · 0/15"
        assert entries[STOPPED].help == "failed · 7/15"


async def test_a_palette_jump_opens_that_folder_at_its_next_operation(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        app.open_entity("backup", DRY_RUN)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        assert screen.stepper is not None and screen.stepper.folder.name == DRY_RUN
        assert screen.operations.cursor_key == "0"
        assert screen.operations.has_focus


# A large journal.


def write_large_plan(folder: Path, canisters: int) -> int:
    """canic's plan shape for `canisters` targets; returns the number of operations."""
    checks = [
        "validate-topology",
        "validate-control-authority",
        "validate-snapshot-read-authority",
        "validate-quiescence-policy",
    ]
    phases: list[dict[str, object]] = [
        {"operation_id": kind, "order": order, "kind": kind} for order, kind in enumerate(checks)
    ]
    for number in range(canisters):
        for kind, prefix in (
            ("stop", "stop"),
            ("create-snapshot", "snapshot"),
            ("start", "start"),
            ("download-snapshot", "download"),
            ("verify-artifact", "verify"),
        ):
            canister = f"canister-{number}"
            phases.append(
                {
                    "operation_id": f"{prefix}-{canister}",
                    "order": len(phases),
                    "kind": kind,
                    "target_canister_id": canister,
                }
            )
    phases.append(
        {"operation_id": "finalize-manifest", "order": len(phases), "kind": "finalize-manifest"}
    )
    folder.mkdir(parents=True)
    (folder / PLAN_FILE).write_text(
        json.dumps({"plan_id": "plan-big", "run_id": "run-big", "phases": phases})
    )
    return len(phases)


async def test_a_10000_operation_journal_opens_and_steps(
    make_app: AppFactory, demo_root: Path
) -> None:
    # How fast is measured by bench/run.py; this proves the large case works at all.
    count = write_large_plan(demo_root / "backups" / "huge", 1999)
    assert count == 10_000
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_backups(pilot, DRY_RUN)
        app.open_entity("backup", "huge")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        assert screen.operations.row_count == 10_000
        await pilot.press("s")
        await settle(pilot)
        assert screen.operations.row_at(0).operation.state == OperationState.PENDING
