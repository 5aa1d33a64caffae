"""Whatever bytes a backlog file holds, reading it gives items or a typed ParseError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.backlog.store import BacklogStore
from core.models.errors import ParseError

# Fragments of real backlog files, so that many examples get past the TOML parser.
FRAGMENTS = [
    "schema_version = 1\n",
    "schema_version = 2\n",
    'schema_version = "1"\n',
    "[[items]]\n",
    "[items.data]\n",
    "[items]\n",
    "items = []\n",
    "items = [1, 2]\n",
    'items = [{item_ref = "a#0"}]\n',
    'item_ref = "foo#1"\n',
    "item_ref = 7\n",
    'deferred_at = "2026-05-18T13:10:00Z"\n',
    "deferred_at = 2026-05-18T13:10:00Z\n",
    'deferred_from_session = "20260518T130000Z-K7QXM3"\n',
    'note = "later"\n',
    "note = true\n",
    'data = "flat"\n',
    'category = "rephrasing"\n',
    "index = 0\n",
    "\n",
    "# comment\n",
    "=",
    '"',
    "[",
    "]",
]


def read_bytes_as_backlog(root: Path, raw: bytes) -> None:
    """Every example overwrites the same file, so tmp_path can be shared between them."""
    store = BacklogStore(root)
    store.backlog_dir.mkdir(parents=True, exist_ok=True)
    store.path_of("critique-review").write_bytes(raw)
    try:
        items = store.read("critique-review")
    except ParseError as error:
        assert error.path == str(store.path_of("critique-review"))
        return
    assert all(item.kind == "critique-review" for item in items)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_reading_arbitrary_bytes_never_crashes(tmp_path: Path, raw: bytes) -> None:
    read_bytes_as_backlog(tmp_path, raw)


@FUZZ
@given(fragments=st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_reading_shuffled_backlog_fragments_never_crashes(
    tmp_path: Path, fragments: list[str]
) -> None:
    read_bytes_as_backlog(tmp_path, "".join(fragments).encode())


def test_deeply_nested_values_are_a_parse_error(tmp_path: Path) -> None:
    store = BacklogStore(tmp_path)
    store.backlog_dir.mkdir(parents=True)
    nested = b"schema_version = 1\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n"
    store.path_of("critique-review").write_bytes(nested)

    with pytest.raises(ParseError, match="nested too deeply"):
        store.read("critique-review")
