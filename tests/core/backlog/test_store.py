from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.backlog.store import BacklogStore, find_aristo_root
from core.models.backlog import BacklogItem
from core.models.errors import InvalidInput, ParseError

MakeItem = Callable[..., BacklogItem]


def test_the_aristo_root_is_the_nearest_folder_holding_aristo_toml(tmp_path: Path) -> None:
    (tmp_path / "aristo.toml").write_text("")
    inner = tmp_path / "sub" / "project"
    (inner / "deep" / "er").mkdir(parents=True)
    (inner / "aristo.toml").write_text("")

    assert find_aristo_root(inner / "deep" / "er") == inner.resolve()


def test_no_aristo_root_above_a_folder_without_aristo_toml(tmp_path: Path) -> None:
    assert find_aristo_root(tmp_path / "nowhere") is None


def test_the_critique_review_example_parses_to_its_items(
    aristo_root: Path, with_examples: Path
) -> None:
    items = BacklogStore(aristo_root).read("critique-review")

    assert items == [
        BacklogItem(
            kind="critique-review",
            item_ref="foo#1",
            deferred_at="2026-05-18T13:10:00Z",
            deferred_from_session="20260518T130000Z-K7QXM3",
            note="later",
            data={
                "category": "rephrasing",
                "rationale": "double negation",
                "severity": "strong-suggest",
                "suggested_text": "rewrite",
            },
        ),
        BacklogItem(
            kind="critique-review",
            item_ref="open#0",
            deferred_at="2026-05-18T13:20:00Z",
            deferred_from_session="20260518T130000Z-K7QXM3",
        ),
    ]


def test_the_proof_review_example_parses_to_its_items(
    aristo_root: Path, with_examples: Path
) -> None:
    items = BacklogStore(aristo_root).read("proof-review")

    assert [(i.item_ref, i.source_id, i.index) for i in items] == [
        ("balance_no_dup_cells#0", "balance_no_dup_cells", "0"),
        ("balance_no_dup_cells#verdict", "balance_no_dup_cells", "verdict"),
    ]
    assert items[0].data is not None and items[0].data["index"] == 0
    assert items[1].data == {
        "kind": "verdict",
        "proof_id": "balance_no_dup_cells",
        "verdict_type": "inconclusive",
    }
    assert all(i.note is None and i.extra == {} for i in items)


def test_kinds_are_the_toml_files_sorted(aristo_root: Path, with_examples: Path) -> None:
    (with_examples / "intent-review.toml").write_text("schema_version = 1\n")
    (with_examples / "review-decisions.jsonl").write_text("")
    (with_examples / ".critique-review.toml.lock").write_text("")
    (with_examples / ".critique-review.toml.123.abcd.tmp").write_text("")
    (with_examples / "notes.txt").write_text("")
    (with_examples / "with space.toml").write_text("")
    (with_examples / "folder.toml").mkdir()

    assert BacklogStore(aristo_root).kinds() == [
        "critique-review",
        "intent-review",
        "proof-review",
    ]


def test_kinds_of_a_root_without_a_backlog_folder_is_empty(tmp_path: Path) -> None:
    assert BacklogStore(tmp_path).kinds() == []


def test_a_missing_backlog_file_is_an_empty_backlog(aristo_root: Path) -> None:
    assert BacklogStore(aristo_root).read("intent-review") == []


def test_written_items_read_back_equal(aristo_root: Path, make_item: MakeItem) -> None:
    store = BacklogStore(aristo_root)
    items = [
        make_item("a#0", note="later", data={"severity": "nit", "nested": {"n": 1}}),
        make_item("b#verdict", deferred_at="2026-05-18T13:11:00Z"),
        make_item("c#2", extra={"priority": 3, "labels": ["x", "y"]}),
    ]

    store.write("critique-review", items)

    assert store.read("critique-review") == items
    assert store.read("critique-review")[2].extra == {"priority": 3, "labels": ["x", "y"]}


def test_writing_uses_aristos_shape(aristo_root: Path, make_item: MakeItem) -> None:
    store = BacklogStore(aristo_root)

    store.write(
        "critique-review",
        [make_item("foo#1", note="later", data={"category": "rephrasing"}, extra={"zz": 1})],
    )

    assert store.path_of("critique-review").read_text() == (
        "schema_version = 1\n"
        "\n"
        "[[items]]\n"
        'item_ref = "foo#1"\n'
        'deferred_at = "2026-05-18T13:10:00Z"\n'
        'deferred_from_session = "20260518T130000Z-K7QXM3"\n'
        'note = "later"\n'
        "zz = 1\n"
        "\n"
        "[items.data]\n"
        'category = "rephrasing"\n'
    )


def test_rewriting_the_examples_keeps_every_item(aristo_root: Path, with_examples: Path) -> None:
    store = BacklogStore(aristo_root)
    for kind in store.kinds():
        before = store.read(kind)
        store.write(kind, before)
        assert store.read(kind) == before


def test_unknown_item_keys_survive_a_rewrite(aristo_root: Path, backlog_dir: Path) -> None:
    (backlog_dir / "intent-review.toml").write_text(
        "schema_version = 1\n"
        "[[items]]\n"
        'item_ref = "i#0"\n'
        'deferred_at = "2026-05-18T13:10:00Z"\n'
        'deferred_from_session = "s"\n'
        'reviewer = "kim"\n'
        "[items.origin]\n"
        'tool = "aristo 0.9"\n'
    )
    store = BacklogStore(aristo_root)

    store.write("intent-review", store.read("intent-review"))

    (item,) = store.read("intent-review")
    assert item.extra == {"reviewer": "kim", "origin": {"tool": "aristo 0.9"}}


def test_malformed_toml_is_a_parse_error_naming_file_and_line(
    aristo_root: Path, backlog_dir: Path
) -> None:
    path = backlog_dir / "critique-review.toml"
    path.write_text('schema_version = 1\n[[items]]\nitem_ref = "a#0\n')

    with pytest.raises(ParseError) as caught:
        BacklogStore(aristo_root).read("critique-review")

    assert caught.value.path == str(path)
    assert caught.value.line == 3


def test_an_item_missing_a_required_key_names_the_item_and_its_line(
    aristo_root: Path, backlog_dir: Path
) -> None:
    (backlog_dir / "critique-review.toml").write_text(
        "schema_version = 1\n"
        "\n"
        "[[items]]\n"
        'item_ref = "a#0"\n'
        'deferred_at = "2026-05-18T13:10:00Z"\n'
        'deferred_from_session = "s"\n'
        "\n"
        "[[items]]\n"
        'item_ref = "b#0"\n'
        'deferred_from_session = "s"\n'
    )

    with pytest.raises(ParseError) as caught:
        BacklogStore(aristo_root).read("critique-review")

    assert caught.value.line == 8
    assert caught.value.reason == "items[1]: missing deferred_at"


def test_a_non_string_deferred_at_is_a_parse_error(aristo_root: Path, backlog_dir: Path) -> None:
    (backlog_dir / "critique-review.toml").write_text(
        'schema_version = 1\n[[items]]\nitem_ref = "a#0"\n'
        'deferred_at = 2026-05-18T13:10:00Z\ndeferred_from_session = "s"\n'
    )

    with pytest.raises(ParseError, match="deferred_at must be a string"):
        BacklogStore(aristo_root).read("critique-review")


def test_a_newer_schema_version_is_refused_rather_than_rewritten(
    aristo_root: Path, backlog_dir: Path
) -> None:
    (backlog_dir / "critique-review.toml").write_text("schema_version = 2\n")

    with pytest.raises(ParseError, match="unsupported schema_version 2"):
        BacklogStore(aristo_root).read("critique-review")


def test_invalid_utf8_is_a_parse_error_on_its_line(aristo_root: Path, backlog_dir: Path) -> None:
    (backlog_dir / "critique-review.toml").write_bytes(b"schema_version = 1\n# \xff\n")

    with pytest.raises(ParseError) as caught:
        BacklogStore(aristo_root).read("critique-review")

    assert caught.value.line == 2


@pytest.mark.parametrize("kind", ["", ".hidden", "../escape", "a/b", "sp ace", "x\x00"])
def test_unsafe_kind_names_are_refused(aristo_root: Path, kind: str) -> None:
    with pytest.raises(InvalidInput, match="invalid backlog kind"):
        BacklogStore(aristo_root).read(kind)
