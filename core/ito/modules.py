"""Modules (ito's "epics"): `modules/NNN_name/module.md` or `module.yaml`, sub-modules under
`sub/` (FORMATS.md §1 "Modules"). Section rules follow ito's `create/mod.rs`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.ito.ids import parse_module_folder, parse_sub_module_folder
from core.ito.text import content_lines, decode_utf8

SUB_MODULES_FOLDER = "sub"
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_YAML_DESCRIPTION = re.compile(r"description:[ \t]*(.*?)[ \t]*")


@dataclass(frozen=True)
class ModuleDocument:
    title: str | None = None
    purpose: str | None = None
    scope: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModuleFolder:
    module_id: str  # `NNN`, or `NNN.SS` for a sub-module
    name: str
    path: Path


def _bullet(stripped: str) -> str | None:
    if stripped.startswith(("- ", "* ")):
        item = stripped[2:].strip()
        return item or None
    return None


def _change_of(stripped: str) -> str | None:
    """`- [x] 024-01_name (planned)` or `- 024-01_name` → the id token."""
    item = _bullet(stripped)
    if item is None:
        return None
    if len(item) >= 3 and item[0] == "[" and item[2] == "]":
        item = item[3:].strip()
    words = item.split()
    return words[0] if words else None


def parse_module_md(text: str) -> ModuleDocument:
    """`# Title`, `## Purpose` text, `## Scope` bullets, `## Changes` ids."""
    title: str | None = None
    section: str | None = None
    purpose: list[str] = []
    scope: list[str] = []
    changes: list[str] = []
    for _, line in content_lines(text).lines:
        stripped = line.strip()
        if stripped.startswith("## ") or stripped == "##":
            section = stripped[2:].strip()
            continue
        if stripped.startswith("# "):
            if title is None:
                title = stripped[2:].strip() or None
            section = None
            continue
        if section == "Purpose":
            purpose.append(line)
        elif section == "Scope":
            item = _bullet(stripped)
            if item is not None:
                scope.append(item)
        elif section == "Changes":
            change = _change_of(stripped)
            if change is not None:
                changes.append(change)
    # ito writes an HTML comment as the placeholder purpose of a new module.
    description = _HTML_COMMENT.sub("", "\n".join(purpose)).strip()
    return ModuleDocument(title, description or None, scope, changes)


def parse_module_md_bytes(data: bytes, path: str) -> ModuleDocument:
    return parse_module_md(decode_utf8(data, path))


def parse_module_yaml_description(text: str) -> str | None:
    """The top-level `description:` of a module.yaml (a scalar on one line)."""
    for line in text.split("\n"):
        match = _YAML_DESCRIPTION.fullmatch(line.rstrip("\r"))
        if match is None:
            continue
        value = match[1]
        if value.startswith('"'):
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value.strip('"')
            return decoded if isinstance(decoded, str) and decoded else None
        if value.startswith("'") and value.endswith("'") and len(value) >= 2:
            return value[1:-1].replace("''", "'") or None
        value = value.split(" #", 1)[0].strip()
        return value or None
    return None


def _folders(parent: Path) -> list[tuple[str, Path]]:
    try:
        with os.scandir(parent) as entries:
            return [(e.name, Path(e.path)) for e in entries if e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def module_folders(modules_dir: Path) -> list[ModuleFolder]:
    """Every module and sub-module folder, sorted by id (`024` < `024.01` < `025`)."""
    found: list[ModuleFolder] = []
    for name, path in _folders(modules_dir):
        parsed = parse_module_folder(name)
        if parsed is None:
            continue
        module_id, module_name = parsed
        found.append(ModuleFolder(module_id, module_name, path))
        for sub_name, sub_path in _folders(path / SUB_MODULES_FOLDER):
            sub = parse_sub_module_folder(module_id, sub_name)
            if sub is not None:
                found.append(ModuleFolder(sub[0], sub[1], sub_path))
    found.sort(key=lambda folder: (folder.module_id, folder.name))
    return found
