"""`quarterdeck serve` settings: each source beats the next one down, and bad input is named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.models.errors import InvalidInput, ParseError
from core.server import CONFIG_NAME
from core.server.settings import load_server_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The developer's own variables and data dir must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith(("QUARTERDECK_", "ITO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def config_in(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


def test_a_flag_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUARTERDECK_SERVER_PORT", "9100")
    assert load_server_settings(port=9200).port == 9200


def test_the_environment_beats_ito_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITO_BACKEND_TOKEN_SEED", "from-ito")
    monkeypatch.setenv("QUARTERDECK_SERVER_TOKEN_SEED", "from-quarterdeck")
    seed = load_server_settings().token_seed
    assert seed is not None and seed.get_secret_value() == "from-quarterdeck"


def test_ito_variables_beat_the_config_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = config_in(tmp_path, 'token_seed = "from-file"\n')
    monkeypatch.setenv("ITO_BACKEND_TOKEN_SEED", "from-ito")
    seed = load_server_settings(config_file=config).token_seed
    assert seed is not None and seed.get_secret_value() == "from-ito"


def test_the_data_dirs_config_file_is_read_without_being_named(tmp_path: Path) -> None:
    config_in(tmp_path / "data", "port = 9300\n")
    assert load_server_settings(data_dir=tmp_path / "data").port == 9300


def test_defaults_apply_when_no_source_sets_a_value(tmp_path: Path) -> None:
    settings = load_server_settings()
    assert (settings.bind, settings.port, settings.data_dir) == (
        "127.0.0.1",
        9010,
        tmp_path / "xdg" / "ito" / "backend",
    )


def test_a_list_variable_is_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUARTERDECK_SERVER_ALLOW_ORGS", '["acme", "globex"]')
    assert load_server_settings().allow_orgs == ["acme", "globex"]


def test_a_list_variable_that_is_not_json_is_invalid_input_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUARTERDECK_SERVER_ALLOW_ORGS", "acme")
    with pytest.raises(InvalidInput, match="QUARTERDECK_SERVER_ALLOW_ORGS is not valid JSON"):
        load_server_settings()


def test_a_named_config_file_that_is_missing_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="server config file not found"):
        load_server_settings(config_file=tmp_path / "nowhere.toml")


def test_a_malformed_config_file_is_a_parse_error_naming_its_line(tmp_path: Path) -> None:
    config = config_in(tmp_path, 'bind = "0.0.0.0"\nport = \n')
    with pytest.raises(ParseError) as caught:
        load_server_settings(config_file=config)
    assert (caught.value.path, caught.value.line) == (str(config), 2)


def test_an_out_of_range_port_is_invalid_input_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"port: .*less than or equal to 65535"):
        load_server_settings(port=70000)
