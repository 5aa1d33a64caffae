"""A review object keeps what it has read (issue 5), yet sees every change made elsewhere.

Each test reads first, so that what it has read is kept, then changes the files the way
another process would, and reads again.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from core.backlog.review import BacklogReview
from core.backlog.store import BacklogStore
from core.fsutil import append_line_durably, atomic_write
from core.models.backlog import BacklogItem, Decision
from core.models.errors import ParseError

MakeItem = Callable[..., BacklogItem]
KIND = "critique-review"
AN_HOUR_AGO_NS = 3600 * 10**9


def refs(items: list[BacklogItem]) -> list[str]:
    return [item.item_ref for item in items]


def edit_in_place(path: Path, old: bytes, new: bytes, *, keep_mtime: bool) -> None:
    """Overwrite `old` with `new` (same length) without replacing the file: same inode and
    size, and, with keep_mtime, the same mtime, as a second edit within one clock tick."""
    assert len(old) == len(new)
    before = os.stat(path)
    raw = path.read_bytes()
    assert old in raw
    with path.open("r+b") as handle:
        handle.write(raw.replace(old, new, 1))
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)


def age(path: Path) -> None:
    """Make the file's last change long past, so its stamp alone may vouch for it."""
    then = os.stat(path).st_mtime_ns - AN_HOUR_AGO_NS
    os.utime(path, ns=(then, then))


def decide_elsewhere(root: Path, item_ref: str, decision: Decision) -> None:
    BacklogReview(root).decide(KIND, item_ref, decision, None, "other-process")


def killed_before_the_rewrite(path: Path, data: bytes | str) -> None:
    raise OSError("killed")


def in_another_process(target: Callable[..., None], *args: object) -> None:
    child = multiprocessing.get_context("fork").Process(target=target, args=args)
    child.start()
    child.join()
    assert child.exitcode == 0


@pytest.fixture
def review(aristo_root: Path) -> BacklogReview:
    return BacklogReview(aristo_root)


# --- the backlog files --------------------------------------------------------------------


def test_a_file_aristo_replaces_is_read_again(
    review: BacklogReview, aristo_root: Path, with_examples: Path, make_item: MakeItem
) -> None:
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]

    aristo = BacklogStore(aristo_root)
    aristo.write(KIND, [*aristo.read(KIND), make_item("new#3", "2026-05-19T08:00:00Z")])

    assert refs(review.list(KIND)) == ["foo#1", "open#0", "new#3"]


def test_an_edit_in_place_within_the_same_clock_tick_is_seen(
    review: BacklogReview, with_examples: Path
) -> None:
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]

    edit_in_place(with_examples / f"{KIND}.toml", b'"open#0"', b'"shut#0"', keep_mtime=True)

    assert refs(review.list(KIND)) == ["foo#1", "shut#0"]


def test_an_edit_in_place_of_a_long_unchanged_file_is_seen(
    review: BacklogReview, with_examples: Path
) -> None:
    path = with_examples / f"{KIND}.toml"
    age(path)
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]

    edit_in_place(path, b'"open#0"', b'"shut#0"', keep_mtime=False)

    assert refs(review.list(KIND)) == ["foo#1", "shut#0"]


def test_an_edit_in_place_right_after_our_own_rewrite_is_seen(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide(KIND, "foo#1", Decision.DEFER, "soon", "kim")
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]

    edit_in_place(with_examples / f"{KIND}.toml", b'"open#0"', b'"shut#0"', keep_mtime=True)

    assert refs(review.list(KIND)) == ["foo#1", "shut#0"]


def test_a_deleted_file_is_an_empty_backlog_again(
    review: BacklogReview, with_examples: Path
) -> None:
    assert len(review.list()) == 4

    (with_examples / f"{KIND}.toml").unlink()

    assert [item.kind for item in review.list()] == ["proof-review", "proof-review"]


def test_a_file_broken_after_a_read_is_a_parse_error_on_every_read(
    review: BacklogReview, with_examples: Path
) -> None:
    review.list(KIND)
    (with_examples / f"{KIND}.toml").write_text("schema_version = 1\n[[items]\n")

    for _ in range(2):
        with pytest.raises(ParseError):
            review.list(KIND)


def test_what_a_rewrite_keeps_in_memory_equals_a_fresh_read(
    review: BacklogReview, aristo_root: Path, make_item: MakeItem
) -> None:
    review.store.write(
        KIND,
        [
            make_item("a#0", data={"when": "x", "n": [1, 2.5, True], "deep": {"k": "v"}}),
            make_item("b#0", extra={"reviewer": "lee", "origin": {"tool": "aristo"}}),
            make_item("c#0", note="was", data={"text": 'quote " and \\ and \n newline'}),
        ],
    )
    review.list(KIND)

    review.decide(KIND, "a#0", Decision.ACCEPT, None, "kim")
    review.decide(KIND, "c#0", Decision.DEFER, "now with a note\tand a tab", "kim")

    assert review.store.read(KIND) == BacklogStore(aristo_root).read(KIND)


# --- decisions made by another process ----------------------------------------------------


def test_a_decision_made_by_another_process_is_seen(
    review: BacklogReview, aristo_root: Path, with_examples: Path
) -> None:
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]
    assert review.decisions() == []

    in_another_process(decide_elsewhere, aristo_root, "foo#1", Decision.ACCEPT)

    assert refs(review.list(KIND)) == ["open#0"]
    assert [(r.key[1], r.decided_by) for r in review.decisions()] == [("foo#1", "other-process")]


def test_a_decision_another_process_recorded_but_did_not_apply_is_finished_by_list(
    review: BacklogReview,
    aristo_root: Path,
    with_examples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    review.decide(KIND, "open#0", Decision.DEFER, None, "kim")
    assert refs(review.list(KIND)) == ["foo#1", "open#0"]

    # The other process dies between recording its decision and rewriting the file.
    monkeypatch.setattr("core.backlog.store.atomic_write", killed_before_the_rewrite)
    with pytest.raises(OSError):
        BacklogReview(aristo_root).decide(KIND, "foo#1", Decision.REJECT, None, "other-process")
    monkeypatch.undo()

    assert refs(review.list(KIND)) == ["open#0"]
    assert [r.decided_by for r in review.decisions()] == ["kim", "other-process"]


def test_a_decision_log_replaced_by_a_shorter_one_is_read_from_the_start(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide(KIND, "foo#1", Decision.DEFER, None, "kim")
    review.decide(KIND, "open#0", Decision.DEFER, None, "kim")
    assert len(review.decisions()) == 2

    first_line = review.log_path.read_bytes().split(b"\n")[0] + b"\n"
    atomic_write(review.log_path, first_line)

    assert [r.key[1] for r in review.decisions()] == ["foo#1"]


def test_a_decision_log_whose_last_line_was_rewritten_is_read_from_the_start(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide(KIND, "foo#1", Decision.DEFER, None, "kim")
    assert [r.decided_by for r in review.decisions()] == ["kim"]

    raw = review.log_path.read_bytes()
    review.log_path.write_bytes(raw.replace(b'"kim"', b'"lee"'))

    assert [r.decided_by for r in review.decisions()] == ["lee"]


def test_a_garbled_line_appended_after_a_read_is_a_parse_error_on_every_read(
    review: BacklogReview, with_examples: Path
) -> None:
    review.decide(KIND, "foo#1", Decision.DEFER, None, "kim")
    assert len(review.decisions()) == 1

    append_line_durably(review.log_path, "not json")

    for _ in range(2):
        with pytest.raises(ParseError) as caught:
            review.list()
        assert caught.value.line == 2


def test_a_torn_line_completed_later_is_read_once_complete(
    review: BacklogReview, aristo_root: Path, with_examples: Path
) -> None:
    other = BacklogReview(aristo_root)
    other.decide(KIND, "open#0", Decision.DEFER, None, "other-process")
    line = review.log_path.read_bytes()
    review.log_path.write_bytes(line[:-20])
    assert review.decisions() == []

    review.log_path.write_bytes(line)

    assert [r.key[1] for r in review.decisions()] == ["open#0"]
