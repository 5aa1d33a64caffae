"""Settings: workspace discovery, source precedence, ito's backend config, errors, paths."""

from __future__ import annotations

import getpass
import json
import os
import socket
from pathlib import Path

import pytest

from core.backends.remote import RemoteBackend
from core.config import discover_workspace, load_settings
from core.models.changes import LifecycleFilter
from core.models.errors import InvalidInput, ParseError
from core.service import open_service


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own QUARTERDECK_* / ITO_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith(("QUARTERDECK_", "ITO_")):
            monkeypatch.delenv(name)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ito_config(root: Path, backend: dict[str, object]) -> Path:
    return write(root / ".ito" / "config.json", json.dumps({"backend": backend}))


# --- discovery ---------------------------------------------------------------------------


def test_a_quarterdeck_toml_above_the_start_folder_marks_the_workspace(tmp_path: Path) -> None:
    write(tmp_path / "quarterdeck.toml", "")
    start = tmp_path / "src" / "deep"
    start.mkdir(parents=True)
    assert discover_workspace(start) == tmp_path.resolve()


def test_an_ito_folder_above_the_start_folder_marks_the_workspace(tmp_path: Path) -> None:
    (tmp_path / ".ito").mkdir()
    start = tmp_path / "src"
    start.mkdir()
    assert discover_workspace(start) == tmp_path.resolve()


def test_a_pyproject_with_a_tool_quarterdeck_table_marks_the_workspace(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.quarterdeck]\nholder = "me"\n')
    start = tmp_path / "pkg"
    start.mkdir()
    assert discover_workspace(start) == tmp_path.resolve()


def test_a_pyproject_without_a_tool_quarterdeck_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / ".ito").mkdir()
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", '[project]\nname = "pkg"\n')
    assert discover_workspace(inner) == tmp_path.resolve()


def test_the_nearest_marked_folder_wins(tmp_path: Path) -> None:
    (tmp_path / ".ito").mkdir()
    inner = tmp_path / "nested"
    write(inner / "quarterdeck.toml", "")
    assert discover_workspace(inner) == inner.resolve()


def test_without_any_marker_the_start_folder_is_the_workspace(tmp_path: Path) -> None:
    start = tmp_path / "plain"
    start.mkdir()
    assert discover_workspace(start) == start.resolve()


def test_load_settings_discovers_the_workspace_from_the_given_folder(tmp_path: Path) -> None:
    write(tmp_path / "quarterdeck.toml", "")
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    assert load_settings(start).workspace == tmp_path.resolve()


# --- precedence: each source beats the next one down ------------------------------------


def test_a_flag_beats_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUARTERDECK_HOLDER", "from-env")
    assert load_settings(tmp_path, holder="from-flag").holder == "from-flag"


def test_a_flag_given_as_none_means_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_HOLDER", "from-env")
    assert load_settings(tmp_path, holder=None).holder == "from-env"


def test_the_environment_beats_quarterdeck_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "quarterdeck.toml", 'holder = "from-toml"\n')
    monkeypatch.setenv("QUARTERDECK_HOLDER", "from-env")
    assert load_settings(tmp_path).holder == "from-env"


def test_quarterdeck_toml_beats_the_pyproject_table(tmp_path: Path) -> None:
    write(tmp_path / "quarterdeck.toml", "lease_ttl_seconds = 60\n")
    write(tmp_path / "pyproject.toml", "[tool.quarterdeck]\nlease_ttl_seconds = 90\n")
    assert load_settings(tmp_path).lease_ttl_seconds == 60


def test_the_pyproject_table_beats_the_ito_backend_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.quarterdeck]\nurl = "http://from-pyproject"\n')
    ito_config(tmp_path, {"url": "http://from-ito"})
    assert load_settings(tmp_path).url == "http://from-pyproject"


def test_the_ito_backend_config_beats_the_defaults(tmp_path: Path) -> None:
    ito_config(tmp_path, {"timeout_ms": 1234})
    assert load_settings(tmp_path).timeout_ms == 1234


def test_defaults_apply_when_no_source_sets_a_value(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert (settings.backend, settings.url, settings.lease_ttl_seconds, settings.read_only) == (
        "local",
        "http://127.0.0.1:9010",
        1800,
        False,
    )


# --- environment variables --------------------------------------------------------------


def test_a_variable_name_may_be_in_any_letter_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("quarterdeck_holder", "lower-case")
    assert load_settings(tmp_path).holder == "lower-case"


def test_a_variable_for_a_list_setting_is_read_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_BACKUP_ROOTS", '["b1", "/mnt/b2"]')
    assert load_settings(tmp_path).backup_roots == [Path("b1"), Path("/mnt/b2")]


def test_a_yes_or_no_variable_takes_1_and_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_READ_ONLY", "1")
    assert load_settings(tmp_path).read_only is True


def test_a_list_variable_that_is_not_json_is_invalid_input_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_BACKUP_ROOTS", "backups,/mnt/b2")
    with pytest.raises(InvalidInput, match=r"QUARTERDECK_BACKUP_ROOTS is not valid JSON"):
        load_settings(tmp_path)


def test_a_variable_naming_no_setting_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_NO_SUCH_SETTING", "[not json")
    assert load_settings(tmp_path).read_only is False


# --- ito's .ito/config.json backend section ---------------------------------------------


def test_an_enabled_ito_backend_selects_the_remote_backend(tmp_path: Path) -> None:
    ito_config(tmp_path, {"enabled": True})
    assert load_settings(tmp_path).backend == "remote"


def test_a_disabled_ito_backend_leaves_the_local_backend(tmp_path: Path) -> None:
    ito_config(tmp_path, {"enabled": False, "url": "http://ito.example:9010"})
    assert load_settings(tmp_path).backend == "local"


def test_the_ito_backend_url_is_used(tmp_path: Path) -> None:
    ito_config(tmp_path, {"enabled": True, "url": "http://ito.example:9010"})
    assert load_settings(tmp_path).url == "http://ito.example:9010"


def test_the_ito_backend_project_becomes_org_slash_repo(tmp_path: Path) -> None:
    ito_config(tmp_path, {"enabled": True, "project": {"org": "acme", "repo": "platform"}})
    assert load_settings(tmp_path).project == "acme/platform"


def test_ito_project_environment_variables_override_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ito_config(tmp_path, {"enabled": True, "project": {"org": "acme", "repo": "platform"}})
    monkeypatch.setenv("ITO_BACKEND_PROJECT_ORG", "other-org")
    monkeypatch.setenv("ITO_BACKEND_PROJECT_REPO", "other-repo")
    assert load_settings(tmp_path).project == "other-org/other-repo"


def test_one_ito_project_variable_overrides_only_its_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ito_config(tmp_path, {"enabled": True, "project": {"org": "acme", "repo": "platform"}})
    monkeypatch.setenv("ITO_BACKEND_PROJECT_REPO", "tools")
    assert load_settings(tmp_path).project == "acme/tools"


def test_the_token_is_read_from_ito_backend_token_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ito_config(tmp_path, {"enabled": True})
    monkeypatch.setenv("ITO_BACKEND_TOKEN", "secret-default")
    assert load_settings(tmp_path).resolved_token() == "secret-default"


def test_the_token_is_read_from_the_configured_token_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ito_config(tmp_path, {"enabled": True, "token_env_var": "ACME_ITO_TOKEN"})
    monkeypatch.setenv("ITO_BACKEND_TOKEN", "not-this-one")
    monkeypatch.setenv("ACME_ITO_TOKEN", "secret-custom")
    assert load_settings(tmp_path).resolved_token() == "secret-custom"


def test_quarterdeck_token_beats_the_token_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ITO_BACKEND_TOKEN", "from-ito-var")
    monkeypatch.setenv("QUARTERDECK_TOKEN", "from-quarterdeck")
    assert load_settings(tmp_path).resolved_token() == "from-quarterdeck"


def test_without_any_token_source_there_is_no_token(tmp_path: Path) -> None:
    assert load_settings(tmp_path).resolved_token() is None


def test_the_token_is_not_shown_when_settings_are_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_TOKEN", "hunter2-token")
    assert "hunter2-token" not in repr(load_settings(tmp_path))


def test_a_malformed_ito_config_is_a_parse_error_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / ".ito" / "config.json", '{\n  "backend": {\n    "url": ,\n}\n')
    with pytest.raises(ParseError) as caught:
        load_settings(tmp_path)
    assert (caught.value.path, caught.value.line) == (str(path), 3)


# --- holder ------------------------------------------------------------------------------


def test_the_default_holder_is_user_at_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    monkeypatch.setattr(socket, "gethostname", lambda: "build-box")
    assert load_settings(tmp_path).holder == "alice@build-box"


def test_an_unknown_user_still_gets_a_holder_with_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    monkeypatch.setattr(socket, "gethostname", lambda: "build-box")
    assert load_settings(tmp_path).holder == "user@build-box"


# --- errors ------------------------------------------------------------------------------


def test_a_malformed_quarterdeck_toml_is_a_parse_error_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "quarterdeck.toml", 'holder = "me"\nlease_ttl_seconds = \n')
    with pytest.raises(ParseError) as caught:
        load_settings(tmp_path)
    assert (caught.value.path, caught.value.line) == (str(path), 2)
    assert str(caught.value).startswith(f"{path}:2: ")


def test_a_malformed_pyproject_in_the_workspace_is_a_parse_error(tmp_path: Path) -> None:
    write(tmp_path / "quarterdeck.toml", "")
    path = write(tmp_path / "pyproject.toml", "[tool.quarterdeck\n")
    with pytest.raises(ParseError) as caught:
        load_settings(tmp_path)
    assert (caught.value.path, caught.value.line) == (str(path), 1)


def test_an_out_of_range_value_is_invalid_input_naming_the_field(tmp_path: Path) -> None:
    write(tmp_path / "quarterdeck.toml", "lease_ttl_seconds = 0\n")
    with pytest.raises(InvalidInput, match=r"lease_ttl_seconds: .*greater than or equal to 1"):
        load_settings(tmp_path)


def test_a_project_that_is_not_org_slash_repo_is_invalid_input_naming_the_field(
    tmp_path: Path,
) -> None:
    with pytest.raises(InvalidInput, match=r"project: .*org/repo"):
        load_settings(tmp_path, project="just-a-name")


def test_an_unknown_backend_kind_from_the_environment_is_invalid_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_BACKEND", "carrier-pigeon")
    with pytest.raises(InvalidInput, match=r"backend: "):
        load_settings(tmp_path)


def test_a_remote_backend_without_a_project_says_how_to_set_one(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, backend="remote")
    with pytest.raises(InvalidInput, match="--project org/repo"):
        settings.project_parts()


# --- paths -------------------------------------------------------------------------------


def test_relative_paths_resolve_against_the_workspace_root(tmp_path: Path) -> None:
    write(
        tmp_path / "quarterdeck.toml",
        'state_dir = "state"\nbackup_roots = ["b1", "b2"]\nrelease_graph = "g/graph.json"\n',
    )
    settings = load_settings(tmp_path)
    root = tmp_path.resolve()
    assert (settings.state_path, settings.backup_paths, settings.release_graph_path) == (
        root / "state",
        [root / "b1", root / "b2"],
        root / "g" / "graph.json",
    )


def test_relative_paths_do_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "ws" / "quarterdeck.toml", 'ito_dir = "plans/.ito"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_settings(tmp_path / "ws").ito_path == (tmp_path / "ws").resolve() / "plans/.ito"


def test_absolute_paths_are_kept_as_given(tmp_path: Path) -> None:
    outside = tmp_path / "shared-backups"
    write(tmp_path / "ws" / "quarterdeck.toml", f'backup_roots = ["{outside.as_posix()}"]\n')
    assert load_settings(tmp_path / "ws").backup_paths == [outside]


def test_the_aristo_root_is_found_from_the_workspace_when_not_configured(tmp_path: Path) -> None:
    write(tmp_path / "aristo.toml", "")
    workspace = tmp_path / "ws"
    write(workspace / "quarterdeck.toml", "")
    assert load_settings(workspace).aristo_path() == tmp_path.resolve()


def test_a_remote_backend_keeps_its_listings_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write(tmp_path / "ws" / "quarterdeck.toml", 'backend = "remote"\nproject = "acme/demo"\n')
    backend = open_service(load_settings(tmp_path / "ws")).backend
    assert isinstance(backend, RemoteBackend)
    backend.close()

    assert backend._listing_cache is not None
    assert backend._listing_cache.path(LifecycleFilter.ACTIVE).parent == (
        tmp_path / "cache" / "quarterdeck" / "listings"
    )
