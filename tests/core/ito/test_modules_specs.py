"""Modules (module.md / module.yaml, sub-modules) and main specs (FORMATS.md §1, §2)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import core.ito.workspace as workspace_module
from core.ito.modules import parse_module_md, parse_module_yaml_description
from core.models.changes import ModuleSummary, SpecSummary
from core.models.errors import InvalidInput, NotFound, ParseError

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def test_modules_are_listed_by_id_with_their_names(build: Builder) -> None:
    build.module("024_ito-backend", module_md="# Ito Backend\n")
    build.module("001_setup", yaml="description: x\n")
    assert build.workspace().list_modules() == [
        ModuleSummary(id="001", name="setup", change_count=0),
        ModuleSummary(id="024", name="ito-backend", change_count=0),
    ]


def test_folders_not_named_nnn_name_are_not_modules(build: Builder) -> None:
    build.module("notes")
    build.module("24_short")
    assert build.workspace().list_modules() == []


def test_change_count_covers_active_and_archived_changes(build: Builder) -> None:
    build.module("024_ito-backend")
    build.change("024-01_a")
    build.change("024-02_b", archived=True, folder="2026-01-01-024-02_b")
    build.change("025-01_other")
    assert build.workspace().list_modules()[0].change_count == 2


def test_sub_modules_are_listed_after_their_parent(build: Builder) -> None:
    parent = build.module("024_ito-backend")
    (parent / "sub" / "01_auth").mkdir(parents=True)
    build.module("025_next")
    assert [(m.id, m.name) for m in build.workspace().list_modules()] == [
        ("024", "ito-backend"),
        ("024.01", "auth"),
        ("025", "next"),
    ]


def test_a_sub_module_counts_its_own_changes_and_the_module_counts_all(build: Builder) -> None:
    parent = build.module("024_ito-backend")
    (parent / "sub" / "01_auth").mkdir(parents=True)
    build.change("024.01-01_login")
    build.change("024-03_plain")
    counts = {m.id: m.change_count for m in build.workspace().list_modules()}
    assert counts == {"024": 2, "024.01": 1}


def _age(*folders: Path, seconds: float = 60.0) -> None:
    """Set the folders' mtimes into the past, as folders left alone for a while have."""
    for folder in folders:
        stamp = folder.stat().st_mtime - seconds
        os.utime(folder, (stamp, stamp))


def test_counts_are_not_made_again_while_the_changes_folders_are_unchanged(
    build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build.module("024_ito-backend")
    build.change("024-01_a")
    build.change("024-02_b", archived=True)
    changes = build.ito_dir / "changes"
    _age(changes, changes / "archive")
    workspace = build.workspace()
    first = workspace.list_modules()
    listed: list[Path] = []
    monkeypatch.setattr(workspace_module, "active_folders", lambda d: listed.append(d) or [])
    assert workspace.list_modules() == first
    assert listed == []


def test_a_change_added_after_a_count_is_counted(build: Builder) -> None:
    build.module("024_ito-backend")
    build.change("024-01_a")
    changes = build.ito_dir / "changes"
    _age(changes)
    workspace = build.workspace()
    assert workspace.list_modules()[0].change_count == 1
    build.change("024-02_b")
    assert workspace.list_modules()[0].change_count == 2


def test_an_archived_change_removed_after_a_count_is_not_counted(build: Builder) -> None:
    build.module("024_ito-backend")
    build.change("024-01_a", archived=True)
    archive = build.ito_dir / "changes" / "archive"
    _age(archive.parent, archive)
    workspace = build.workspace()
    assert workspace.list_modules()[0].change_count == 1
    shutil.rmtree(archive / "024-01_a")
    assert workspace.list_modules()[0].change_count == 0


def test_a_count_of_a_just_changed_folder_is_made_again_next_time(build: Builder) -> None:
    # Two changes within one mtime tick leave the folder's mtime where the first put it.
    build.module("024_ito-backend")
    build.change("024-01_a")
    changes = build.ito_dir / "changes"
    workspace = build.workspace()
    tick = changes.stat().st_mtime_ns
    assert workspace.list_modules()[0].change_count == 1
    build.change("024-02_b")
    os.utime(changes, ns=(tick, tick))
    assert workspace.list_modules()[0].change_count == 2


def test_module_detail_reads_module_md(build: Builder) -> None:
    build.module("024_ito-backend", module_md=build.fixture("example_module_024.md"))
    detail = build.workspace().get_module("024")
    assert (detail.id, detail.name, detail.title) == ("024", "ito-backend", "Ito Backend")
    assert detail.description is not None
    assert detail.description.startswith("Introduce a shared Ito backend service")
    assert detail.scope[:2] == ["backend-state-api", "backend-server-cli"]
    assert len(detail.scope) == 19
    assert detail.changes[0] == "024-01_add-shared-state-api"
    assert len(detail.changes) == 16


def test_module_detail_falls_back_to_module_yaml(build: Builder) -> None:
    build.module("001_setup", yaml='name: setup\ndescription: "Project \\"setup\\" work"\n')
    assert build.workspace().get_module("001").description == 'Project "setup" work'


def test_a_sub_module_can_be_opened_by_its_id(build: Builder) -> None:
    parent = build.module("024_ito-backend")
    sub = parent / "sub" / "02_sync"
    sub.mkdir(parents=True)
    (sub / "module.md").write_text("# Sync\n\n## Purpose\nKeep copies aligned.\n")
    detail = build.workspace().get_module("024.02")
    assert (detail.name, detail.title, detail.description) == (
        "sync",
        "Sync",
        "Keep copies aligned.",
    )


def test_an_unknown_module_is_not_found(build: Builder) -> None:
    with pytest.raises(NotFound, match="module not found: 099"):
        build.workspace().get_module("099")


def test_a_module_md_that_is_not_utf8_is_a_parse_error(build: Builder) -> None:
    build.module("024_x", module_md="")
    (build.ito_dir / "modules" / "024_x" / "module.md").write_bytes(b"# T\n\n\x80")
    with pytest.raises(ParseError, match=r"module\.md:3"):
        build.workspace().get_module("024")


def test_ito_placeholder_purpose_is_no_description() -> None:
    doc = parse_module_md("# M\n\n## Purpose\n<!-- Describe the purpose of this module/epic -->\n")
    assert doc.purpose is None


def test_change_lines_yield_their_ids_with_or_without_a_checkbox() -> None:
    doc = parse_module_md("## Changes\n- [x] 001-01_a\n- [ ] 001-02_b (planned)\n- 001-03_c\n")
    assert doc.changes == ["001-01_a", "001-02_b", "001-03_c"]


def test_a_purpose_section_ends_at_the_next_heading() -> None:
    doc = parse_module_md("## Purpose\nFirst.\nSecond.\n## Scope\n- a\n")
    assert (doc.purpose, doc.scope) == ("First.\nSecond.", ["a"])


@pytest.mark.parametrize(
    "yaml, description",
    [
        ("description: plain words\n", "plain words"),
        ("description: 'it''s quoted'\n", "it's quoted"),
        ("description: words # a comment\n", "words"),
        ("name: x\n", None),
        ("description:\n", None),
    ],
)
def test_module_yaml_descriptions(yaml: str, description: str | None) -> None:
    assert parse_module_yaml_description(yaml) == description


def test_specs_are_listed_by_capability(build: Builder) -> None:
    build.main_spec("backend-auth", "x")
    path = build.main_spec("api", "y")
    build.set_mtime(path, datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC))
    (build.ito_dir / "specs" / "empty-folder").mkdir()
    rows = build.workspace().list_specs()
    assert [r.id for r in rows] == ["api", "backend-auth"]
    assert rows[0] == SpecSummary(
        id="api", path="specs/api/spec.md", last_modified="2026-02-03T04:05:06Z"
    )


def test_a_spec_document_holds_its_markdown(build: Builder) -> None:
    build.main_spec("backend-auth", build.fixture("spec_delta_024-01_backend-auth.md"))
    doc = build.workspace().get_spec("backend-auth")
    assert (doc.id, doc.path) == ("backend-auth", "specs/backend-auth/spec.md")
    assert doc.markdown.startswith("## ADDED Requirements")


def test_an_unknown_spec_is_not_found(build: Builder) -> None:
    with pytest.raises(NotFound):
        build.workspace().get_spec("nope")


def test_a_spec_id_that_escapes_the_specs_folder_is_refused(build: Builder) -> None:
    with pytest.raises(InvalidInput):
        build.workspace().get_spec("../changes")
