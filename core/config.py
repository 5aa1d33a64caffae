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
import re
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.models.errors import InvalidInput, ParseError

CONFIG_FILE = "quarterdeck.toml"
ITO_DIR = ".ito"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$")


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


def _check_toml(path: Path) -> None:
    """Name the file and line of a broken config file (pydantic-settings would not)."""
    if not path.is_file():
        return
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
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


class ItoConfigSource(PydanticBaseSettingsSource):
    """Reads the `backend` section of `.ito/config.json` (FORMATS.md §1 "Backend config")."""

    def __init__(self, settings_cls: type[BaseSettings], config_path: Path | None) -> None:
        super().__init__(settings_cls)
        self._values = self._read(config_path) if config_path else {}

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
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

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUARTERDECK_", extra="ignore")

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

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        root = None
        if isinstance(init_settings, InitSettingsSource):
            raw = init_settings.init_kwargs.get("workspace")
            root = Path(raw) if raw is not None else None
        if root is None:
            return (init_settings, env_settings)
        config_file = root / CONFIG_FILE
        pyproject = root / "pyproject.toml"
        _check_toml(config_file)
        _check_toml(pyproject)
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, config_file),
            TomlConfigSettingsSource(
                settings_cls, pyproject, toml_table_header=("tool", "quarterdeck")
            ),
            ItoConfigSource(settings_cls, root / ITO_DIR / "config.json"),
        )

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
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(workspace=root, **given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise InvalidInput(f"bad configuration for workspace {root}: {problems}") from error
