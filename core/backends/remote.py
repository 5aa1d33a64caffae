"""The remote backend: the same interface as the local one, over ito's HTTP API (httpx).

Layers, as httpx's own: `_call` is transport (timeouts, retries with backoff for idempotent
requests only, status → typed error); the methods below are the API, one route each.
Works against a Quarterdeck server and against ito's own (which has no lease, release,
backup or backlog routes: those answer with a plain "not supported here" error).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from core import __version__
from core.backends.base import BackendInfo, Health, ReleaseGraphView
from core.ito.ids import humanize, require_safe_component
from core.ito.summary import title_from_proposal
from core.models.backlog import BacklogItem, Decision, DecisionRecord
from core.models.backups import (
    BackupFolder,
    BackupStatus,
    CompletionFields,
    ExecutionJournal,
    JournalLockInfo,
    ReceiptOutcome,
)
from core.models.changes import (
    ChangeDetail,
    ChangeListing,
    ChangeSummary,
    Lifecycle,
    LifecycleFilter,
    ModuleDetail,
    ModuleSummary,
    SpecDocument,
    SpecSummary,
    TaskList,
)
from core.models.errors import (
    BackendUnavailable,
    LeaseConflict,
    NoLeaseSupport,
    NotFound,
    NotSupported,
    QuarterdeckError,
    RevisionConflict,
    error_from_body,
)
from core.models.events import AuditEvent, EventBatch, EventIngestResult
from core.models.leases import AllocateResult, Lease, ReleaseResult
from core.models.releases import ReleaseRequest, Run, RunProgress, SequencePlan
from core.models.sync import ArchiveResult, ArtifactBundle, PushResult
from core.store.change_index import HEAD_ROWS
from core.store.listing_cache import ListingCache

_REVISION_CONFLICT = re.compile(
    r"revision conflict for '(?P<id>[^']*)': local=(?P<local>.*), server=(?P<server>.*)$"
)
RETRY_STATUSES = frozenset({502, 503, 504})
Route = Literal["ito", "lease", "quarterdeck"]
T = TypeVar("T")


class RemoteBackend:
    def __init__(
        self,
        url: str,
        org: str,
        repo: str,
        *,
        token: str | None,
        timeout_s: float = 30.0,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        listing_cache: ListingCache | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.org = org
        self.repo = repo
        headers = {"User-Agent": f"quarterdeck/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            transport=transport,
        )
        self._project = f"/projects/{quote(org, safe='')}/{quote(repo, safe='')}"
        self._max_retries = max_retries
        self._sleep = sleep
        self._listing_cache = listing_cache
        # Lifecycles listed by the server in this process: later listings (refreshes) go
        # straight to it, the rows shown being newer than the cached ones.
        self._listed: set[LifecycleFilter] = set()

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(kind="remote", location=self.url, project=f"{self.org}/{self.repo}")

    def close(self) -> None:
        self._http.close()

    # Transport.

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
        route: Route = "ito",
        project: bool = True,
    ) -> Any:
        """One request; retried with backoff only when repeating it cannot do harm."""
        url = (self._project if project else "") + path
        where = f"{method} {url}"
        attempts = self._max_retries + 1 if idempotent else 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            try:
                response = self._http.request(method, url, json=json, params=params)
            except httpx.TransportError as error:
                if not last:
                    self._backoff(attempt)
                    continue
                raise BackendUnavailable(_describe(error), request=where) from error
            if response.status_code in RETRY_STATUSES and not last:
                self._backoff(attempt)
                continue
            return self._decode(response, where, route)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(0.2 * 2**attempt, 2.0))

    def _decode(self, response: httpx.Response, where: str, route: Route) -> Any:
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise BackendUnavailable(
                    f"the server answered {response.status_code} with a body that is not JSON",
                    request=where,
                ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        status = response.status_code
        ours = "kind" in body  # a Quarterdeck server names the typed error
        if status == 404 and not ours and route != "ito":
            if route == "lease":
                raise NoLeaseSupport(self.url)
            raise NotSupported(
                f"the backend at {self.url} does not serve this ({where}); it is not a "
                "Quarterdeck server"
            )
        if status in RETRY_STATUSES:
            raise BackendUnavailable(str(body.get("error") or f"HTTP {status}"), request=where)
        error: QuarterdeckError = error_from_body(status, body)
        if status == 409 and not ours:
            error = _plain_conflict(body) or error
        raise error

    # Health.

    def health(self) -> Health:
        try:
            data = self._call("GET", "/health", idempotent=True, project=False)
            self._call("GET", "/auth/verify", idempotent=True)
        except QuarterdeckError as error:
            return Health(ok=False, detail=str(error))
        return Health(ok=True, version=str(data.get("version", "")))

    # Changes.

    def stream_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> Generator[ChangeListing, None, None]:
        # The API has no partial listings: one request, one complete answer. While it is
        # under way, on the first listing of a lifecycle, the rows the server gave last
        # time, if cached.
        cache = self._listing_cache
        if cache is not None and lifecycle not in self._listed:
            answer = _started(lambda: self.list_changes(lifecycle))
            yield from _cached_listings(cache, lifecycle)
            changes = answer.result()
        else:
            changes = self.list_changes(lifecycle)
        self._listed.add(lifecycle)
        if cache is not None:
            cache.save(lifecycle, changes)
        yield ChangeListing(changes, complete=True, scanned=len(changes), total=len(changes))

    def list_changes(
        self, lifecycle: LifecycleFilter = LifecycleFilter.ACTIVE
    ) -> list[ChangeSummary]:
        # ito's list does not say which lifecycle each item has: ask for each one.
        wanted = (
            [Lifecycle.ACTIVE, Lifecycle.ARCHIVED]
            if lifecycle == LifecycleFilter.ALL
            else [Lifecycle(lifecycle.value)]
        )
        summaries: list[ChangeSummary] = []
        for phase in wanted:
            rows = self._call("GET", "/changes", params={"lifecycle": phase.value}, idempotent=True)
            summaries.extend(
                ChangeSummary.validate({**row, "title": humanize(row["id"]), "lifecycle": phase})
                for row in rows
            )
        return summaries

    def get_change(self, change_id: str) -> ChangeDetail:
        for phase in (Lifecycle.ACTIVE, Lifecycle.ARCHIVED):
            try:
                data = self._call(
                    "GET",
                    f"/changes/{_seg(change_id)}",
                    params={"lifecycle": phase.value},
                    idempotent=True,
                )
            except NotFound:
                continue
            title = title_from_proposal(data.get("proposal"), change_id)
            return ChangeDetail.model_validate({**data, "title": title, "lifecycle": phase})
        raise NotFound("change", change_id)

    def get_tasks(self, change_id: str) -> TaskList:
        data = self._call("GET", f"/changes/{_seg(change_id)}/tasks", idempotent=True)
        return TaskList.model_validate(data)

    def list_modules(self) -> list[ModuleSummary]:
        rows = self._call("GET", "/modules", idempotent=True)
        return [ModuleSummary.model_validate(row) for row in rows]

    def module_names(self) -> dict[str, str]:
        # ito's API has no names-only listing; the server counts the changes.
        return {module.id: module.name for module in self.list_modules()}

    def get_module(self, module_id: str) -> ModuleDetail:
        return ModuleDetail.model_validate(
            self._call("GET", f"/modules/{_seg(module_id)}", idempotent=True)
        )

    def list_specs(self) -> list[SpecSummary]:
        return [
            SpecSummary.model_validate(row) for row in self._call("GET", "/specs", idempotent=True)
        ]

    def get_spec(self, spec_id: str) -> SpecDocument:
        return SpecDocument.model_validate(
            self._call("GET", f"/specs/{_seg(spec_id)}", idempotent=True)
        )

    # Leases.

    def list_leases(self, include_expired: bool = False) -> list[Lease]:
        params = {"include_expired": "true"} if include_expired else None
        rows = self._call("GET", "/leases", params=params, idempotent=True, route="lease")
        return [Lease.model_validate(row) for row in rows]

    def claim(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        data = self._call(
            "POST",
            f"/changes/{_seg(change_id)}/lease",
            json={"holder": holder, "ttl_seconds": ttl_seconds},
            idempotent=False,
            route="lease",
        )
        return Lease.model_validate(data)

    def heartbeat(self, change_id: str, holder: str, ttl_seconds: int) -> Lease:
        data = self._call(
            "POST",
            f"/changes/{_seg(change_id)}/lease/heartbeat",
            json={"holder": holder, "ttl_seconds": ttl_seconds},
            idempotent=False,
            route="lease",
        )
        return Lease.model_validate(data)

    def release(self, change_id: str, holder: str, *, force: bool = False) -> ReleaseResult:
        data = self._call(
            "DELETE",
            f"/changes/{_seg(change_id)}/lease",
            params={"holder": holder, "force": "true" if force else "false"},
            idempotent=True,
            route="lease",
        )
        return ReleaseResult.model_validate(data)

    def allocate(
        self, holder: str, ttl_seconds: int, idempotency_key: str | None = None
    ) -> AllocateResult:
        data = self._call(
            "POST",
            "/leases/allocate",
            json={"holder": holder, "ttl_seconds": ttl_seconds, "idempotency_key": idempotency_key},
            # With a key the server answers a repeat with the first result.
            idempotent=idempotency_key is not None,
            route="lease",
        )
        return AllocateResult.model_validate(data)

    # Sync and archive.

    def pull_bundle(self, change_id: str) -> ArtifactBundle:
        data = self._call("GET", f"/changes/{_seg(change_id)}/sync", idempotent=True)
        return ArtifactBundle.model_validate(data)

    def push_bundle(self, change_id: str, bundle: ArtifactBundle) -> PushResult:
        body = bundle.model_dump(mode="json", exclude={"change_id"})
        data = self._call("POST", f"/changes/{_seg(change_id)}/sync", json=body, idempotent=False)
        return PushResult.model_validate(data)

    def mark_archived(self, change_id: str) -> ArchiveResult:
        data = self._call("POST", f"/changes/{_seg(change_id)}/archive", idempotent=False)
        return ArchiveResult.model_validate(data)

    # Events.

    def list_events(self, limit: int | None = None) -> list[AuditEvent]:
        params = {"limit": limit} if limit is not None else None
        rows = self._call("GET", "/events", params=params, idempotent=True)
        return [AuditEvent.model_validate(row) for row in rows]

    def ingest_events(self, batch: EventBatch) -> EventIngestResult:
        data = self._call(
            "POST",
            "/events",
            json={
                "events": [event.to_json_dict() for event in batch.events],
                "idempotency_key": batch.idempotency_key,
            },
            idempotent=True,  # the key makes a repeat append nothing twice
        )
        return EventIngestResult.model_validate(data)

    # Backups.

    def _backup(self, method: str, folder: str, action: str, **kwargs: Any) -> Any:
        return self._call(
            method, f"/backups/{_seg(folder)}/{action}", route="quarterdeck", **kwargs
        )

    def list_backups(self) -> list[BackupFolder]:
        rows = self._call("GET", "/backups", idempotent=True, route="quarterdeck")
        return [BackupFolder.model_validate(row) for row in rows]

    def backup_status(self, folder: str) -> BackupStatus:
        return BackupStatus.model_validate(self._backup("GET", folder, "status", idempotent=True))

    def backup_journal(self, folder: str) -> ExecutionJournal:
        return ExecutionJournal.model_validate(
            self._backup("GET", folder, "journal", idempotent=True)
        )

    def accept_preflight(self, folder: str, preflight_id: str) -> ExecutionJournal:
        data = self._backup(
            "POST",
            folder,
            "accept-preflight",
            json={"preflight_id": preflight_id},
            idempotent=False,
        )
        return ExecutionJournal.model_validate(data)

    def start_next_operation(self, folder: str) -> ExecutionJournal:
        return ExecutionJournal.model_validate(
            self._backup("POST", folder, "start-next", idempotent=False)
        )

    def record_operation(
        self,
        folder: str,
        sequence: int,
        outcome: ReceiptOutcome,
        fields: CompletionFields,
        failure_reason: str | None = None,
    ) -> ExecutionJournal:
        body = {
            "sequence": sequence,
            "outcome": outcome.value,
            "fields": fields.model_dump(mode="json"),
            "failure_reason": failure_reason,
        }
        return ExecutionJournal.model_validate(
            self._backup("POST", folder, "record", json=body, idempotent=False)
        )

    def retry_operation(self, folder: str, sequence: int) -> ExecutionJournal:
        return ExecutionJournal.model_validate(
            self._backup("POST", folder, "retry", json={"sequence": sequence}, idempotent=False)
        )

    def journal_lock(self, folder: str) -> JournalLockInfo | None:
        data = self._backup("GET", folder, "lock", idempotent=True)
        return JournalLockInfo.model_validate(data) if data else None

    def break_journal_lock(self, folder: str) -> None:
        self._backup("DELETE", folder, "lock", idempotent=True)

    # Backlog.

    def list_backlog(self, kind: str | None = None) -> list[BacklogItem]:
        params = {"kind": kind} if kind else None
        rows = self._call("GET", "/backlog", params=params, idempotent=True, route="quarterdeck")
        return [BacklogItem.model_validate(row) for row in rows]

    def decide_backlog(
        self, kind: str, item_ref: str, decision: Decision, note: str | None, decided_by: str
    ) -> DecisionRecord:
        body = {
            "kind": kind,
            "item_ref": item_ref,
            "decision": decision.value,
            "note": note,
            "decided_by": decided_by,
        }
        data = self._call(
            "POST", "/backlog/decide", json=body, idempotent=False, route="quarterdeck"
        )
        return DecisionRecord.model_validate(data)

    # Releases.

    def _release(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, f"/releases{path}", route="quarterdeck", **kwargs)

    def release_graph(self) -> ReleaseGraphView:
        return ReleaseGraphView.model_validate(self._release("GET", "/graph", idempotent=True))

    def build_release_plan(
        self, requests: list[ReleaseRequest], originating_run_id: str | None = None
    ) -> SequencePlan:
        body = {
            "requests": [request.model_dump(mode="json") for request in requests],
            "originating_run_id": originating_run_id,
        }
        return SequencePlan.model_validate(
            self._release("POST", "/plans", json=body, idempotent=False)
        )

    def list_release_plans(self) -> list[SequencePlan]:
        rows = self._release("GET", "/plans", idempotent=True)
        return [SequencePlan.model_validate(row) for row in rows]

    def get_release_plan(self, plan_id: str) -> SequencePlan:
        return SequencePlan.model_validate(
            self._release("GET", f"/plans/{_seg(plan_id)}", idempotent=True)
        )

    def start_release_run(self, plan_id: str, mode: Literal["command", "manual"]) -> RunProgress:
        data = self._release(
            "POST", f"/plans/{_seg(plan_id)}/runs", json={"mode": mode}, idempotent=False
        )
        return RunProgress.model_validate(data)

    def advance_release_run(self, run_id: str) -> RunProgress:
        return RunProgress.model_validate(
            self._release("POST", f"/runs/{_seg(run_id)}/advance", idempotent=False)
        )

    def mark_release_item(
        self, run_id: str, repo_id: str, succeeded: bool, reason: str | None = None
    ) -> RunProgress:
        body = {"repo_id": repo_id, "succeeded": succeeded, "reason": reason}
        return RunProgress.model_validate(
            self._release("POST", f"/runs/{_seg(run_id)}/mark", json=body, idempotent=False)
        )

    def cancel_release_run(self, run_id: str) -> RunProgress:
        return RunProgress.model_validate(
            self._release("POST", f"/runs/{_seg(run_id)}/cancel", idempotent=False)
        )

    def list_release_runs(self, plan_id: str | None = None) -> list[Run]:
        params = {"plan_id": plan_id} if plan_id else None
        rows = self._release("GET", "/runs", params=params, idempotent=True)
        return [Run.model_validate(row) for row in rows]

    def get_release_run(self, run_id: str) -> RunProgress:
        return RunProgress.model_validate(
            self._release("GET", f"/runs/{_seg(run_id)}", idempotent=True)
        )


def _started(call: Callable[[], T]) -> Future[T]:
    """`call()` under way on a thread of its own. A daemon thread: a dashboard quitting
    while the server still works on a big listing does not wait for its answer."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name="remote-listing", daemon=True).start()
    return future


def _cached_listings(
    cache: ListingCache, lifecycle: LifecycleFilter
) -> Generator[ChangeListing, None, None]:
    """The cached rows as a local start shows its index: a big listing's first screenful,
    then every row, neither complete (the server's answer is still to come)."""
    cached = cache.load(lifecycle)
    if cached is None:
        return
    if cached.count > HEAD_ROWS and (head := cached.head()):
        yield ChangeListing(head, complete=False, expected=cached.count)
    if rows := cached.rows():
        cache.remember(lifecycle, rows)
        yield ChangeListing(rows, complete=False)


def _seg(value: str) -> str:
    """One path segment. An id that is not one path component is refused here, as the local
    backend refuses it: '/' would route elsewhere and '.' or '..' would be folded away."""
    return quote(require_safe_component(value, "id"), safe="")


def _describe(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    return str(error) or type(error).__name__


def _plain_conflict(body: dict[str, Any]) -> QuarterdeckError | None:
    """ito's own server sends only `error` and `code`: recover the typed conflict."""
    message = str(body.get("error", ""))
    found = _REVISION_CONFLICT.search(message)
    if found:
        return RevisionConflict(found["id"], found["local"], found["server"])
    if body.get("holder"):
        change = str(body.get("change_id", ""))
        expires = body.get("expires_at")
        return LeaseConflict(change, str(body["holder"]), str(expires) if expires else None)
    return None
