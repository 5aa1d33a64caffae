"""Settings and workspace discovery.

Precedence, highest first: command-line flags, `QUARTERDECK_*` environment variables,
`quarterdeck.toml`, `[tool.quarterdeck]` in `pyproject.toml`, the `backend` section of
ito's `.ito/config.json` (so an ito workspace in backend mode "just works"), defaults.
Relative paths are relative to the workspace root.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from core.config_sources import environment, merged, read_toml, validation_problems
from core.models.errors import InvalidInput, ParseError

CONFIG_FILE = "quarterdeck.toml"
ITO_DIR = ".ito"
ENV_PREFIX = "QUARTERDECK_"


def default_holder() -> str:
    """`user@host`: who a lease taken from this machine belongs to."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return f"{user}@{socket.gethostname()}"


def user_state_dir() -> Path:
    """Where the TUI remembers the last screen and theme (XDG state dir)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "quarterdeck"


def user_cache_dir() -> Path:
    """Where a remote backend keeps its last listings (XDG cache dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quarterdeck"


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "quarterdeck" in data.get("tool", {})


def discover_workspace(start: Path) -> Path:
    """The nearest folder, from `start` upwards, that holds Quarterdeck config or `.ito/`.

    Falls back to `start` itself: an empty workspace is a valid (empty) workspace.
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / ITO_DIR).is_dir():
            return folder
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return folder
    return start


def _toml_values(path: Path, *table: str) -> dict[str, Any]:
    """The settings in a TOML file (in `table`, if given); none if there is no such file."""
    if not path.is_file():
        return {}
    values: Any = read_toml(path)
    for name in table:
        values = values.get(name, {}) if isinstance(values, dict) else {}
    return values if isinstance(values, dict) else {}


def ito_backend_values(path: Path) -> dict[str, Any]:
    """The `backend` section of `.ito/config.json` (FORMATS.md §1 "Backend config")."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ParseError(str(path), error.lineno, error.msg) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ParseError(str(path), None, str(error)) from error
    backend = data.get("backend") if isinstance(data, dict) else None
    if not isinstance(backend, dict):
        return {}
    values: dict[str, Any] = {}
    if backend.get("enabled"):
        values["backend"] = "remote"
    for key in ("url", "token", "token_env_var", "timeout_ms", "max_retries"):
        if backend.get(key) is not None:
            values[key] = backend[key]
    project = backend.get("project") or {}
    org = os.environ.get("ITO_BACKEND_PROJECT_ORG") or project.get("org")
    repo = os.environ.get("ITO_BACKEND_PROJECT_REPO") or project.get("repo")
    if org and repo:
        values["project"] = f"{org}/{repo}"
    return values


class Settings(BaseModel):
    """What a session runs with; `load_settings` gathers it from every source."""

    model_config = ConfigDict(extra="ignore")

    workspace: Path
    holder: str = Field(default_factory=default_holder)
    lease_ttl_seconds: int = Field(default=1800, ge=1, le=7 * 24 * 3600)
    refresh_interval_seconds: float = Field(default=5.0, ge=0.5)
    read_only: bool = False

    backend: Literal["local", "remote"] = "local"
    url: str = "http://127.0.0.1:9010"
    project: str | None = None
    token: SecretStr | None = None
    token_env_var: str = "ITO_BACKEND_TOKEN"
    timeout_ms: int = Field(default=30_000, ge=1)
    max_retries: int = Field(default=3, ge=0)
    # A local backend may keep its store in another workspace (e.g. a shared folder);
    # by default the workspace is its own store and there is nothing to sync with.
    local_store: Path | None = None

    ito_dir: Path = Path(ITO_DIR)
    state_dir: Path = Path(".quarterdeck")
    backup_roots: list[Path] = Field(default_factory=lambda: [Path("backups")])
    aristo_root: Path | None = None
    release_graph: Path = Path(".quarterdeck/release-graph.json")
    release_command: str | None = None
    release_timeout_seconds: float = Field(default=600.0, gt=0)

    @field_validator("project")
    @classmethod
    def _project_is_org_repo(cls, value: str | None) -> str | None:
        if value is not None and (value.count("/") != 1 or "" in value.split("/")):
            raise ValueError("project must look like org/repo")
        return value

    # Paths, resolved against the workspace root.

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.workspace / path

    @property
    def ito_path(self) -> Path:
        return self.resolve(self.ito_dir)

    @property
    def state_path(self) -> Path:
        return self.resolve(self.state_dir)

    @property
    def backup_paths(self) -> list[Path]:
        return [self.resolve(root) for root in self.backup_roots]

    @property
    def release_graph_path(self) -> Path:
        return self.resolve(self.release_graph)

    def aristo_path(self) -> Path | None:
        if self.aristo_root is not None:
            return self.resolve(self.aristo_root)
        from core.backlog.store import find_aristo_root

        return find_aristo_root(self.workspace)

    def resolved_token(self) -> str | None:
        if self.token is not None:
            return self.token.get_secret_value()
        return os.environ.get(self.token_env_var) or None

    def project_parts(self) -> tuple[str, str]:
        if not self.project:
            raise InvalidInput(
                "remote backend needs a project: --project org/repo, QUARTERDECK_PROJECT, "
                "or backend.project in .ito/config.json"
            )
        org, repo = self.project.split("/")
        return org, repo


def load_settings(workspace: Path | None = None, **overrides: Any) -> Settings:
    """Discover the workspace from `workspace` (or the cwd) and load its settings.

    `overrides` are command-line values; `None` means "not given".
    """
    root = discover_workspace(workspace or Path.cwd())
    values = merged(
        {key: value for key, value in overrides.items() if value is not None},
        environment(Settings, ENV_PREFIX),
        _toml_values(root / CONFIG_FILE),
        _toml_values(root / "pyproject.toml", "tool", "quarterdeck"),
        ito_backend_values(root / ITO_DIR / "config.json"),
    )
    try:
        return Settings(**{**values, "workspace": root})
    except ValidationError as error:
        raise InvalidInput(
            f"bad configuration for workspace {root}: {validation_problems(error)}"
        ) from error
