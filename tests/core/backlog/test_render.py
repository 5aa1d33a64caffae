"""Rewriting a backlog renders only new items, yet writes exactly what tomli_w writes (issue 5).

aristo reads what we write back, so the bytes must not depend on which items were rendered
before: whatever the history of rewrites, the text equals tomli_w's rendering of the whole
document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.backlog.render import BlockRenderer, render_backlog, split_blocks
from core.backlog.store import BacklogStore
from core.models.backlog import BacklogItem

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
SCALARS = st.one_of(
    TEXT,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
DATA = st.none() | st.dictionaries(TEXT, VALUES, max_size=4)


@st.composite
def items(draw: st.DrawFn) -> BacklogItem:
    # Short items (no data, no note) fit on one inline line; the others do not.
    return BacklogItem(
        kind="critique-review",
        item_ref=draw(TEXT) + "#" + str(draw(st.integers(0, 9))),
        deferred_at="2026-05-18T13:10:00Z",
        deferred_from_session=draw(st.sampled_from(["s", "20260518T130000Z-K7QXM3"])),
        note=draw(st.none() | TEXT),
        data=draw(DATA),
        extra=draw(st.dictionaries(st.sampled_from(["reviewer", "weight", "x y"]), VALUES)),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[list[BacklogItem]]:
    """A backlog as it is rewritten: items leave, get a new note, or are appended."""
    current = draw(st.lists(items(), max_size=12))
    versions = [current]
    for _ in range(draw(st.integers(1, 6))):
        current = list(current)
        step = draw(st.sampled_from(["remove", "note", "append"]))
        if step == "append" or not current:
            current.append(draw(items()))
        else:
            index = draw(st.integers(0, len(current) - 1))
            if step == "remove":
                del current[index]
            else:
                current[index] = current[index].model_copy(update={"note": draw(TEXT)})
        versions.append(current)
    return versions


SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(history=histories())
def test_rendering_item_by_item_gives_tomli_ws_bytes_whatever_was_rendered_before(
    history: list[list[BacklogItem]],
) -> None:
    renderer = BlockRenderer()
    for version in history:
        text, _ = renderer.render(version)
        assert text == render_backlog(version)


@SETTINGS
@given(history=histories())
def test_a_rewritten_backlog_reads_back_as_a_fresh_store_reads_it(
    tmp_path: Path, history: list[list[BacklogItem]]
) -> None:
    store = BacklogStore(tmp_path)
    for version in history:
        store.write("critique-review", version)
        assert store.read("critique-review") == BacklogStore(tmp_path).read("critique-review")


def test_an_array_of_tables_splits_into_one_block_per_item() -> None:
    def item(ref: str, data: dict[str, Any] | None) -> BacklogItem:
        return BacklogItem(
            kind="k", item_ref=ref, deferred_at="t", deferred_from_session="s", data=data
        )

    rendered = render_backlog([item("a#0", {"items": [{"x": 1}]}), item("b#0", None)])

    blocks = split_blocks(rendered, 2)

    assert blocks is not None
    assert [block.splitlines()[1] for block in blocks] == ['item_ref = "a#0"', 'item_ref = "b#0"']


def test_short_items_are_an_inline_array_with_no_blocks() -> None:
    short = BacklogItem(kind="k", item_ref="a#0", deferred_at="t", deferred_from_session="s")

    text, blocks = BlockRenderer().render([short])

    assert text == render_backlog([short])
    assert text.startswith("schema_version = 1\nitems = [")
    assert blocks is None
