"""The local working copy's side of sync: bundles, backups, revisions (FORMATS.md §2)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.models.errors import ChangeArchived, InvalidInput, NotFound
from core.models.sync import ArtifactBundle

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder

STAMP = "20261122T100000_123456Z"


def bundle(change_id: str = "024-01_x", **fields: object) -> ArtifactBundle:
    values: dict[str, object] = {
        "proposal": "# New proposal\n",
        "tasks": "- [ ] new task\n",
        "specs": [("backend-auth", "## ADDED Requirements\n")],
        "revision": "2026-11-22T09:00:00.000001Z",
    }
    values.update(fields)
    return ArtifactBundle(change_id=change_id, **values)


def test_read_bundle_collects_the_change_artifacts(build: Builder) -> None:
    build.change(
        "024-01_x",
        proposal="P\n",
        design="D\n",
        tasks="T\n",
        specs={"zeta": "Z\n", "alpha": "A\n"},
    )
    assert build.workspace().read_bundle("024-01_x") == ArtifactBundle(
        change_id="024-01_x",
        proposal="P\n",
        design="D\n",
        tasks="T\n",
        specs=[("alpha", "A\n"), ("zeta", "Z\n")],
        revision="",
    )


def test_read_bundle_carries_the_stored_revision_stripped(build: Builder) -> None:
    path = build.change("024-01_x")
    (path / ".backend-revision").write_text("rev-7\n")
    assert build.workspace().read_bundle("024-01_x").revision == "rev-7"


def test_read_bundle_refuses_an_archived_change(build: Builder) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x")
    with pytest.raises(ChangeArchived):
        build.workspace().read_bundle("024-01_x")


def test_read_bundle_of_an_unknown_change_is_not_found(build: Builder) -> None:
    with pytest.raises(NotFound):
        build.workspace().read_bundle("024-01_x")


def test_a_pull_writes_the_bundle_files_and_its_revision(build: Builder, tmp_path: Path) -> None:
    path = build.change("024-01_x")
    outcome = build.workspace().write_bundle("024-01_x", bundle(), tmp_path / "backups")
    assert (path / "proposal.md").read_text() == "# New proposal\n"
    assert (path / "tasks.md").read_text() == "- [ ] new task\n"
    assert (path / "specs" / "backend-auth" / "spec.md").read_text() == "## ADDED Requirements\n"
    assert (path / ".backend-revision").read_text() == "2026-11-22T09:00:00.000001Z"
    assert (outcome.direction, outcome.revision) == ("pull", "2026-11-22T09:00:00.000001Z")
    assert outcome.files_written == [
        "proposal.md",
        "tasks.md",
        "specs/backend-auth/spec.md",
        ".backend-revision",
    ]


def test_a_pull_backs_up_the_old_artifacts_first(build: Builder, tmp_path: Path) -> None:
    path = build.change("024-01_x", proposal="old proposal\n", specs={"backend-auth": "old spec\n"})
    (path / ".backend-revision").write_text("old-rev")
    outcome = build.workspace().write_bundle("024-01_x", bundle(), tmp_path / "backups")
    backup = tmp_path / "backups" / "024-01_x" / STAMP
    assert outcome.backup_dir == str(backup)
    assert (backup / "proposal.md").read_text() == "old proposal\n"
    assert (backup / "specs" / "backend-auth" / "spec.md").read_text() == "old spec\n"
    assert (backup / ".backend-revision").read_text() == "old-rev"


def test_the_backup_holds_only_artifacts(build: Builder, tmp_path: Path) -> None:
    path = build.change("024-01_x")
    (path / "notes.txt").write_text("mine")
    build.workspace().write_bundle("024-01_x", bundle(), tmp_path / "backups")
    backup = tmp_path / "backups" / "024-01_x" / STAMP
    assert sorted(p.name for p in backup.iterdir()) == ["proposal.md"]


def test_two_backups_in_one_clock_tick_do_not_mix(build: Builder, tmp_path: Path) -> None:
    build.change("024-01_x")
    workspace = build.workspace()
    workspace.write_bundle("024-01_x", bundle(), tmp_path / "b")
    second = workspace.write_bundle("024-01_x", bundle(), tmp_path / "b")
    assert second.backup_dir == str(tmp_path / "b" / "024-01_x" / f"{STAMP}-2")


def test_a_pull_into_a_new_change_creates_it_without_a_backup(
    build: Builder, tmp_path: Path
) -> None:
    outcome = build.workspace().write_bundle("024-05_new", bundle("024-05_new"), tmp_path / "b")
    path = build.ito_dir / "changes" / "024-05_new"
    assert (path / ".ito.yaml").read_text() == (
        f"schema: spec-driven\ncreated: {date(2026, 11, 22).isoformat()}\n"
    )
    assert outcome.backup_dir is None
    assert not (tmp_path / "b").exists()


def test_a_pull_never_deletes_files_the_bundle_lacks(build: Builder, tmp_path: Path) -> None:
    path = build.change("024-01_x", design="my design\n", specs={"local-only": "keep me\n"})
    outcome = build.workspace().write_bundle("024-01_x", bundle(), tmp_path / "b")
    assert (path / "design.md").read_text() == "my design\n"
    assert (path / "specs" / "local-only" / "spec.md").read_text() == "keep me\n"
    assert outcome.files_kept == ["design.md", "specs/local-only/spec.md"]


def test_an_unsafe_capability_is_refused_before_anything_is_written(
    build: Builder, tmp_path: Path
) -> None:
    path = build.change("024-01_x", proposal="untouched\n")
    evil = bundle(specs=[("ok", "x"), ("../../escape", "x")])
    with pytest.raises(InvalidInput, match="spec capability"):
        build.workspace().write_bundle("024-01_x", evil, tmp_path / "b")
    assert (path / "proposal.md").read_text() == "untouched\n"
    assert not (tmp_path / "b").exists()


def test_a_new_change_needs_a_valid_id(build: Builder, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        build.workspace().write_bundle("Not An Id", bundle("Not An Id"), tmp_path / "b")
    assert not (build.ito_dir / "changes" / "Not An Id").exists()


def test_a_bundle_for_another_change_is_refused(build: Builder, tmp_path: Path) -> None:
    build.change("024-01_x")
    with pytest.raises(InvalidInput, match="'024-02_y'"):
        build.workspace().write_bundle("024-01_x", bundle("024-02_y"), tmp_path / "b")


def test_a_pull_onto_an_archived_change_is_refused(build: Builder, tmp_path: Path) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x")
    with pytest.raises(ChangeArchived):
        build.workspace().write_bundle("024-01_x", bundle(), tmp_path / "b")


def test_recording_a_pushed_revision_backs_up_the_old_one(build: Builder, tmp_path: Path) -> None:
    path = build.change("024-01_x")
    (path / ".backend-revision").write_text("rev-1")
    outcome = build.workspace().write_revision("024-01_x", "rev-2", tmp_path / "b")
    assert (path / ".backend-revision").read_text() == "rev-2"
    assert (tmp_path / "b" / "024-01_x" / STAMP / ".backend-revision").read_text() == "rev-1"
    assert (outcome.direction, outcome.revision) == ("push", "rev-2")


def test_text_that_cannot_be_stored_as_utf8_is_refused(build: Builder, tmp_path: Path) -> None:
    build.change("024-01_x")
    with pytest.raises(InvalidInput, match="not valid Unicode"):
        build.workspace().write_bundle("024-01_x", bundle(proposal="\ud800"), tmp_path / "b")
