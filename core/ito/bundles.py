"""A change folder's artifacts as an ArtifactBundle, and back (FORMATS.md §2).

Shared by both sides of sync: the local working copy (pull/push with backups) and a backend
store serving its own workspace. Rules follow ito's `backend_sync.rs` (seeds): a pull writes
what the bundle holds and deletes nothing; spec capabilities from the wire are checked as path
components before anything is written.
"""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

from core.fsutil import atomic_write
from core.ito.ids import require_safe_component
from core.ito.text import read_utf8, read_utf8_if_exists
from core.models.errors import InvalidInput
from core.models.sync import ArtifactBundle
from core.timeutil import Clock

DOCUMENTS = ("proposal.md", "design.md", "tasks.md")
REVISION_FILE = ".backend-revision"
SPECS_FOLDER = "specs"
SPEC_FILE = "spec.md"
CHANGE_META_FILE = ".ito.yaml"


def delta_specs(change_dir: Path) -> list[tuple[str, Path]]:
    """`(capability, specs/<cap>/spec.md)` for each delta spec, sorted by capability."""
    try:
        with os.scandir(change_dir / SPECS_FOLDER) as entries:
            caps = [e.name for e in entries if not e.name.startswith(".") and e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = [(cap, change_dir / SPECS_FOLDER / cap / SPEC_FILE) for cap in sorted(caps)]
    return [(cap, path) for cap, path in found if path.is_file()]


def read_revision(change_dir: Path) -> str | None:
    """The stored `.backend-revision`, stripped; None when absent or blank."""
    text = read_utf8_if_exists(change_dir / REVISION_FILE)
    revision = text.strip() if text is not None else ""
    return revision or None


def read_bundle_from(change_dir: Path, change_id: str, revision: str) -> ArtifactBundle:
    documents = {name: read_utf8_if_exists(change_dir / name) for name in DOCUMENTS}
    return ArtifactBundle(
        change_id=change_id,
        proposal=documents["proposal.md"],
        design=documents["design.md"],
        tasks=documents["tasks.md"],
        specs=[(cap, read_utf8(path)) for cap, path in delta_specs(change_dir)],
        revision=revision,
    )


def check_bundle(bundle: ArtifactBundle) -> None:
    """Refuse, before any file is touched, a capability that would escape `specs/` or text
    that cannot be written as UTF-8 (a lone surrogate)."""
    texts = [bundle.proposal, bundle.design, bundle.tasks, bundle.revision]
    for capability, content in bundle.specs:
        require_safe_component(capability, "spec capability")
        texts.extend((capability, content))
    for text in texts:
        if text is not None:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as err:
                raise InvalidInput(
                    f"bundle for {bundle.change_id!r} holds text that is not valid Unicode "
                    f"(at character {err.start})"
                ) from None


def _artifact_paths(change_dir: Path) -> list[Path]:
    """The files a sync may overwrite: the three documents, the revision, everything in specs/."""
    found = [change_dir / name for name in (*DOCUMENTS, REVISION_FILE)]
    found = [path for path in found if path.is_file()]
    for root, _, files in os.walk(change_dir / SPECS_FOLDER):
        found.extend(Path(root) / name for name in sorted(files))
    return found


def backup_artifacts(
    change_dir: Path, change_id: str, backup_root: Path, clock: Clock
) -> Path | None:
    """Copy the change's artifacts to `backup_root/<id>/<stamp>/`; None when there are none.

    Two backups within one clock tick (a pinned clock) get `-2`, `-3`... suffixes rather
    than mixing their files.
    """
    sources = _artifact_paths(change_dir) if change_dir.is_dir() else []
    if not sources:
        return None
    moment = clock().astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S_") + f"{moment.microsecond:06d}Z"
    parent = backup_root / change_id
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / stamp
    attempt = 1
    while True:
        try:
            target.mkdir()
            break
        except FileExistsError:
            attempt += 1
            target = parent / f"{stamp}-{attempt}"
    for source in sources:
        atomic_write(target / source.relative_to(change_dir), source.read_bytes())
    return target


def ensure_change_folder(change_dir: Path, clock: Clock) -> bool:
    """Create the folder with ito's `.ito.yaml` when missing; True when it was created."""
    if change_dir.is_dir():
        return False
    change_dir.mkdir(parents=True)
    created = clock().astimezone(UTC).date().isoformat()
    atomic_write(change_dir / CHANGE_META_FILE, f"schema: spec-driven\ncreated: {created}\n")
    return True


def write_artifacts(change_dir: Path, bundle: ArtifactBundle) -> list[str]:
    """Write what the bundle holds (not its revision); the relative paths written."""
    check_bundle(bundle)
    written: list[str] = []
    for name, content in zip(
        DOCUMENTS, (bundle.proposal, bundle.design, bundle.tasks), strict=True
    ):
        if content is not None:
            atomic_write(change_dir / name, content)
            written.append(name)
    for capability, content in bundle.specs:
        relative = f"{SPECS_FOLDER}/{capability}/{SPEC_FILE}"
        atomic_write(change_dir / relative, content)
        written.append(relative)
    return written


def files_not_in_bundle(change_dir: Path, bundle: ArtifactBundle) -> list[str]:
    """Local artifacts a pull leaves untouched because the bundle does not carry them."""
    carried = {
        "proposal.md": bundle.proposal is not None,
        "design.md": bundle.design is not None,
        "tasks.md": bundle.tasks is not None,
    }
    kept = [name for name in DOCUMENTS if not carried[name] and (change_dir / name).is_file()]
    bundle_caps = {capability for capability, _ in bundle.specs}
    kept.extend(
        f"{SPECS_FOLDER}/{cap}/{SPEC_FILE}"
        for cap, _ in delta_specs(change_dir)
        if cap not in bundle_caps
    )
    return kept
