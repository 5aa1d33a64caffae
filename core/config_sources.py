"""Where settings come from, read into plain dicts that a pydantic model then validates.

Both the dashboard's settings (core.config) and the server's (core.server.settings) are
merged here from their sources, highest precedence first. This was pydantic-settings: its
imports made every CLI command start ~40 ms later (the dashboard ~10 ms: Textual imports
much of the same), and a malformed variable ended in a traceback that did not name it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from core.models.errors import InvalidInput, ParseError

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_CONTAINERS = (list, dict, set, frozenset, tuple)


def merged(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """One dict of values from `sources`, highest precedence first."""
    values: dict[str, Any] = {}
    for source in reversed(sources):
        values.update(source)
    return values


def _takes_json(annotation: Any) -> bool:
    """Whether a field's variable holds JSON (lists and mappings), not a bare string."""
    origin = get_origin(annotation)
    if origin in _CONTAINERS:
        return True
    if origin in (Union, types.UnionType):
        return any(_takes_json(arg) for arg in get_args(annotation))
    return False


def environment(model: type[BaseModel], prefix: str) -> dict[str, Any]:
    """The `<prefix><FIELD>` variables that name a field of `model`, in any letter case.

    A field that holds a list or a mapping reads its variable as JSON, e.g.
    `QUARTERDECK_BACKUP_ROOTS='["backups", "/mnt/backups"]'`.
    """
    prefix = prefix.lower()
    found = {
        name.lower()[len(prefix) :]: (name, value)
        for name, value in os.environ.items()
        if name.lower().startswith(prefix)
    }
    values: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if field not in found:
            continue
        name, value = found[field]
        if _takes_json(info.annotation):
            try:
                values[field] = json.loads(value)
            except json.JSONDecodeError as error:
                raise InvalidInput(
                    f"environment variable {name} is not valid JSON ({error.msg}, at "
                    f'character {error.pos}); a list looks like \'["one", "two"]\''
                ) from error
        else:
            values[field] = value
    return values


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; a broken file is a ParseError naming its file and line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ParseError(str(path), None, error.strerror or str(error)) from error
    except UnicodeDecodeError as error:
        raise ParseError(str(path), None, f"not valid UTF-8 ({error.reason})") from error
    except tomllib.TOMLDecodeError as error:
        # Python < 3.14 has no `lineno`: the position is only in the message.
        reason = str(error)
        line = getattr(error, "lineno", None)
        position = _TOML_POSITION.search(reason)
        if position:
            line = line or int(position.group(1))
            reason = reason[: position.start()]
        raise ParseError(str(path), line, reason) from error


def validation_problems(error: ValidationError) -> str:
    """`field: what is wrong` for each problem, as one line."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    )
