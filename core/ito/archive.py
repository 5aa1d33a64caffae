"""The file side of archiving (FORMATS.md §1 "Archive", seed 000 steps 2 and 3).

Like ito, a delta spec is copied whole over `specs/<capability>/spec.md`; merging the
ADDED/MODIFIED/REMOVED sections into the current spec is not part of this flow.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.fsutil import atomic_write, fsync_dir
from core.ito.bundles import SPEC_FILE, delta_specs
from core.ito.ids import require_safe_component
from core.models.errors import InvalidTransition


def copy_specs_to_main(change_dir: Path, specs_dir: Path) -> list[str]:
    """Copy each delta spec to the main specs tree; the capabilities copied, sorted."""
    copied: list[str] = []
    for capability, path in delta_specs(change_dir):
        atomic_write(specs_dir / capability / SPEC_FILE, path.read_bytes())
        copied.append(capability)
    return copied


def move_to_archive(change_dir: Path, archive_dir: Path, archive_name: str) -> str:
    """Rename the change folder to `archive/<archive_name>`; refuse if that exists.

    The existence check matters: rename(2) silently replaces an empty target folder.
    """
    require_safe_component(archive_name, "archive folder name")
    target = archive_dir / archive_name
    if os.path.lexists(target):
        raise InvalidTransition(
            f"cannot archive {change_dir.name}: {target} already exists; nothing was moved"
        )
    archive_dir.mkdir(parents=True, exist_ok=True)
    os.rename(change_dir, target)
    fsync_dir(archive_dir)
    fsync_dir(change_dir.parent)
    return archive_name
