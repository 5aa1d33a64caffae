from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.backlog.review import BacklogReview
from core.backlog.store import BacklogStore
from core.fsutil import append_line_durably, atomic_write
from core.models.backlog import BacklogItem, Decision
from core.models.errors import NotFound, ParseError
from core.timeutil import fixed_clock

MakeItem = Callable[..., BacklogItem]
NOW = datetime(2026, 5, 19, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def review(aristo_root: Path) -> BacklogReview:
    return BacklogReview(aristo_root, clock=fixed_clock(NOW))


@pytest.fixture
def store(aristo_root: Path) -> BacklogStore:
    return BacklogStore(aristo_root)


def refs(items: list[BacklogItem]) -> list[str]:
    return [item.item_ref for item in items]


def test_list_gives_every_kind_sorted_by_kind_then_deferral_time(
    review: BacklogReview, store: BacklogStore, make_item: MakeItem
) -> None:
    store.write(
        "proof-review",
        [make_item("p#1", "2026-05-18T14:00:00Z", "proof-review")],
    )
    store.write(
        "critique-review",
        [make_item("late#0", "2026-05-18T13:30:00Z"), make_item("early#0", "2026-05-18T13:00:00Z")],
    )

    assert [(i.kind, i.item_ref) for i in review.list()] == [
        ("critique-review", "early#0"),
        ("critique-review", "late#0"),
        ("proof-review", "p#1"),
    ]


def test_list_of_one_kind_gives_only_that_kind(
    review: BacklogReview, aristo_root: Path, with_examples: Path
) -> None:
    assert refs(review.list("proof-review")) == [
        "balance_no_dup_cells#0",
        "balance_no_dup_cells#verdict",
    ]


def test_accepting_removes_the_item_and_keeps_the_others(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")

    assert refs(store.read("critique-review")) == ["open#0"]


def test_rejecting_removes_the_item(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "open#0", Decision.REJECT, "not an issue", "kim")

    assert refs(store.read("critique-review")) == ["foo#1"]


def test_keeping_deferred_without_a_note_leaves_the_file_untouched(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    path = store.path_of("critique-review")
    before = path.read_bytes()

    review.decide("critique-review", "foo#1", Decision.DEFER, None, "kim")

    assert path.read_bytes() == before


def test_keeping_deferred_with_a_note_replaces_the_note(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "open#0", Decision.DEFER, "after the release", "kim")

    assert [(i.item_ref, i.note) for i in store.read("critique-review")] == [
        ("foo#1", "later"),
        ("open#0", "after the release"),
    ]


def test_deciding_an_item_not_in_the_backlog_is_not_found(
    review: BacklogReview, with_examples: Path
) -> None:
    with pytest.raises(NotFound, match="backlog item not found: critique-review/nope#0"):
        review.decide("critique-review", "nope#0", Decision.ACCEPT, None, "kim")

    assert review.decisions() == []


def test_the_record_holds_the_whole_item_and_who_decided_when(
    review: BacklogReview, store: BacklogStore, make_item: MakeItem
) -> None:
    item = make_item("a#0", note="n", data={"severity": "nit"}, extra={"reviewer": "lee"})
    store.write("critique-review", [item])

    record = review.decide("critique-review", "a#0", Decision.REJECT, "noise", "kim")

    assert (record.decision, record.note, record.decided_by, record.decided_at) == (
        Decision.REJECT,
        "noise",
        "kim",
        "2026-05-19T09:00:00Z",
    )
    assert BacklogItem.model_validate(record.item) == item
    assert BacklogItem.model_validate(record.item).extra == {"reviewer": "lee"}
    assert review.decisions() == [record]


def test_the_decision_log_is_one_json_object_per_line(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")
    review.decide("critique-review", "open#0", Decision.DEFER, None, "kim")

    lines = review.log_path.read_text().splitlines()
    assert [json.loads(line)["item"]["item_ref"] for line in lines] == ["foo#1", "open#0"]


def test_the_decision_is_recorded_before_the_item_leaves_the_backlog(
    review: BacklogReview,
    store: BacklogStore,
    with_examples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("core.backlog.store.atomic_write", _raise_oserror)

    with pytest.raises(OSError, match="simulated crash"):
        review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")

    assert [r.key for r in review.decisions()] == [
        ("critique-review", "foo#1", "2026-05-18T13:10:00Z")
    ]
    assert refs(store.read("critique-review")) == ["foo#1", "open#0"]


def test_reconcile_finishes_an_interrupted_acceptance(
    review: BacklogReview,
    store: BacklogStore,
    with_examples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("core.backlog.store.atomic_write", _raise_oserror)
    with pytest.raises(OSError):
        review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")
    monkeypatch.setattr("core.backlog.store.atomic_write", atomic_write)

    assert review.reconcile() == 1
    assert refs(store.read("critique-review")) == ["open#0"]


def test_reconcile_applies_an_interrupted_note(
    review: BacklogReview,
    store: BacklogStore,
    with_examples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("core.backlog.store.atomic_write", _raise_oserror)
    with pytest.raises(OSError):
        review.decide("critique-review", "open#0", Decision.DEFER, "next sprint", "kim")
    monkeypatch.setattr("core.backlog.store.atomic_write", atomic_write)

    assert review.reconcile() == 1
    assert store.read("critique-review")[1].note == "next sprint"


def test_list_finishes_interrupted_decisions_first(
    review: BacklogReview,
    with_examples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("core.backlog.store.atomic_write", _raise_oserror)
    with pytest.raises(OSError):
        review.decide("critique-review", "foo#1", Decision.REJECT, None, "kim")
    monkeypatch.setattr("core.backlog.store.atomic_write", atomic_write)

    assert refs(review.list("critique-review")) == ["open#0"]


def test_reconcile_is_idempotent(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")
    review.decide("critique-review", "open#0", Decision.DEFER, "soon", "kim")
    after_decisions = store.path_of("critique-review").read_bytes()

    assert review.reconcile() == 0
    assert review.reconcile() == 0
    assert store.path_of("critique-review").read_bytes() == after_decisions


def test_a_later_deferral_of_the_same_ref_is_not_removed_by_an_old_decision(
    review: BacklogReview, store: BacklogStore, make_item: MakeItem
) -> None:
    store.write("critique-review", [make_item("a#0", "2026-05-18T13:00:00Z")])
    review.decide("critique-review", "a#0", Decision.ACCEPT, None, "kim")
    store.write("critique-review", [make_item("a#0", "2026-05-20T08:00:00Z")])

    assert review.reconcile() == 0
    assert [i.deferred_at for i in store.read("critique-review")] == ["2026-05-20T08:00:00Z"]


def test_deciding_a_ref_deferred_twice_acts_on_the_oldest_deferral(
    review: BacklogReview, store: BacklogStore, make_item: MakeItem
) -> None:
    store.write(
        "critique-review",
        [make_item("a#0", "2026-05-18T13:00:00Z"), make_item("a#0", "2026-05-19T13:00:00Z")],
    )

    record = review.decide("critique-review", "a#0", Decision.REJECT, None, "kim")

    assert record.item["deferred_at"] == "2026-05-18T13:00:00Z"
    assert [i.deferred_at for i in store.read("critique-review")] == ["2026-05-19T13:00:00Z"]


def test_unknown_item_keys_of_the_other_items_survive_a_decision(
    review: BacklogReview, store: BacklogStore, make_item: MakeItem
) -> None:
    store.write(
        "critique-review",
        [make_item("a#0"), make_item("b#0", extra={"reviewer": "lee", "weight": 2.5})],
    )

    review.decide("critique-review", "a#0", Decision.ACCEPT, None, "kim")

    assert store.read("critique-review")[0].extra == {"reviewer": "lee", "weight": 2.5}


def test_an_item_aristo_appends_during_a_decision_is_kept(
    review: BacklogReview,
    store: BacklogStore,
    with_examples: Path,
    make_item: MakeItem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    def append_then_aristo_defers(path: Path, line: str) -> None:
        append_line_durably(path, line)
        # aristo's own read-modify-write lands between our read and our rewrite.
        current = store.read("critique-review")
        store.write("critique-review", [*current, make_item("new#3", "2026-05-19T08:00:00Z")])

    monkeypatch.setattr("core.backlog.review.append_line_durably", append_then_aristo_defers)

    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")

    assert refs(store.read("critique-review")) == ["open#0", "new#3"]


def test_a_torn_last_line_in_the_log_is_ignored(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.DEFER, None, "kim")
    with review.log_path.open("ab") as log:
        log.write(b'{"decision_id": "x", "decision": "acc')

    assert len(review.decisions()) == 1
    assert review.reconcile() == 0
    assert refs(store.read("critique-review")) == ["foo#1", "open#0"]


def test_a_complete_but_unterminated_last_line_was_never_acknowledged(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")
    last_line = review.log_path.read_bytes()
    review.log_path.write_bytes(last_line.rstrip(b"\n"))

    assert review.decisions() == []


def test_the_next_decision_after_a_torn_line_starts_on_its_own_line(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.log_path.write_bytes(b'{"decision_id": "torn')

    review.decide("critique-review", "open#0", Decision.ACCEPT, None, "kim")

    assert [r.item["item_ref"] for r in review.decisions()] == ["open#0"]
    assert review.log_path.read_bytes().count(b"\n") == 1


def test_a_garbled_line_in_the_middle_of_the_log_is_a_parse_error(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.DEFER, None, "kim")
    with review.log_path.open("ab") as log:
        log.write(b"not json\n")
    review.decide("critique-review", "open#0", Decision.DEFER, None, "kim")

    with pytest.raises(ParseError) as caught:
        review.decisions()

    assert (caught.value.path, caught.value.line) == (str(review.log_path), 2)


def test_the_decision_log_is_invisible_to_aristos_kinds(
    review: BacklogReview, store: BacklogStore, with_examples: Path
) -> None:
    review.decide("critique-review", "foo#1", Decision.ACCEPT, None, "kim")

    assert store.kinds() == ["critique-review", "proof-review"]


def _raise_oserror(path: Path, data: bytes | str) -> None:
    raise OSError("simulated crash before the rewrite")
