"""`quarterdeck serve` configuration, a drop-in for `ito backend serve`.

Precedence, highest first: flags, `QUARTERDECK_SERVER_*` environment variables, ito's
`ITO_BACKEND_ADMIN_TOKEN` / `ITO_BACKEND_TOKEN_SEED`, the config file (`--config`,
`QUARTERDECK_SERVER_CONFIG`, or `<data_dir>/quarterdeck-server.toml`), defaults. The data
dir defaults to ito's own (`$XDG_DATA_HOME/ito/backend`), so either server runs over the
other's data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from core.config_sources import environment, merged, read_toml, validation_problems
from core.models.errors import InvalidInput
from core.server import CONFIG_NAME

ENV_PREFIX = "QUARTERDECK_SERVER_"


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


def _ito_environment() -> dict[str, Any]:
    """ito's own variable names, so a deployment's environment carries over unchanged."""
    values: dict[str, Any] = {}
    if os.environ.get("ITO_BACKEND_ADMIN_TOKEN"):
        values["admin_tokens"] = [os.environ["ITO_BACKEND_ADMIN_TOKEN"]]
    if os.environ.get("ITO_BACKEND_TOKEN_SEED"):
        values["token_seed"] = os.environ["ITO_BACKEND_TOKEN_SEED"]
    return values


def _config_file(flags: dict[str, Any]) -> Path | None:
    """The config file to read: named by a flag or variable, else the data dir's, if any."""
    explicit = flags.get("config_file") or os.environ.get("QUARTERDECK_SERVER_CONFIG")
    if explicit:
        return Path(explicit)
    data_dir = Path(
        flags.get("data_dir") or os.environ.get("QUARTERDECK_SERVER_DATA_DIR") or default_data_dir()
    )
    candidate = data_dir / CONFIG_NAME
    return candidate if candidate.is_file() else None


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

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


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InvalidInput(f"server config file not found: {path}")
    return read_toml(path)


def load_server_settings(**flags: Any) -> ServerSettings:
    """Flags override everything; `None` flags mean "not given"."""
    given = {key: value for key, value in flags.items() if value is not None}
    config_file = _config_file(given)
    values = merged(
        given,
        environment(ServerSettings, ENV_PREFIX),
        _ito_environment(),
        read_config_file(config_file) if config_file is not None else {},
    )
    try:
        return ServerSettings(**values)
    except ValidationError as error:
        raise InvalidInput(f"bad server configuration: {validation_problems(error)}") from error
