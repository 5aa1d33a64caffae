"""The file side of archiving: copy delta specs, move the folder (FORMATS.md §1 "Archive")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from core.models.changes import Lifecycle, LifecycleFilter
from core.models.errors import ChangeArchived, InvalidInput, InvalidTransition, NotFound

if TYPE_CHECKING:
    from tests.core.ito.conftest import Builder


def test_delta_specs_are_copied_over_the_main_specs(build: Builder) -> None:
    build.change("024-01_x", specs={"zeta": "new zeta\n", "alpha": "new alpha\n"})
    build.main_spec("zeta", "old zeta\n")
    copied = build.workspace().copy_specs_to_main("024-01_x")
    assert copied == ["alpha", "zeta"]
    assert (build.ito_dir / "specs" / "zeta" / "spec.md").read_text() == "new zeta\n"
    assert (build.ito_dir / "specs" / "alpha" / "spec.md").read_text() == "new alpha\n"


def test_a_change_without_delta_specs_copies_nothing(build: Builder) -> None:
    build.change("024-01_x")
    assert build.workspace().copy_specs_to_main("024-01_x") == []


def test_a_change_moves_to_a_folder_named_for_the_utc_day(build: Builder) -> None:
    path = build.change("024-01_x")
    name = build.workspace().move_to_archive("024-01_x")
    assert name == "2026-11-22-024-01_x"
    assert not path.exists()
    assert (build.ito_dir / "changes" / "archive" / name / "proposal.md").is_file()


def test_the_archive_day_is_the_utc_day_not_the_local_one(build: Builder) -> None:
    build.change("024-01_x")
    evening_in_new_york = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert build.workspace(evening_in_new_york).move_to_archive("024-01_x") == (
        "2026-11-23-024-01_x"
    )


def test_an_archive_name_can_be_given(build: Builder) -> None:
    build.change("024-01_x")
    assert build.workspace().move_to_archive("024-01_x", "2026-01-01-024-01_x") == (
        "2026-01-01-024-01_x"
    )
    assert (build.ito_dir / "changes" / "archive" / "2026-01-01-024-01_x").is_dir()


def test_an_existing_archive_folder_is_never_overwritten(build: Builder) -> None:
    path = build.change("024-01_x")
    build.change("024-01_x", archived=True, folder="2026-11-22-024-01_x", proposal="first\n")
    with pytest.raises(InvalidTransition, match="already exists"):
        build.workspace().move_to_archive("024-01_x")
    assert path.is_dir()
    archived = build.ito_dir / "changes" / "archive" / "2026-11-22-024-01_x"
    assert (archived / "proposal.md").read_text() == "first\n"


def test_an_empty_existing_archive_folder_is_not_overwritten_either(build: Builder) -> None:
    build.change("024-01_x")
    (build.ito_dir / "changes" / "archive" / "2026-11-22-024-01_x").mkdir(parents=True)
    with pytest.raises(InvalidTransition):
        build.workspace().move_to_archive("024-01_x")


def test_an_archived_change_cannot_be_archived_again(build: Builder) -> None:
    build.change("024-01_x", archived=True, folder="2026-01-01-024-01_x")
    with pytest.raises(ChangeArchived):
        build.workspace().move_to_archive("024-01_x")


def test_archiving_an_unknown_change_is_not_found(build: Builder) -> None:
    with pytest.raises(NotFound):
        build.workspace().archive_local("024-01_x", skip_specs=False)


def test_an_archive_name_with_a_path_in_it_is_refused(build: Builder) -> None:
    build.change("024-01_x")
    with pytest.raises(InvalidInput):
        build.workspace().move_to_archive("024-01_x", "../../outside")


def test_archive_local_copies_specs_then_moves(build: Builder) -> None:
    build.change("024-01_x", specs={"backend-auth": "delta\n"})
    copied, name = build.workspace().archive_local("024-01_x", skip_specs=False)
    assert (copied, name) == (["backend-auth"], "2026-11-22-024-01_x")
    assert (build.ito_dir / "specs" / "backend-auth" / "spec.md").read_text() == "delta\n"


def test_archive_local_can_skip_the_specs(build: Builder) -> None:
    build.change("024-01_x", specs={"backend-auth": "delta\n"})
    copied, _ = build.workspace().archive_local("024-01_x", skip_specs=True)
    assert copied == []
    assert not (build.ito_dir / "specs").exists()


def test_an_archived_change_lists_as_archived_on_its_day(build: Builder) -> None:
    build.change("024-01_x")
    workspace = build.workspace()
    workspace.archive_local("024-01_x", skip_specs=True)
    rows = workspace.list_changes(LifecycleFilter.ALL)
    assert [(r.id, r.lifecycle, r.archived_on) for r in rows] == [
        ("024-01_x", Lifecycle.ARCHIVED, "2026-11-22")
    ]
