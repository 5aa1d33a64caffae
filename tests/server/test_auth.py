"""Who may call what: ito's two token tiers (admin tokens, per-project tokens derived from a
seed), the allow-list, and every place the server's secrets can come from (flags, ito's
environment variables, the config file `serve --init` writes)."""

from __future__ import annotations

import hashlib
import hmac
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Project
from tests.server.live_server import (
    ADMIN_TOKEN,
    ORG,
    QUARTERDECK,
    LiveServer,
    clean_environment,
    project_token,
)

ROUTES = [
    ("GET", "/changes"),
    ("GET", "/leases"),
    ("GET", "/backups"),
    ("POST", "/leases/allocate"),
]


def call(server: LiveServer, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body = {"holder": "me"} if method == "POST" else None
    return httpx.request(method, server.url + path, json=body, headers=headers, timeout=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["code"]


# --- the matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_no_token_is_401_missing_bearer_token(
    server: LiveServer, project: Project, method: str, route: str
) -> None:
    response = call(server, method, project.prefix + route, {})
    assert refusal(response) == (401, "Missing bearer token", "unauthorized")


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_a_wrong_token_is_401_invalid_bearer_token(
    server: LiveServer, project: Project, method: str, route: str
) -> None:
    response = call(server, method, project.prefix + route, bearer("not-a-token"))
    assert refusal(response) == (401, "Invalid bearer token", "unauthorized")


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_projects_token_is_401_invalid_bearer_token(
    server: LiveServer, project: Project, method: str, route: str
) -> None:
    response = call(server, method, project.prefix + route, bearer(project_token(ORG, "other")))
    assert refusal(response) == (401, "Invalid bearer token", "unauthorized")


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_the_admin_token_is_served(
    server: LiveServer, project: Project, method: str, route: str
) -> None:
    assert call(server, method, project.prefix + route, bearer(ADMIN_TOKEN)).status_code == 200


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_the_projects_own_token_is_served(
    server: LiveServer, project: Project, method: str, route: str
) -> None:
    token = project_token(ORG, project.repo)
    assert call(server, method, project.prefix + route, bearer(token)).status_code == 200


def test_a_token_without_the_bearer_scheme_is_401_missing_bearer_token(
    server: LiveServer, project: Project
) -> None:
    headers = {"Authorization": f"Token {ADMIN_TOKEN}"}
    response = call(server, "GET", project.prefix + "/changes", headers)
    assert refusal(response) == (401, "Missing bearer token", "unauthorized")


def test_a_project_off_the_allow_list_is_403_even_for_the_admin(server: LiveServer) -> None:
    response = call(server, "GET", "/api/v1/projects/other-org/demo/changes", bearer(ADMIN_TOKEN))
    assert refusal(response) == (
        403,
        "Organization/repository 'other-org/demo' is not allowed",
        "forbidden",
    )


def test_the_allow_list_is_checked_before_the_token(server: LiveServer) -> None:
    response = call(server, "GET", "/api/v1/projects/other-org/demo/changes", {})
    assert response.status_code == 403


# --- /auth/verify ------------------------------------------------------------------------


def test_verify_with_the_admin_token_says_admin_scope(server: LiveServer, project: Project) -> None:
    response = call(server, "GET", project.prefix + "/auth/verify", bearer(ADMIN_TOKEN))
    assert response.json() == {"valid": True, "scope": "admin"}


def test_verify_with_a_project_token_names_the_project(
    server: LiveServer, project: Project
) -> None:
    token = project_token(ORG, project.repo)
    response = call(server, "GET", project.prefix + "/auth/verify", bearer(token))
    assert response.json() == {"valid": True, "scope": "project", "org": ORG, "repo": project.repo}


# --- ito's environment variables ---------------------------------------------------------


@pytest.fixture(scope="module")
def env_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"ITO_BACKEND_ADMIN_TOKEN": "env-admin", "ITO_BACKEND_TOKEN_SEED": "env-seed"}
    data = tmp_path_factory.mktemp("env") / "data"
    with LiveServer(data, flags=["--allow-org", ORG], env=env) as live:
        yield live


def test_ito_backend_admin_token_from_the_environment_is_an_admin_token(
    env_server: LiveServer,
) -> None:
    response = call(env_server, "GET", "/api/v1/projects/acme/env/auth/verify", bearer("env-admin"))
    assert response.json() == {"valid": True, "scope": "admin"}


def test_ito_backend_token_seed_from_the_environment_derives_project_tokens(
    env_server: LiveServer,
) -> None:
    token = project_token(ORG, "env", seed="env-seed")
    response = call(env_server, "GET", "/api/v1/projects/acme/env/auth/verify", bearer(token))
    assert response.json() == {"valid": True, "scope": "project", "org": ORG, "repo": "env"}


# --- the config file ---------------------------------------------------------------------


def serve(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`quarterdeck serve` with arguments that make it answer and exit."""
    return subprocess.run(
        [str(QUARTERDECK), "serve", *map(str, args)],
        capture_output=True,
        text=True,
        env=clean_environment(env),
        timeout=60,
        check=False,
    )


def test_init_writes_a_token_seed_to_a_config_file_only_its_owner_can_read(
    tmp_path: Path,
) -> None:
    config = tmp_path / "server.toml"
    done = serve("--config", config, "--init")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    seed = tomllib.loads(config.read_text())["token_seed"]
    assert len(seed) == 64 and int(seed, 16) >= 0


def test_init_refuses_to_overwrite_an_existing_seed(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    serve("--config", config, "--init")
    before = config.read_text()
    again = serve("--config", config, "--init")
    assert again.returncode != 0
    assert f"{config} already holds a token_seed" in again.stderr
    assert config.read_text() == before


def test_init_keeps_an_existing_configs_values_and_makes_it_owner_only(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('allow_orgs = ["acme"]\n')
    config.chmod(0o644)
    assert serve("--config", config, "--init").returncode == 0
    assert tomllib.loads(config.read_text())["allow_orgs"] == ["acme"]
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_init_without_a_config_flag_writes_into_the_data_dir(tmp_path: Path) -> None:
    done = serve("--data-dir", tmp_path, "--init")
    assert done.returncode == 0, done.stderr
    assert "token_seed" in tomllib.loads((tmp_path / "quarterdeck-server.toml").read_text())


def test_print_token_prints_the_hmac_of_org_slash_repo_keyed_by_the_seed() -> None:
    done = serve("--token-seed", "seed", "--print-token", "acme/demo")
    expected = hmac.new(b"seed", b"acme/demo", hashlib.sha256).hexdigest()
    assert (done.returncode, done.stdout) == (0, expected + "\n")


def test_print_token_uses_the_seed_of_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('token_seed = "from-file"\n')
    done = serve("--config", config, "--print-token", "acme/demo")
    assert done.stdout.strip() == project_token("acme", "demo", seed="from-file")


def test_print_token_refuses_a_project_that_is_not_org_slash_repo() -> None:
    done = serve("--token-seed", "seed", "--print-token", "acme")
    assert done.returncode != 0
    assert "--print-token expects ORG/REPO, got 'acme'" in done.stderr


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("configured")
    config = folder / "server.toml"
    config.write_text(
        'allow_orgs = ["acme"]\nadmin_tokens = ["file-admin"]\ntoken_seed = "file-seed"\n'
    )
    flags = ["--config", str(config), "--admin-token", "flag-admin"]
    with LiveServer(folder / "data", flags=flags) as live:
        yield live


def test_config_file_values_apply(file_server: LiveServer) -> None:
    token = project_token(ORG, "demo", seed="file-seed")
    response = call(file_server, "GET", "/api/v1/projects/acme/demo/auth/verify", bearer(token))
    assert response.json() == {"valid": True, "scope": "project", "org": ORG, "repo": "demo"}


def test_a_flag_overrides_the_config_files_value(file_server: LiveServer) -> None:
    path = "/api/v1/projects/acme/demo/auth/verify"
    assert call(file_server, "GET", path, bearer("flag-admin")).status_code == 200
    assert refusal(call(file_server, "GET", path, bearer("file-admin"))) == (
        401,
        "Invalid bearer token",
        "unauthorized",
    )
