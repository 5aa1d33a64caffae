"""`quarterdeck serve` configuration, a drop-in for `ito backend serve`.

Precedence, highest first: flags, `QUARTERDECK_SERVER_*` environment variables, ito's
`ITO_BACKEND_ADMIN_TOKEN` / `ITO_BACKEND_TOKEN_SEED`, the config file (`--config`,
`QUARTERDECK_SERVER_CONFIG`, or `<data_dir>/quarterdeck-server.toml`), defaults. The data
dir defaults to ito's own (`$XDG_DATA_HOME/ito/backend`), so either server runs over the
other's data.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from core.models.errors import InvalidInput, ParseError
from core.server import CONFIG_NAME


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "ito" / "backend"


class AllowList(BaseModel):
    """ito's allow-list: listed orgs, each with `"*"` or a list of repos.

    `--allow-org ORG` allows every repo of ORG; an empty allow-list refuses every project.
    """

    orgs: list[str] = Field(default_factory=list)
    repos: dict[str, str | list[str]] = Field(default_factory=dict)

    def allows(self, org: str, repo: str) -> bool:
        if org not in self.orgs:
            return False
        policy = self.repos.get(org, "*")
        return policy == "*" if isinstance(policy, str) else repo in policy


class _ItoEnvSource(PydanticBaseSettingsSource):
    """ito's own variable names, so a deployment's environment carries over unchanged."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if os.environ.get("ITO_BACKEND_ADMIN_TOKEN"):
            values["admin_tokens"] = [os.environ["ITO_BACKEND_ADMIN_TOKEN"]]
        if os.environ.get("ITO_BACKEND_TOKEN_SEED"):
            values["token_seed"] = os.environ["ITO_BACKEND_TOKEN_SEED"]
        return values


class _FileSource(PydanticBaseSettingsSource):
    """The TOML config file; where it is depends on flags and environment (see module doc)."""

    def __init__(self, settings_cls: type[BaseSettings], init_kwargs: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        path = self._locate(init_kwargs)
        self._values = read_config_file(path) if path is not None else {}

    @staticmethod
    def _locate(init_kwargs: dict[str, Any]) -> Path | None:
        explicit = init_kwargs.get("config_file") or os.environ.get("QUARTERDECK_SERVER_CONFIG")
        if explicit:
            return Path(explicit)
        data_dir = Path(
            init_kwargs.get("data_dir")
            or os.environ.get("QUARTERDECK_SERVER_DATA_DIR")
            or default_data_dir()
        )
        candidate = data_dir / CONFIG_NAME
        return candidate if candidate.is_file() else None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUARTERDECK_SERVER_", extra="ignore")

    bind: str = "127.0.0.1"
    port: int = Field(default=9010, ge=0, le=65535)
    data_dir: Path = Field(default_factory=default_data_dir)
    allow_orgs: list[str] = Field(default_factory=list)
    allow_repos: dict[str, str | list[str]] = Field(default_factory=dict)
    admin_tokens: list[SecretStr] = Field(default_factory=list)
    token_seed: SecretStr | None = None
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    config_file: Path | None = None

    @property
    def allow_list(self) -> AllowList:
        return AllowList(orgs=self.allow_orgs, repos=self.allow_repos)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_kwargs = (
            init_settings.init_kwargs if isinstance(init_settings, InitSettingsSource) else {}
        )
        return (
            init_settings,
            env_settings,
            _ItoEnvSource(settings_cls),
            _FileSource(settings_cls, init_kwargs),
        )


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InvalidInput(f"server config file not found: {path}") from error
    except tomllib.TOMLDecodeError as error:
        raise ParseError(str(path), getattr(error, "lineno", None), str(error)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ParseError(str(path), None, str(error)) from error


def load_server_settings(**flags: Any) -> ServerSettings:
    """Flags override everything; `None` flags mean "not given"."""
    given = {key: value for key, value in flags.items() if value is not None}
    try:
        return ServerSettings(**given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        raise InvalidInput(f"bad server configuration: {problems}") from error
