"""Exit statuses (ExitCode, documented in the README) and how errors are printed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import __version__

Runner = Callable[..., Any]

FREE = "001-05_workspace-discovery"
OTHERS_LEASE = "002-03_lease-heartbeats"

EXIT_STATUSES = [
    (["changes", "list"], 0),
    (["changes", "list", "--lifecycle", "sometimes"], 2),
    (["lease", "frobnicate"], 2),
    (["changes", "show", "001-99_nowhere"], 3),
    (["lease", "claim", OTHERS_LEASE], 4),
    (["changes", "show", "../etc"], 5),
    (["lease", "claim", "a/b"], 5),
    (["--read-only", "lease", "claim", FREE], 8),
    (["lease", "claim", FREE, "--read-only"], 8),
    (["sync", "pull", FREE], 8),
]


@pytest.mark.parametrize(("args", "status"), EXIT_STATUSES, ids=lambda v: str(v))
def test_each_kind_of_outcome_has_its_documented_exit_status(
    cli: Runner, demo: Path, args: list[str], status: int
) -> None:
    assert cli(*args, "--workspace", demo).code == status


def test_an_error_prints_quarterdeck_and_the_message_on_stderr_only(
    qd: Runner, shared_demo: Path
) -> None:
    result = qd("changes", "show", "001-99_nowhere", "--workspace", shared_demo)
    assert (result.code, result.out, result.err) == (
        3,
        "",
        "quarterdeck: change not found: 001-99_nowhere\n",
    )


def test_an_error_with_json_prints_the_error_body_on_stdout(qd: Runner, shared_demo: Path) -> None:
    result = qd("--json", "changes", "show", "001-99_nowhere", "--workspace", shared_demo)
    assert json.loads(result.out) == {
        "error": "change not found: 001-99_nowhere",
        "code": "not_found",
        "kind": "not_found",
        "what": "change",
        "ident": "001-99_nowhere",
    }
    assert result.err == "quarterdeck: change not found: 001-99_nowhere\n"


def test_a_lease_conflict_body_carries_the_holder_and_expiry(
    cli: Runner, shared_demo: Path
) -> None:
    result = cli("lease", "claim", OTHERS_LEASE, "--json", "--workspace", shared_demo)
    body = result.json()
    assert (body["code"], body["kind"], body["change_id"], body["holder"]) == (
        "conflict",
        "lease_conflict",
        OTHERS_LEASE,
        "agent-claude-7@ci-runner-3",
    )
    assert body["expires_at"].endswith("Z")


def test_a_usage_error_exits_2_and_prints_the_usage(qd: Runner, shared_demo: Path) -> None:
    result = qd("lease", "claim", "--workspace", shared_demo)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("usage: quarterdeck lease claim")
    assert "error: the following arguments are required: id" in result.err


def test_read_only_mode_refuses_a_claim_and_takes_no_lease(qd: Runner, demo: Path) -> None:
    result = qd("--read-only", "lease", "claim", FREE, "--workspace", demo)
    assert (result.code, result.err) == (8, "quarterdeck: read-only mode: 'claim' is not allowed\n")
    leases = qd("lease", "list", "--json", "--workspace", demo).json()
    assert FREE not in [lease["change_id"] for lease in leases]


def test_read_only_mode_can_come_from_the_environment(
    cli: Runner, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_READ_ONLY", "1")
    assert cli("lease", "claim", FREE, "--workspace", demo).code == 8


def test_read_only_mode_still_allows_reading(cli: Runner, shared_demo: Path) -> None:
    result = cli("--read-only", "lease", "list", "--json", "--workspace", shared_demo)
    assert (result.code, len(result.json()) >= 3) == (0, True)


def test_a_malformed_config_file_exits_5_naming_the_file_and_line(
    cli: Runner, tmp_path: Path
) -> None:
    config = tmp_path / "quarterdeck.toml"
    config.write_text('holder = "me"\nlease_ttl_seconds = = 5\n')
    result = cli("changes", "list", "--workspace", tmp_path)
    assert result.code == 5
    assert result.err.startswith(f"quarterdeck: {config}:2: ")


def test_a_bad_config_value_exits_5_naming_the_field(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "quarterdeck.toml").write_text("lease_ttl_seconds = 0\n")
    result = cli("changes", "list", "--workspace", tmp_path)
    assert (result.code, "lease_ttl_seconds" in result.err) == (5, True)


def test_no_command_without_the_dashboard_is_invalid_input(cli: Runner, tmp_path: Path) -> None:
    result = cli("--workspace", tmp_path)
    assert (result.code, result.err) == (
        5,
        "quarterdeck: no command given (the dashboard is not available in this install)\n",
    )


def test_version_prints_the_package_version(qd: Runner) -> None:
    result = qd("--version")
    assert (result.code, result.out) == (0, f"quarterdeck {__version__}\n")
