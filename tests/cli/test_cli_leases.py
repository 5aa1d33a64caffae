"""`quarterdeck lease list|claim|heartbeat|release|allocate` (FORMATS.md §2 "Leases")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.timeutil import parse_rfc3339

Runner = Callable[..., Any]

OTHERS_LEASE = "002-03_lease-heartbeats"  # someone else holds it for 25 more minutes
MY_LEASE = "003-05_narrow-terminal-layout"  # the demo holder holds it for 58 more minutes
FREE = "001-05_workspace-discovery"
DEMO_HOLDER = "you@quarterdeck-demo"  # the demo's quarterdeck.toml `holder`
LEASE_KEYS = {"change_id", "holder", "expires_at"}


def holders(cli: Runner, workspace: Path) -> dict[str, str]:
    leases = cli("lease", "list", "--json", "--workspace", workspace).json()
    return {lease["change_id"]: lease["holder"] for lease in leases}


def test_lease_list_json_is_a_list_of_change_holder_and_expiry(
    qd: Runner, shared_demo: Path
) -> None:
    result = qd("lease", "list", "--json", "--workspace", shared_demo)
    leases = result.json()
    assert result.code == 0
    assert len(leases) >= 3
    assert [set(lease) for lease in leases if set(lease) != LEASE_KEYS] == []


def test_lease_list_shows_only_unexpired_leases(cli: Runner, shared_demo: Path) -> None:
    leases = cli("lease", "list", "--json", "--workspace", shared_demo).json()
    now = datetime.now(UTC)
    assert [lease for lease in leases if parse_rfc3339(lease["expires_at"]) <= now] == []


def test_lease_claim_prints_the_lease(qd: Runner, demo: Path) -> None:
    args = ["lease", "claim", FREE, "--holder", "ci@box", "--ttl", "120", "--json"]
    result = qd(*args, "--workspace", demo)
    lease = result.json()
    assert (result.code, set(lease), lease["change_id"], lease["holder"]) == (
        0,
        LEASE_KEYS,
        FREE,
        "ci@box",
    )
    expected = datetime.now(UTC) + timedelta(seconds=120)
    assert abs((parse_rfc3339(lease["expires_at"]) - expected).total_seconds()) < 30


def test_lease_claim_uses_the_configured_holder(cli: Runner, demo: Path) -> None:
    cli("lease", "claim", FREE, "--workspace", demo)
    assert holders(cli, demo)[FREE] == DEMO_HOLDER


def test_lease_claim_prints_a_human_line_without_json(cli: Runner, demo: Path) -> None:
    result = cli("lease", "claim", FREE, "--workspace", demo)
    assert result.out.startswith(f"{FREE}  held by {DEMO_HOLDER} until ")


def test_lease_claim_of_a_change_someone_else_holds_is_a_conflict(cli: Runner, demo: Path) -> None:
    result = cli("lease", "claim", OTHERS_LEASE, "--workspace", demo)
    assert result.code == 4
    assert result.err.startswith(
        f"quarterdeck: change '{OTHERS_LEASE}' is already claimed by 'agent-claude-7@ci-runner-3'"
    )
    assert holders(cli, demo)[OTHERS_LEASE] == "agent-claude-7@ci-runner-3"


def test_lease_heartbeat_of_your_lease_extends_it(cli: Runner, demo: Path) -> None:
    before = cli("lease", "list", "--json", "--workspace", demo).json()
    old = next(lease["expires_at"] for lease in before if lease["change_id"] == MY_LEASE)
    result = cli("lease", "heartbeat", MY_LEASE, "--ttl", "7200", "--json", "--workspace", demo)
    assert result.code == 0
    assert parse_rfc3339(result.json()["expires_at"]) > parse_rfc3339(old)


def test_lease_heartbeat_of_a_change_nobody_holds_is_a_conflict(cli: Runner, demo: Path) -> None:
    result = cli("lease", "heartbeat", FREE, "--workspace", demo)
    assert (result.code, result.err) == (4, f"quarterdeck: no active lease on '{FREE}'\n")


def test_lease_release_of_someone_elses_lease_is_refused(cli: Runner, demo: Path) -> None:
    result = cli("lease", "release", OTHERS_LEASE, "--workspace", demo)
    assert result.code == 4
    assert OTHERS_LEASE in holders(cli, demo)


def test_lease_release_with_force_drops_someone_elses_lease(cli: Runner, demo: Path) -> None:
    result = cli("lease", "release", OTHERS_LEASE, "--force", "--workspace", demo)
    assert (result.code, result.out) == (0, f"released {OTHERS_LEASE}\n")
    assert OTHERS_LEASE not in holders(cli, demo)


def test_lease_allocate_json_wraps_the_lease_in_claim(qd: Runner, demo: Path) -> None:
    result = qd("lease", "allocate", "--json", "--workspace", demo)
    allocated = result.json()
    assert (result.code, set(allocated), set(allocated["claim"])) == (0, {"claim"}, LEASE_KEYS)
    assert allocated["claim"]["holder"] == DEMO_HOLDER


def test_lease_allocate_json_prints_a_null_claim_when_there_is_no_work(
    cli: Runner, tmp_path: Path
) -> None:
    (tmp_path / ".ito" / "changes").mkdir(parents=True)
    result = cli("lease", "allocate", "--json", "--workspace", tmp_path)
    assert (result.code, result.json()) == (0, {"claim": None})


def test_lease_allocate_says_so_in_words_when_there_is_no_work(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / ".ito" / "changes").mkdir(parents=True)
    assert cli("lease", "allocate", "--workspace", tmp_path).out == "no work available\n"


def test_lease_allocate_with_the_same_idempotency_key_answers_the_same(
    cli: Runner, demo: Path
) -> None:
    first = cli("lease", "allocate", "--idempotency-key", "k-1", "--json", "--workspace", demo)
    again = cli("lease", "allocate", "--idempotency-key", "k-1", "--json", "--workspace", demo)
    assert again.json() == first.json()
    assert first.json()["claim"] is not None
