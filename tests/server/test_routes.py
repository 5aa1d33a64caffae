"""Every route of ito's API (FORMATS.md §2) and of Quarterdeck's additions, spoken over HTTP
to a real `quarterdeck serve`: the exact answer shapes, and ito's error body
`{"error", "code"}` with the right status for every refusal."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import Project, open_project
from tests.server.live_server import ADMIN_TOKEN, LiveServer
from tests.server.workspaces import DELTA, DONE_TASKS, MIXED_TASKS, add_change

HAND = "007-01_hand-written"
ACTIVE = "001-04_streaming-change-index"
ARCHIVED = "001-00_initial-scaffold"
ITO_LIST_KEYS = {
    "id",
    "module_id",
    "completed_tasks",
    "shelved_tasks",
    "in_progress_tasks",
    "pending_tasks",
    "total_tasks",
    "has_proposal",
    "has_design",
    "has_specs",
    "has_tasks",
    "work_status",
    "last_modified",
}
LEASE_KEYS = {"change_id", "holder", "expires_at"}


def ito_error(response: httpx.Response) -> dict[str, Any]:
    """ito's two error fields (a Quarterdeck server adds `kind` and the error's fields)."""
    body = response.json()
    return {"status": response.status_code, "error": body["error"], "code": body["code"]}


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in keys}


def backup_named(project: Project, layout_status: str) -> str:
    folders = project.http.get("/backups").json()
    return next(str(f["name"]) for f in folders if f["layout_status"] == layout_status)


# --- health and readiness ----------------------------------------------------------------


def test_health_answers_ok_and_the_version_without_a_token(anonymous: httpx.Client) -> None:
    response = anonymous.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "version": "0.1.0"})


def test_ready_answers_ready_without_a_token(anonymous: httpx.Client) -> None:
    response = anonymous.get("/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_ready_is_503_not_ready_while_the_data_dir_is_gone(
    server: LiveServer, anonymous: httpx.Client
) -> None:
    moved = server.data_dir.with_name("data-moved-away")
    server.data_dir.rename(moved)
    try:
        response = anonymous.get("/ready")
    finally:
        moved.rename(server.data_dir)
    assert (response.status_code, response.json()) == (
        503,
        {"status": "not_ready", "reason": f"Data directory not found at {server.data_dir}"},
    )


# --- changes -----------------------------------------------------------------------------


def test_changes_items_have_exactly_itos_keys(project: Project) -> None:
    items = project.http.get("/changes").json()
    assert len(items) == 33
    assert all(set(item) == ITO_LIST_KEYS for item in items)


def test_changes_lists_the_active_changes_by_default(project: Project) -> None:
    folders = sorted(
        path.name for path in (project.root / ".ito" / "changes").iterdir() if path.is_dir()
    )
    folders.remove("archive")
    assert [item["id"] for item in project.http.get("/changes").json()] == folders


def test_changes_with_lifecycle_archived_lists_the_archived_changes(project: Project) -> None:
    items = project.http.get("/changes", params={"lifecycle": "archived"}).json()
    assert len(items) == 13
    assert ARCHIVED in [item["id"] for item in items]


def test_changes_with_lifecycle_all_lists_both(project: Project) -> None:
    items = project.http.get("/changes", params={"lifecycle": "all"}).json()
    assert len(items) == 33 + 13


def test_a_change_written_after_a_listing_is_in_the_next_one(project: Project) -> None:
    assert HAND not in [item["id"] for item in project.http.get("/changes").json()]
    add_change(project.root, HAND)
    assert HAND in [item["id"] for item in project.http.get("/changes").json()]


def test_listings_asked_for_at_once_each_get_the_whole_list(project: Project) -> None:
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: project.http.get("/changes").json(), range(6)))
    assert [len(items) for items in answers] == [33] * 6
    assert all(items == answers[0] for items in answers)


def test_a_client_that_accepts_gzip_gets_the_listing_gzipped(project: Project) -> None:
    gzipped = project.http.get("/changes", headers={"Accept-Encoding": "gzip"})
    plain = project.http.get("/changes", headers={"Accept-Encoding": "identity"})

    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.json() == plain.json()
    assert len(gzipped.json()) == 33


def test_a_client_that_does_not_accept_gzip_gets_the_listing_as_is(project: Project) -> None:
    response = project.http.get("/changes", headers={"Accept-Encoding": "identity"})

    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert len(json.loads(response.content)) == 33


def test_a_big_answer_of_another_route_comes_gzipped_too(project: Project) -> None:
    gzipped = project.http.get("/backlog", headers={"Accept-Encoding": "gzip"})
    plain = project.http.get("/backlog", headers={"Accept-Encoding": "identity"})

    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.json() == plain.json() != []


def test_a_small_answer_goes_as_it_is(project: Project) -> None:
    response = project.http.get("/leases", headers={"Accept-Encoding": "gzip"})

    assert response.json() == []
    assert "content-encoding" not in response.headers


def test_an_unknown_lifecycle_is_400(project: Project) -> None:
    response = project.http.get("/changes", params={"lifecycle": "deleted"})
    assert ito_error(response) == {
        "status": 400,
        "error": "Invalid lifecycle 'deleted'. Expected active, archived, or all.",
        "code": "bad_request",
    }


def test_a_change_detail_has_itos_shape(project: Project) -> None:
    add_change(project.root, HAND, tasks=MIXED_TASKS, proposal="# Change: Hand made\n")
    detail = project.http.get(f"/changes/{HAND}").json()
    assert without(detail, "last_modified") == {
        "id": HAND,
        "module_id": "007",
        "proposal": "# Change: Hand made\n",
        "specs": [{"name": "lease-rules", "content": DELTA}],
        "progress": {
            "total": 3,
            "complete": 1,
            "shelved": 0,
            "in_progress": 1,
            "pending": 1,
            "remaining": 2,
        },
    }
    assert detail["last_modified"].endswith("Z")


def test_an_archived_change_detail_is_served_too(project: Project) -> None:
    response = project.http.get(f"/changes/{ARCHIVED}")
    assert (response.status_code, response.json()["id"]) == (200, ARCHIVED)


def test_a_change_detail_asked_in_the_wrong_lifecycle_is_404(project: Project) -> None:
    response = project.http.get(f"/changes/{ARCHIVED}", params={"lifecycle": "active"})
    assert ito_error(response) == {
        "status": 404,
        "error": f"change not found: {ARCHIVED}",
        "code": "not_found",
    }


def test_an_unknown_change_is_404(project: Project) -> None:
    response = project.http.get("/changes/009-09_nowhere")
    assert ito_error(response) == {
        "status": 404,
        "error": "change not found: 009-09_nowhere",
        "code": "not_found",
    }


def test_checkbox_tasks_have_itos_shape_without_waves(project: Project) -> None:
    add_change(project.root, HAND, tasks=MIXED_TASKS)
    assert project.http.get(f"/changes/{HAND}/tasks").json() == {
        "change_id": HAND,
        "tasks": [
            {"id": "1.1", "name": "Build it", "status": "complete"},
            {"id": "1.2", "name": "Test it", "status": "in-progress"},
            {"id": "1.3", "name": "Ship it", "status": "pending"},
        ],
        "progress": {
            "total": 3,
            "complete": 1,
            "shelved": 0,
            "in_progress": 1,
            "pending": 1,
            "remaining": 2,
        },
        "format": "checkbox",
    }


def test_enhanced_tasks_carry_their_wave_and_the_enhanced_format(project: Project) -> None:
    body = project.http.get(f"/changes/{ACTIVE}/tasks").json()
    assert body["format"] == "enhanced"
    assert body["tasks"][0] == {
        "id": "1.1",
        "name": "Model streaming change index",
        "wave": 1,
        "status": "complete",
    }


# --- sync and archive --------------------------------------------------------------------


def test_a_pull_is_an_artifact_bundle_with_specs_as_two_element_arrays(project: Project) -> None:
    folder = add_change(project.root, HAND, tasks=MIXED_TASKS)
    (folder / "specs" / "audit-log").mkdir()
    (folder / "specs" / "audit-log" / "spec.md").write_text("## MODIFIED Requirements\n")
    bundle = project.http.get(f"/changes/{HAND}/sync").json()
    assert without(bundle, "revision", "design") == {
        "change_id": HAND,
        "proposal": f"# Change: {HAND}\n",
        "tasks": MIXED_TASKS,
        "specs": [["audit-log", "## MODIFIED Requirements\n"], ["lease-rules", DELTA]],
    }
    assert bundle.get("design") is None
    assert isinstance(bundle["revision"], str) and bundle["revision"]


def test_a_push_answers_the_new_revision_and_stores_it_in_the_change_folder(
    project: Project,
) -> None:
    folder = add_change(project.root, HAND)
    revision = project.http.get(f"/changes/{HAND}/sync").json()["revision"]
    body = {"tasks": DONE_TASKS, "specs": [["lease-rules", "new\n"]], "revision": revision}
    answer = project.http.post(f"/changes/{HAND}/sync", json=body).json()
    assert set(answer) == {"change_id", "new_revision"}
    assert answer["change_id"] == HAND and answer["new_revision"] != revision
    assert (folder / ".backend-revision").read_text() == answer["new_revision"]
    assert (folder / "tasks.md").read_text() == DONE_TASKS
    assert (folder / "specs" / "lease-rules" / "spec.md").read_text() == "new\n"


def test_a_push_without_a_revision_is_accepted_as_a_first_push(project: Project) -> None:
    add_change(project.root, HAND)
    response = project.http.post(f"/changes/{HAND}/sync", json={"tasks": DONE_TASKS})
    assert response.status_code == 200


def test_a_push_from_a_stale_revision_is_409_with_itos_exact_message(project: Project) -> None:
    add_change(project.root, HAND)
    stale = project.http.get(f"/changes/{HAND}/sync").json()["revision"]
    current = project.http.post(
        f"/changes/{HAND}/sync", json={"tasks": DONE_TASKS, "revision": stale}
    ).json()["new_revision"]
    response = project.http.post(
        f"/changes/{HAND}/sync", json={"tasks": MIXED_TASKS, "revision": stale}
    )
    assert ito_error(response) == {
        "status": 409,
        "error": f"revision conflict for '{HAND}': local={stale}, server={current}",
        "code": "conflict",
    }
    assert (project.root / ".ito" / "changes" / HAND / "tasks.md").read_text() == DONE_TASKS


def test_an_archive_answers_the_change_and_the_time_and_moves_the_folder(
    project: Project,
) -> None:
    answer = project.http.post(f"/changes/{ACTIVE}/archive").json()
    assert set(answer) == {"change_id", "archived_at"}
    assert answer["change_id"] == ACTIVE
    changes = project.root / ".ito" / "changes"
    assert not (changes / ACTIVE).exists()
    assert (changes / "archive" / f"{answer['archived_at'][:10]}-{ACTIVE}").is_dir()


# --- modules, specs, events --------------------------------------------------------------


def test_modules_are_listed_with_id_name_and_change_count(project: Project) -> None:
    modules = project.http.get("/modules").json()
    assert modules[:2] == [
        {"id": "001", "name": "platform-core", "change_count": 8},
        {"id": "002", "name": "backend-sync", "change_count": 10},
    ]
    assert all(set(module) == {"id", "name", "change_count"} for module in modules)


def test_a_module_detail_is_id_name_and_description(project: Project) -> None:
    assert project.http.get("/modules/002").json() == {
        "id": "002",
        "name": "backend-sync",
        "description": "Share changes and leases across machines.",
    }


def test_an_unknown_module_is_404(project: Project) -> None:
    response = project.http.get("/modules/999")
    assert ito_error(response) == {
        "status": 404,
        "error": "module not found: 999",
        "code": "not_found",
    }


def test_specs_are_listed_with_id_path_and_last_modified(project: Project) -> None:
    specs = project.http.get("/specs").json()
    assert [spec["id"] for spec in specs][:2] == ["audit-log", "backend-artifact-store"]
    assert specs[0]["path"] == "specs/audit-log/spec.md"
    assert all(set(spec) == {"id", "path", "last_modified"} for spec in specs)


def test_a_spec_detail_is_its_markdown(project: Project) -> None:
    body = project.http.get("/specs/audit-log").json()
    markdown = (project.root / ".ito" / "specs" / "audit-log" / "spec.md").read_text()
    assert without(body, "last_modified") == {
        "id": "audit-log",
        "path": "specs/audit-log/spec.md",
        "markdown": markdown,
    }


def test_an_unknown_spec_is_404(project: Project) -> None:
    response = project.http.get("/specs/no-such-capability")
    assert ito_error(response) == {
        "status": 404,
        "error": "spec not found: no-such-capability",
        "code": "not_found",
    }


def test_events_are_the_audit_log_lines_as_written(project: Project) -> None:
    log = project.root / ".ito" / ".state" / "audit" / "events.jsonl"
    first_line = log.read_text().splitlines()[0]
    events = project.http.get("/events").json()
    assert len(events) == 12
    assert events[0] == json.loads(first_line)


def test_events_with_a_limit_are_the_most_recent_ones(project: Project) -> None:
    every = project.http.get("/events").json()
    assert project.http.get("/events", params={"limit": 2}).json() == every[-2:]


def test_an_event_ingest_answers_accepted_and_duplicates(project: Project) -> None:
    event = project.http.get("/events").json()[0]
    body = {"events": [event], "idempotency_key": "ingest-1"}
    assert project.http.post("/events", json=body).json() == {"accepted": 1, "duplicates": 0}


# --- leases (ours) -----------------------------------------------------------------------


def test_a_claim_answers_the_lease(project: Project) -> None:
    lease = project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "me"}).json()
    assert set(lease) == LEASE_KEYS
    assert (lease["change_id"], lease["holder"]) == (ACTIVE, "me")


def test_leases_lists_the_active_leases(project: Project) -> None:
    lease = project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "me"}).json()
    assert project.http.get("/leases").json() == [lease]


def test_a_claim_of_a_held_change_is_409_naming_the_holder_and_expiry(project: Project) -> None:
    lease = project.http.post(
        f"/changes/{ACTIVE}/lease", json={"holder": "agent-7", "ttl_seconds": 600}
    ).json()
    response = project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "me"})
    body = response.json()
    assert (response.status_code, body["code"]) == (409, "conflict")
    assert (body["holder"], body["expires_at"]) == ("agent-7", lease["expires_at"])
    assert body["error"] == (
        f"change '{ACTIVE}' is already claimed by 'agent-7' until {lease['expires_at']}"
    )


def test_a_heartbeat_answers_the_extended_lease(project: Project) -> None:
    project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "me", "ttl_seconds": 60})
    lease = project.http.post(
        f"/changes/{ACTIVE}/lease/heartbeat", json={"holder": "me", "ttl_seconds": 3600}
    ).json()
    assert set(lease) == LEASE_KEYS and lease["holder"] == "me"


def test_a_heartbeat_by_another_holder_is_403(project: Project) -> None:
    project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "agent-7"})
    response = project.http.post(f"/changes/{ACTIVE}/lease/heartbeat", json={"holder": "me"})
    assert ito_error(response) == {
        "status": 403,
        "error": f"lease on '{ACTIVE}' is held by 'agent-7', not 'me'",
        "code": "forbidden",
    }


def test_a_release_answers_the_change_and_frees_it(project: Project) -> None:
    project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "me"})
    response = project.http.delete(f"/changes/{ACTIVE}/lease", params={"holder": "me"})
    assert response.json() == {"change_id": ACTIVE}
    assert project.http.get("/leases").json() == []


def test_a_release_by_another_holder_is_403_unless_forced(project: Project) -> None:
    project.http.post(f"/changes/{ACTIVE}/lease", json={"holder": "agent-7"})
    refused = project.http.delete(f"/changes/{ACTIVE}/lease", params={"holder": "me"})
    forced = project.http.delete(
        f"/changes/{ACTIVE}/lease", params={"holder": "me", "force": "true"}
    )
    assert (refused.status_code, forced.status_code) == (403, 200)


def test_an_allocation_answers_the_claim_it_made(project: Project) -> None:
    body = project.http.post("/leases/allocate", json={"holder": "me"}).json()
    assert set(body) == {"claim"}
    assert set(body["claim"]) == LEASE_KEYS
    assert body["claim"]["holder"] == "me"


def test_an_allocation_with_no_eligible_change_answers_a_null_claim(server: LiveServer) -> None:
    empty = open_project(server, None)
    with empty.http:
        body = empty.http.post("/leases/allocate", json={"holder": "me"}).json()
    assert body == {"claim": None}


# --- releases (ours) ---------------------------------------------------------------------


@pytest.fixture
def plan(project: Project) -> dict[str, Any]:
    requests = [{"repo_id": "acme/proto", "version_label": "4.3.0", "promoted_by": "me"}]
    body = {"requests": requests, "originating_run_id": "train-1"}
    return dict(project.http.post("/releases/plans", json=body).json())


def test_the_release_graph_is_the_graph_file_and_its_order(project: Project) -> None:
    body = project.http.get("/releases/graph").json()
    assert set(body) == {"graph", "order"}
    assert set(body["graph"]) == {"repos", "dependencies"}
    assert body["order"][:2] == ["acme/proto", "acme/core-lib"]


def test_a_built_plan_is_listed_and_served(project: Project, plan: dict[str, Any]) -> None:
    assert plan["originating_run_id"] == "train-1"
    assert plan["plan_id"] in [p["plan_id"] for p in project.http.get("/releases/plans").json()]
    assert project.http.get(f"/releases/plans/{plan['plan_id']}").json() == plan


def test_a_started_run_is_listed_for_its_plan(project: Project, plan: dict[str, Any]) -> None:
    started = project.http.post(
        f"/releases/plans/{plan['plan_id']}/runs", json={"mode": "manual"}
    ).json()
    runs = project.http.get("/releases/runs", params={"plan_id": plan["plan_id"]}).json()
    assert set(started) == {"run", "items", "events"}
    assert [run["run_id"] for run in runs] == [started["run"]["run_id"]]


def test_marking_the_last_repo_completes_a_manual_run(
    project: Project, plan: dict[str, Any]
) -> None:
    run_id = project.http.post(
        f"/releases/plans/{plan['plan_id']}/runs", json={"mode": "manual"}
    ).json()["run"]["run_id"]
    body = {"repo_id": "acme/proto", "succeeded": True}
    marked = project.http.post(f"/releases/runs/{run_id}/mark", json=body).json()
    assert marked["run"]["status"] == "COMPLETED"
    assert project.http.get(f"/releases/runs/{run_id}").json()["run"]["status"] == "COMPLETED"


def test_a_cancelled_run_is_cancelled(project: Project, plan: dict[str, Any]) -> None:
    run_id = project.http.post(
        f"/releases/plans/{plan['plan_id']}/runs", json={"mode": "manual"}
    ).json()["run"]["run_id"]
    cancelled = project.http.post(f"/releases/runs/{run_id}/cancel").json()
    assert cancelled["run"]["status"] == "CANCELLED"


def test_advancing_a_command_run_releases_the_next_repo(
    project: Project, plan: dict[str, Any]
) -> None:
    run_id = project.http.post(
        f"/releases/plans/{plan['plan_id']}/runs", json={"mode": "command"}
    ).json()["run"]["run_id"]
    advanced = project.http.post(f"/releases/runs/{run_id}/advance").json()
    proto = next(item for item in advanced["items"] if item["repo_id"] == "acme/proto")
    assert proto["status"] == {"succeeded": {"run_id": "rel-proto-4.3.0"}}


def test_an_unknown_plan_is_404(project: Project) -> None:
    response = project.http.get("/releases/plans/seq-00000000")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- backups (ours) ----------------------------------------------------------------------


def test_backups_are_listed_by_name_without_server_paths(project: Project) -> None:
    folders = project.http.get("/backups").json()
    assert sorted(folder["layout_status"] for folder in folders) == ["dry-run", "failed"]
    assert all(folder["path"] == folder["name"] for folder in folders)


def test_a_backup_status_summarises_the_execution(project: Project) -> None:
    status = project.http.get(f"/backups/{backup_named(project, 'failed')}/status").json()
    assert (status["layout_status"], status["operations"]) == ("failed", 15)
    assert status["execution"]["next_operation"]["sequence"] == 7


def test_a_backup_journal_is_served_as_canic_writes_it(project: Project) -> None:
    folder = backup_named(project, "dry-run")
    journal = project.http.get(f"/backups/{folder}/journal").json()
    on_disk = json.loads(
        (project.root / "backups" / folder / "backup-execution-journal.json").read_bytes()
    )
    assert journal == on_disk


def test_an_unlocked_journal_has_a_null_lock(project: Project) -> None:
    folder = backup_named(project, "dry-run")
    assert project.http.get(f"/backups/{folder}/lock").json() is None


def test_breaking_a_dead_processs_lock_removes_it(project: Project) -> None:
    folder = backup_named(project, "dry-run")
    lock = project.root / "backups" / folder / "backup-execution-journal.json.lock"
    lock.write_text("pid=999999999\n")
    assert project.http.delete(f"/backups/{folder}/lock").json() == {"broken": True}
    assert not lock.exists()


def test_stepping_a_journal_answers_the_updated_journal(project: Project) -> None:
    folder = backup_named(project, "dry-run")
    accepted = project.http.post(
        f"/backups/{folder}/accept-preflight", json={"preflight_id": "pf-1"}
    ).json()
    started = project.http.post(f"/backups/{folder}/start-next").json()
    recorded = project.http.post(
        f"/backups/{folder}/record", json={"sequence": 4, "outcome": "completed"}
    ).json()
    assert accepted["preflight_id"] == "pf-1"
    assert started["operations"][4]["state"] == "pending"
    assert recorded["operations"][4]["state"] == "completed"


def test_retrying_a_failed_operation_answers_it_ready(project: Project) -> None:
    folder = backup_named(project, "failed")
    journal = project.http.post(f"/backups/{folder}/retry", json={"sequence": 7}).json()
    assert journal["operations"][7]["state"] == "ready"


def test_a_refused_journal_step_is_409(project: Project) -> None:
    folder = backup_named(project, "failed")
    response = project.http.post(
        f"/backups/{folder}/accept-preflight", json={"preflight_id": "another"}
    )
    assert ito_error(response) == {
        "status": 409,
        "error": "preflight preflight-weekly-004 already accepted; refusing another",
        "code": "conflict",
    }


# --- backlog (ours) ----------------------------------------------------------------------


def test_the_backlog_lists_items_of_one_kind(project: Project) -> None:
    items = project.http.get("/backlog", params={"kind": "proof-review"}).json()
    assert [item["item_ref"] for item in items] == [
        "balance_no_dup_cells#0",
        "balance_no_dup_cells#verdict",
        "lease_single_holder#1",
    ]
    assert set(items[0]) == {"kind", "item_ref", "deferred_at", "deferred_from_session", "data"}


def test_a_backlog_decision_answers_the_record(project: Project) -> None:
    body = {
        "kind": "proof-review",
        "item_ref": "lease_single_holder#1",
        "decision": "reject",
        "note": "not needed",
        "decided_by": "me",
    }
    record = project.http.post("/backlog/decide", json=body).json()
    assert (record["decision"], record["note"], record["decided_by"]) == (
        "reject",
        "not needed",
        "me",
    )
    assert record["item"]["item_ref"] == "lease_single_holder#1"


# --- refusals ----------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_400(project: Project) -> None:
    response = project.http.post(
        "/events", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert ito_error(response) == {
        "status": 400,
        "error": "request body is not valid JSON",
        "code": "bad_request",
    }


def test_a_body_missing_a_field_is_400_naming_it(project: Project) -> None:
    response = project.http.post(f"/changes/{ACTIVE}/lease", json={})
    assert ito_error(response) == {
        "status": 400,
        "error": "holder: Field required",
        "code": "bad_request",
    }


def test_an_invalid_idempotency_key_is_400(project: Project) -> None:
    event = project.http.get("/events").json()[0]
    response = project.http.post("/events", json={"events": [event], "idempotency_key": "a b"})
    assert ito_error(response) == {
        "status": 400,
        "error": "idempotency_key must be 1-128 characters of A-Z, a-z, 0-9, '_' or '-'",
        "code": "bad_request",
    }


def test_a_request_without_a_token_is_401(anonymous: httpx.Client, project: Project) -> None:
    response = anonymous.get(f"/projects/acme/{project.repo}/changes")
    assert ito_error(response) == {
        "status": 401,
        "error": "Missing bearer token",
        "code": "unauthorized",
    }


def test_a_project_off_the_allow_list_is_403(server: LiveServer) -> None:
    response = httpx.get(
        f"{server.api}/projects/other-org/demo/changes",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert ito_error(response) == {
        "status": 403,
        "error": "Organization/repository 'other-org/demo' is not allowed",
        "code": "forbidden",
    }


def test_an_unknown_route_is_404(project: Project) -> None:
    response = project.http.get("/no-such-route")
    assert ito_error(response) == {
        "status": 404,
        "error": f"not found: {project.prefix}/no-such-route",
        "code": "not_found",
    }


def raw_get(server: LiveServer, path: str) -> tuple[int, bytes]:
    """A request whose path is sent byte for byte (httpx would fold '..' segments away)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_change_id_of_dot_dot_is_refused_as_400(server: LiveServer, project: Project) -> None:
    status, body = raw_get(server, f"{project.prefix}/changes/../tasks")
    assert status == 400
    assert b"invalid change id '..'" in body


def test_an_encoded_dot_dot_change_id_is_refused_as_400(project: Project) -> None:
    response = project.http.get("/changes/%2E%2E/sync")
    assert ito_error(response) == {
        "status": 400,
        "error": "invalid change id '..': not usable as a file name",
        "code": "bad_request",
    }


def test_an_encoded_slash_in_a_change_id_matches_no_route(project: Project) -> None:
    response = project.http.get("/changes/..%2F..%2F..%2Fetc/tasks")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_path_climbing_out_of_the_project_matches_no_route(
    server: LiveServer, project: Project
) -> None:
    status, body = raw_get(server, f"{project.prefix}/changes/../../../../../etc/passwd")
    assert status == 404
    assert b"root:" not in body


def test_an_org_of_dot_dot_is_refused_as_400(server: LiveServer) -> None:
    response = httpx.get(
        f"{server.api}/projects/%2E%2E/demo/changes",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")


def test_a_server_error_is_500_without_a_stack_trace(server: LiveServer, project: Project) -> None:
    state = project.root / ".quarterdeck"
    shutil.rmtree(state)
    state.mkdir()
    (state / "state.db").write_bytes(b"this is not a SQLite database\n" * 64)
    response = project.http.get("/leases")
    assert ito_error(response) == {
        "status": 500,
        "error": "internal error (see the server log)",
        "code": "internal_error",
    }
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    assert "Traceback" in server.log()


# --- body size ---------------------------------------------------------------------------

SMALL_LIMIT = 2048


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Iterator[LiveServer]:
    env = {"QUARTERDECK_SERVER_MAX_BODY_BYTES": str(SMALL_LIMIT)}
    with LiveServer(tmp_path_factory.mktemp("small") / "data", env=env) as live:
        yield live


def test_a_body_over_the_limit_is_413(small_server: LiveServer) -> None:
    small = open_project(small_server, None)
    with small.http:
        response = small.http.post("/events", json={"padding": "x" * SMALL_LIMIT})
    assert ito_error(response) == {
        "status": 413,
        "error": f"request body exceeds {SMALL_LIMIT} bytes",
        "code": "bad_request",
    }


def test_a_streamed_body_over_the_limit_is_413_too(small_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b" " * (SMALL_LIMIT // 2)

    small = open_project(small_server, None)
    with small.http:
        response = small.http.post(
            "/events", content=chunks(), headers={"content-type": "application/json"}
        )
    assert ito_error(response) == {
        "status": 413,
        "error": f"request body exceeds {SMALL_LIMIT} bytes",
        "code": "bad_request",
    }


def test_a_body_under_the_limit_is_served(small_server: LiveServer) -> None:
    small = open_project(small_server, None)
    with small.http:
        response = small.http.post("/events", json={"events": [], "idempotency_key": "k"})
    assert (response.status_code, response.json()) == (200, {"accepted": 0, "duplicates": 0})


# --- OpenAPI -----------------------------------------------------------------------------


def test_the_openapi_document_lists_every_route(anonymous: httpx.Client) -> None:
    document = anonymous.get("/openapi.json").json()
    prefix = "/api/v1/projects/{org}/{repo}"
    expected = {
        "/api/v1/health": {"get"},
        "/api/v1/ready": {"get"},
        f"{prefix}/auth/verify": {"get"},
        f"{prefix}/changes": {"get"},
        f"{prefix}/changes/{{change_id}}": {"get"},
        f"{prefix}/changes/{{change_id}}/tasks": {"get"},
        f"{prefix}/changes/{{change_id}}/sync": {"get", "post"},
        f"{prefix}/changes/{{change_id}}/archive": {"post"},
        f"{prefix}/modules": {"get"},
        f"{prefix}/modules/{{module_id}}": {"get"},
        f"{prefix}/specs": {"get"},
        f"{prefix}/specs/{{spec_id}}": {"get"},
        f"{prefix}/events": {"get", "post"},
        f"{prefix}/leases": {"get"},
        f"{prefix}/leases/allocate": {"post"},
        f"{prefix}/changes/{{change_id}}/lease": {"post", "delete"},
        f"{prefix}/changes/{{change_id}}/lease/heartbeat": {"post"},
        f"{prefix}/releases/graph": {"get"},
        f"{prefix}/releases/plans": {"get", "post"},
        f"{prefix}/releases/plans/{{plan_id}}": {"get"},
        f"{prefix}/releases/plans/{{plan_id}}/runs": {"post"},
        f"{prefix}/releases/runs": {"get"},
        f"{prefix}/releases/runs/{{run_id}}": {"get"},
        f"{prefix}/releases/runs/{{run_id}}/advance": {"post"},
        f"{prefix}/releases/runs/{{run_id}}/mark": {"post"},
        f"{prefix}/releases/runs/{{run_id}}/cancel": {"post"},
        f"{prefix}/backups": {"get"},
        f"{prefix}/backups/{{folder}}/status": {"get"},
        f"{prefix}/backups/{{folder}}/journal": {"get"},
        f"{prefix}/backups/{{folder}}/lock": {"get", "delete"},
        f"{prefix}/backups/{{folder}}/accept-preflight": {"post"},
        f"{prefix}/backups/{{folder}}/start-next": {"post"},
        f"{prefix}/backups/{{folder}}/record": {"post"},
        f"{prefix}/backups/{{folder}}/retry": {"post"},
        f"{prefix}/backlog": {"get"},
        f"{prefix}/backlog/decide": {"post"},
    }
    served = {path: set(methods) for path, methods in document["paths"].items()}
    assert served == expected
