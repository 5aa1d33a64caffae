from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.models.backlog import BacklogItem

EXAMPLES = Path(__file__).parent


@pytest.fixture
def aristo_root(tmp_path: Path) -> Path:
    """An aristo root (holds `aristo.toml`) with an empty backlog folder."""
    root = tmp_path / "project"
    (root / ".aristo" / "sessions" / "backlog").mkdir(parents=True)
    (root / "aristo.toml").write_text("")
    return root


@pytest.fixture
def backlog_dir(aristo_root: Path) -> Path:
    return aristo_root / ".aristo" / "sessions" / "backlog"


@pytest.fixture
def with_examples(backlog_dir: Path) -> Path:
    """The backlog folder holding aristo's two example files under their real names."""
    for kind in ("critique-review", "proof-review"):
        shutil.copy(EXAMPLES / f"{kind}.backlog.toml", backlog_dir / f"{kind}.toml")
    return backlog_dir


@pytest.fixture
def make_item() -> Callable[..., BacklogItem]:
    def make(
        item_ref: str,
        deferred_at: str = "2026-05-18T13:10:00Z",
        kind: str = "critique-review",
        **fields: Any,
    ) -> BacklogItem:
        return BacklogItem(
            kind=kind,
            item_ref=item_ref,
            deferred_at=deferred_at,
            deferred_from_session="20260518T130000Z-K7QXM3",
            **fields,
        )

    return make
