"""Plan and journal files: canic's exact shape, typed errors, never an invalid write."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.backups.files import (
    JOURNAL_FILE,
    PLAN_FILE,
    JournalWriter,
    dump_journal,
    load_journal,
    load_plan,
    save_journal,
)
from core.backups.journal import accept_preflight, journal_from_plan, mark_pending, next_operation
from core.models.backups import BackupPlan, ExecutionJournal, OperationState
from core.models.errors import InvalidJournal, NotFound, ParseError, QuarterdeckError

EXAMPLES = Path(__file__).parent / "examples"
JOURNAL_EXAMPLES = [
    "backup-execution-journal.dry-run.json",
    "backup-execution-journal.failed-snapshot-after-stop.json",
]


@pytest.mark.parametrize("name", JOURNAL_EXAMPLES)
def test_saving_a_loaded_example_journal_writes_the_same_bytes(tmp_path: Path, name: str) -> None:
    target = tmp_path / JOURNAL_FILE
    save_journal(target, load_journal(EXAMPLES / name))
    assert target.read_bytes() == (EXAMPLES / name).read_bytes()


def test_every_optional_field_is_written_as_null(
    tmp_path: Path, dry_run_journal: ExecutionJournal
) -> None:
    target = tmp_path / JOURNAL_FILE
    save_journal(target, mark_pending(dry_run_journal, 0, None))
    written = json.loads(target.read_text())
    assert written["preflight_id"] is None
    assert written["operations"][0]["state_updated_at"] is None
    assert written["operations"][0]["target_canister_id"] is None


def test_unknown_fields_survive_a_load_and_a_save(tmp_path: Path) -> None:
    document = json.loads((EXAMPLES / JOURNAL_EXAMPLES[1]).read_text())
    document["written_by"] = "canic 0.36"
    document["operations"][0]["attempts"] = 3
    document["operation_receipts"][0]["host"] = {"name": "ops-1"}
    source = tmp_path / "in.json"
    source.write_text(json.dumps(document))
    target = tmp_path / JOURNAL_FILE
    save_journal(target, load_journal(source))
    saved = json.loads(target.read_text())
    assert saved["written_by"] == "canic 0.36"
    assert saved["operations"][0]["attempts"] == 3
    assert saved["operation_receipts"][0]["host"] == {"name": "ops-1"}


def test_a_journal_is_written_as_two_space_indented_json_ending_in_a_newline(
    dry_run_journal: ExecutionJournal,
) -> None:
    text = dump_journal(dry_run_journal).decode()
    assert text.startswith('{\n  "journal_version": 1,\n  "plan_id": "plan-001",')
    assert text.endswith("\n}\n")


def test_the_journal_writer_gives_pydantics_bytes_at_every_step_of_a_run(
    make_plan: Callable[..., BackupPlan],
    complete_next: Callable[..., ExecutionJournal],
) -> None:
    journal = accept_preflight(journal_from_plan(make_plan(2)), "preflight-1", "unix:10")
    writer = JournalWriter()
    while next_operation(journal) is not None:
        assert writer.dump(journal) == journal.model_dump_json(indent=2).encode() + b"\n"
        journal = complete_next(journal)
    assert writer.dump(journal) == journal.model_dump_json(indent=2).encode() + b"\n"
    # Every step after the preflight checks wrote a receipt: 2 canisters x 5, and the manifest.
    assert len(journal.operation_receipts) == 11


def test_the_journal_writer_keeps_unknown_fields_at_every_level(tmp_path: Path) -> None:
    document = json.loads((EXAMPLES / JOURNAL_EXAMPLES[1]).read_text())
    document["written_by"] = {"tool": "canic", "operations": []}
    document["operations"][0]["attempts"] = [1, {"operation_receipts": []}]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(document))
    journal = load_journal(source)
    expected = journal.model_dump_json(indent=2).encode() + b"\n"
    writer = JournalWriter()
    assert writer.dump(journal) == expected
    assert writer.dump(journal) == expected  # the second time from reused text


def test_the_journal_writer_serializes_a_replaced_operation_again(
    dry_run_journal: ExecutionJournal,
) -> None:
    writer = JournalWriter()
    writer.dump(dry_run_journal)
    changed = mark_pending(dry_run_journal, 0, None)
    assert b'"state": "pending"' in writer.dump(changed)
    assert b'"state": "pending"' not in writer.dump(dry_run_journal)


def test_an_invalid_journal_is_never_written(
    tmp_path: Path, dry_run_journal: ExecutionJournal
) -> None:
    target = tmp_path / JOURNAL_FILE
    save_journal(target, dry_run_journal)
    before = target.read_bytes()
    with pytest.raises(InvalidJournal, match=f"{target}: unsupported journal_version 7"):
        save_journal(target, dry_run_journal.model_copy(update={"journal_version": 7}))
    assert target.read_bytes() == before


def test_saving_leaves_no_temporary_file_behind(
    tmp_path: Path, dry_run_journal: ExecutionJournal
) -> None:
    save_journal(tmp_path / JOURNAL_FILE, dry_run_journal)
    assert [path.name for path in tmp_path.iterdir()] == [JOURNAL_FILE]


def test_malformed_json_is_a_parse_error_naming_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / JOURNAL_FILE
    target.write_text('{\n  "journal_version": 1,\n  "plan_id": "plan-001"\n  "run_id": "x"\n}\n')
    with pytest.raises(ParseError) as failed:
        load_journal(target)
    assert (failed.value.path, failed.value.line) == (str(target), 4)
    assert str(failed.value).startswith(f"{target}:4: malformed JSON")


def test_a_field_of_the_wrong_shape_is_a_parse_error_naming_the_field(tmp_path: Path) -> None:
    document = json.loads((EXAMPLES / JOURNAL_EXAMPLES[0]).read_text())
    document["operations"][3]["state"] = "sleeping"
    target = tmp_path / JOURNAL_FILE
    target.write_text(json.dumps(document))
    with pytest.raises(ParseError, match=r"operations\[3\]\.state: Input should be 'ready'"):
        load_journal(target)


def test_a_missing_required_field_is_a_parse_error_naming_the_field(tmp_path: Path) -> None:
    target = tmp_path / PLAN_FILE
    target.write_text('{"plan_id": "plan-001", "run_id": "run-001"}')
    with pytest.raises(ParseError, match=f"{target}: phases: Field required"):
        load_plan(target)


def test_a_file_that_is_not_utf8_is_a_parse_error_naming_its_line(tmp_path: Path) -> None:
    target = tmp_path / JOURNAL_FILE
    target.write_bytes(b'{\n"plan_id": "\xff"\n}')
    with pytest.raises(ParseError, match="not UTF-8") as failed:
        load_journal(target)
    assert failed.value.line == 2


def test_a_journal_breaking_a_rule_is_invalid_and_names_the_file(tmp_path: Path) -> None:
    document = json.loads((EXAMPLES / JOURNAL_EXAMPLES[0]).read_text())
    document["operations"][4]["state"] = "ready"
    document["operations"][4]["blocking_reasons"] = []
    target = tmp_path / JOURNAL_FILE
    target.write_text(json.dumps(document))
    with pytest.raises(InvalidJournal, match=rf"^{target}: operation 4 \(stop\) is ready before"):
        load_journal(target)


def test_a_plan_breaking_a_rule_is_invalid_and_names_the_file(tmp_path: Path) -> None:
    document = json.loads((EXAMPLES / PLAN_FILE).read_text())
    document["phases"][2]["order"] = 1
    target = tmp_path / PLAN_FILE
    target.write_text(json.dumps(document))
    with pytest.raises(InvalidJournal, match=f"^{target}: backup plan: order 1 is used by both"):
        load_plan(target)


def test_a_missing_journal_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="backup execution journal not found"):
        load_journal(tmp_path / JOURNAL_FILE)


def test_the_example_plan_loads_with_its_fleet_and_targets(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / PLAN_FILE, tmp_path / PLAN_FILE)
    plan = load_plan(tmp_path / PLAN_FILE)
    assert (plan.fleet, plan.network, len(plan.targets), len(plan.phases)) == (
        "demo",
        "local",
        1,
        10,
    )
    assert (
        plan.model_extra is not None and plan.model_extra["quiescence_policy"] == "root-coordinated"
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_readers(tmp_path: Path, data: bytes) -> None:
    target = tmp_path / "fuzz.json"
    target.write_bytes(data)
    for load in (load_journal, load_plan):
        # Anything but these two typed errors fails the test.
        with contextlib.suppress(ParseError, InvalidJournal):
            load(target)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    position=st.integers(min_value=0, max_value=9),
    field=st.sampled_from(
        ["sequence", "operation_id", "kind", "state", "blocking_reasons", "extra"]
    ),
    value=json_values,
)
def test_any_json_value_in_an_operation_gives_a_journal_or_a_typed_error(
    tmp_path: Path, position: int, field: str, value: object
) -> None:
    document = json.loads((EXAMPLES / JOURNAL_EXAMPLES[1]).read_text())
    document["operations"][position][field] = value
    target = tmp_path / "fuzz.json"
    target.write_text(json.dumps(document))
    try:
        journal = load_journal(target)
    except QuarterdeckError as error:
        assert isinstance(error, (ParseError, InvalidJournal))
    else:
        assert journal.operations[position].state in set(OperationState)
