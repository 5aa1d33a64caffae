"""The ASGI app: ito's API under `/api/v1`, Quarterdeck's additions under the same project
prefix, same auth, same error body. Thin: every rule lives in the local backend.

Handlers are plain `def`s: FastAPI runs them in its thread pool, which suits the blocking
file and SQLite work of the backend.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import __version__
from core.backends.local import LocalBackend
from core.models.backlog import Decision
from core.models.backups import CompletionFields, ReceiptOutcome
from core.models.changes import Lifecycle, LifecycleFilter
from core.models.errors import ErrorCode, InvalidInput, NotFound, QuarterdeckError
from core.models.events import EventBatch
from core.models.releases import ReleaseRequest
from core.models.sync import ArtifactBundle
from core.server.auth import Scope, authorize
from core.server.projects import ProjectRegistry, check_name
from core.server.settings import ServerSettings
from core.timeutil import Clock, system_clock

log = logging.getLogger("quarterdeck.server")

DEFAULT_TTL_SECONDS = 1800
# Smaller answers (most of them: a lease, a status) go as they are: gzip would save little.
GZIP_MINIMUM_BYTES = 1024
PROJECT = "/api/v1/projects/{org}/{repo}"
_CODE_BY_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BAD_REQUEST,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def error_response(status: int, message: str, code: ErrorCode | None = None) -> JSONResponse:
    chosen = code or _CODE_BY_STATUS.get(status, ErrorCode.INTERNAL_ERROR)
    return JSONResponse({"error": message, "code": chosen.value}, status_code=status)


class BodyLimit:
    """Refuse request bodies over the limit (413), counting streamed bytes too."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_large = refused = False

        async def counted() -> MutableMapping[str, Any]:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                too_large = True
                raise _TooLarge
            return message

        async def answer(message: MutableMapping[str, Any]) -> None:
            # FastAPI turns an error raised while it reads the body into its own 400 answer:
            # once the limit is passed, whatever the app answers becomes our 413.
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, counted, answer)
        except _TooLarge:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Any, receive: Any, send: Any) -> None:
        response = error_response(413, f"request body exceeds {self.limit} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


# Request bodies of the routes Quarterdeck adds.


class LeaseBody(BaseModel):
    holder: str
    ttl_seconds: int | None = None


class AllocateBody(BaseModel):
    holder: str
    ttl_seconds: int | None = None
    idempotency_key: str | None = None


class PushBody(BaseModel):
    proposal: str | None = None
    design: str | None = None
    tasks: str | None = None
    specs: list[tuple[str, str]] = Field(default_factory=list)
    revision: str = ""


class PlanBody(BaseModel):
    requests: list[ReleaseRequest]
    originating_run_id: str | None = None


class RunBody(BaseModel):
    mode: Literal["command", "manual"] = "command"


class MarkBody(BaseModel):
    repo_id: str
    succeeded: bool
    reason: str | None = None


class PreflightBody(BaseModel):
    preflight_id: str


class RecordBody(BaseModel):
    sequence: int
    outcome: ReceiptOutcome
    fields: CompletionFields = Field(default_factory=CompletionFields)
    failure_reason: str | None = None


class SequenceBody(BaseModel):
    sequence: int


class DecideBody(BaseModel):
    kind: str
    item_ref: str
    decision: Decision
    note: str | None = None
    decided_by: str


def scope_of(
    request: Request, org: str, repo: str, authorization: Annotated[str | None, Header()] = None
) -> Scope:
    settings: ServerSettings = request.app.state.settings
    return authorize(settings, check_name(org, "org"), check_name(repo, "repo"), authorization)


ProjectScope = Annotated[Scope, Depends(scope_of)]


def project(request: Request, org: str, repo: str, _scope: ProjectScope) -> LocalBackend:
    registry: ProjectRegistry = request.app.state.registry
    return registry.backend(org, repo)


ProjectBackend = Annotated[LocalBackend, Depends(project)]
router = APIRouter()


def lifecycle_of(value: str | None) -> LifecycleFilter:
    try:
        return LifecycleFilter(value or "active")
    except ValueError:
        raise InvalidInput(
            f"Invalid lifecycle '{value}'. Expected active, archived, or all."
        ) from None


def ttl_of(value: int | None) -> int:
    # Only a missing TTL takes the default: 0 must reach the lease rules and be refused.
    return DEFAULT_TTL_SECONDS if value is None else value


def folder_name(folder: str) -> str:
    return check_name(folder, "backup folder")


@router.get("/api/v1/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/api/v1/ready")
def ready(request: Request) -> JSONResponse:
    settings: ServerSettings = request.app.state.settings
    if settings.data_dir.is_dir():
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        {"status": "not_ready", "reason": f"Data directory not found at {settings.data_dir}"},
        status_code=503,
    )


@router.get(PROJECT + "/auth/verify")
def auth_verify(scope: ProjectScope) -> dict[str, object]:
    return scope.body()


# ito's change API.


@router.get(PROJECT + "/changes", response_class=JSONResponse)
def list_changes(
    request: Request, org: str, repo: str, backend: ProjectBackend, lifecycle: str | None = None
) -> Response:
    wanted = lifecycle_of(lifecycle)

    def listing_body() -> bytes:
        # Encoded once for every request sharing the listing, as JSONResponse encodes.
        items = [change.api_dict() for change in backend.list_changes(wanted)]
        return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()

    registry: ProjectRegistry = request.app.state.registry
    # A big project's listing checks every folder for seconds: requests that come while
    # one runs share the next (SharedCall says why not the one running).
    shared = registry.shared((org, repo, "changes", wanted.value), listing_body)
    return Response(shared(), media_type="application/json")


@router.get(PROJECT + "/changes/{change_id}")
def get_change(
    backend: ProjectBackend, change_id: str, lifecycle: str | None = None
) -> dict[str, Any]:
    wanted = lifecycle_of(lifecycle or "all")
    detail = backend.get_change(change_id)
    if wanted != LifecycleFilter.ALL and detail.lifecycle != Lifecycle(wanted.value):
        raise NotFound("change", change_id)
    return detail.api_dict()


@router.get(PROJECT + "/changes/{change_id}/tasks")
def get_tasks(backend: ProjectBackend, change_id: str) -> dict[str, Any]:
    return backend.get_tasks(change_id).api_dict()


@router.get(PROJECT + "/changes/{change_id}/sync")
def pull(backend: ProjectBackend, change_id: str) -> dict[str, Any]:
    return backend.pull_bundle(change_id).model_dump(mode="json")


@router.post(PROJECT + "/changes/{change_id}/sync")
def push(backend: ProjectBackend, change_id: str, body: PushBody) -> dict[str, Any]:
    bundle = ArtifactBundle(change_id=change_id, **body.model_dump())
    return backend.push_bundle(change_id, bundle).model_dump(mode="json")


@router.post(PROJECT + "/changes/{change_id}/archive")
def archive(backend: ProjectBackend, change_id: str) -> dict[str, Any]:
    return backend.mark_archived(change_id).model_dump(mode="json")


@router.get(PROJECT + "/modules")
def list_modules(backend: ProjectBackend) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in backend.list_modules()]


@router.get(PROJECT + "/modules/{module_id}")
def get_module(backend: ProjectBackend, module_id: str) -> dict[str, Any]:
    return backend.get_module(module_id).api_dict()


@router.get(PROJECT + "/specs")
def list_specs(backend: ProjectBackend) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in backend.list_specs()]


@router.get(PROJECT + "/specs/{spec_id}")
def get_spec(backend: ProjectBackend, spec_id: str) -> dict[str, Any]:
    return backend.get_spec(spec_id).model_dump(mode="json")


@router.get(PROJECT + "/events")
def list_events(backend: ProjectBackend, limit: int | None = None) -> list[dict[str, Any]]:
    return [event.to_json_dict() for event in backend.list_events(limit)]


@router.post(PROJECT + "/events")
def ingest(backend: ProjectBackend, batch: EventBatch) -> dict[str, Any]:
    return backend.ingest_events(batch).model_dump(mode="json")


# Leases (ours; ito's server has none).


@router.get(PROJECT + "/leases")
def list_leases(backend: ProjectBackend, include_expired: bool = False) -> list[dict[str, Any]]:
    return [lease.model_dump(mode="json") for lease in backend.list_leases(include_expired)]


@router.post(PROJECT + "/changes/{change_id}/lease")
def claim(backend: ProjectBackend, change_id: str, body: LeaseBody) -> dict[str, Any]:
    ttl = ttl_of(body.ttl_seconds)
    return backend.claim(change_id, body.holder, ttl).model_dump(mode="json")


@router.post(PROJECT + "/changes/{change_id}/lease/heartbeat")
def heartbeat(backend: ProjectBackend, change_id: str, body: LeaseBody) -> dict[str, Any]:
    ttl = ttl_of(body.ttl_seconds)
    return backend.heartbeat(change_id, body.holder, ttl).model_dump(mode="json")


@router.delete(PROJECT + "/changes/{change_id}/lease")
def release(
    backend: ProjectBackend, change_id: str, holder: Annotated[str, Query()], force: bool = False
) -> dict[str, Any]:
    return backend.release(change_id, holder, force=force).model_dump(mode="json")


@router.post(PROJECT + "/leases/allocate")
def allocate(backend: ProjectBackend, body: AllocateBody) -> dict[str, Any]:
    ttl = ttl_of(body.ttl_seconds)
    return backend.allocate(body.holder, ttl, body.idempotency_key).model_dump(mode="json")


# Releases (what the Releases screen needs).


@router.get(PROJECT + "/releases/graph")
def graph(backend: ProjectBackend) -> dict[str, Any]:
    return backend.release_graph().model_dump(mode="json")


@router.get(PROJECT + "/releases/plans")
def plans(backend: ProjectBackend) -> list[dict[str, Any]]:
    return [plan.model_dump(mode="json") for plan in backend.list_release_plans()]


@router.post(PROJECT + "/releases/plans")
def build(backend: ProjectBackend, body: PlanBody) -> dict[str, Any]:
    plan = backend.build_release_plan(body.requests, body.originating_run_id)
    return plan.model_dump(mode="json")


@router.get(PROJECT + "/releases/plans/{plan_id}")
def plan(backend: ProjectBackend, plan_id: str) -> dict[str, Any]:
    return backend.get_release_plan(plan_id).model_dump(mode="json")


@router.post(PROJECT + "/releases/plans/{plan_id}/runs")
def start_run(backend: ProjectBackend, plan_id: str, body: RunBody) -> dict[str, Any]:
    return backend.start_release_run(plan_id, body.mode).model_dump(mode="json")


@router.get(PROJECT + "/releases/runs")
def runs(backend: ProjectBackend, plan_id: str | None = None) -> list[dict[str, Any]]:
    return [run.model_dump(mode="json") for run in backend.list_release_runs(plan_id)]


@router.get(PROJECT + "/releases/runs/{run_id}")
def run(backend: ProjectBackend, run_id: str) -> dict[str, Any]:
    return backend.get_release_run(run_id).model_dump(mode="json")


@router.post(PROJECT + "/releases/runs/{run_id}/advance")
def advance(backend: ProjectBackend, run_id: str) -> dict[str, Any]:
    return backend.advance_release_run(run_id).model_dump(mode="json")


@router.post(PROJECT + "/releases/runs/{run_id}/mark")
def mark(backend: ProjectBackend, run_id: str, body: MarkBody) -> dict[str, Any]:
    progress = backend.mark_release_item(run_id, body.repo_id, body.succeeded, body.reason)
    return progress.model_dump(mode="json")


@router.post(PROJECT + "/releases/runs/{run_id}/cancel")
def cancel(backend: ProjectBackend, run_id: str) -> dict[str, Any]:
    return backend.cancel_release_run(run_id).model_dump(mode="json")


# Backups (the stepper). Folders are names inside the project's backup roots only.


@router.get(PROJECT + "/backups")
def backups(backend: ProjectBackend) -> list[dict[str, Any]]:
    # Clients name folders, never server paths: do not tell them where the files live.
    return [
        folder.model_copy(update={"path": folder.name}).model_dump(mode="json")
        for folder in backend.list_backups()
    ]


@router.get(PROJECT + "/backups/{folder}/status")
def backup_status(backend: ProjectBackend, folder: str) -> dict[str, Any]:
    return backend.backup_status(folder_name(folder)).model_dump(mode="json")


@router.get(PROJECT + "/backups/{folder}/journal")
def journal(backend: ProjectBackend, folder: str) -> dict[str, Any]:
    return backend.backup_journal(folder_name(folder)).model_dump(mode="json")


@router.get(PROJECT + "/backups/{folder}/lock")
def lock(backend: ProjectBackend, folder: str) -> dict[str, Any] | None:
    info = backend.journal_lock(folder_name(folder))
    return info.model_dump(mode="json") if info else None


@router.delete(PROJECT + "/backups/{folder}/lock")
def break_lock(backend: ProjectBackend, folder: str) -> dict[str, bool]:
    backend.break_journal_lock(folder_name(folder))
    return {"broken": True}


@router.post(PROJECT + "/backups/{folder}/accept-preflight")
def accept(backend: ProjectBackend, folder: str, body: PreflightBody) -> dict[str, Any]:
    return backend.accept_preflight(folder_name(folder), body.preflight_id).model_dump(mode="json")


@router.post(PROJECT + "/backups/{folder}/start-next")
def start_next(backend: ProjectBackend, folder: str) -> dict[str, Any]:
    return backend.start_next_operation(folder_name(folder)).model_dump(mode="json")


@router.post(PROJECT + "/backups/{folder}/record")
def record(backend: ProjectBackend, folder: str, body: RecordBody) -> dict[str, Any]:
    journal = backend.record_operation(
        folder_name(folder), body.sequence, body.outcome, body.fields, body.failure_reason
    )
    return journal.model_dump(mode="json")


@router.post(PROJECT + "/backups/{folder}/retry")
def retry(backend: ProjectBackend, folder: str, body: SequenceBody) -> dict[str, Any]:
    return backend.retry_operation(folder_name(folder), body.sequence).model_dump(mode="json")


# Deferred review backlog.


@router.get(PROJECT + "/backlog")
def backlog(backend: ProjectBackend, kind: str | None = None) -> list[dict[str, Any]]:
    return [item.api_dict() for item in backend.list_backlog(kind)]


@router.post(PROJECT + "/backlog/decide")
def decide(backend: ProjectBackend, body: Annotated[DecideBody, Body()]) -> dict[str, Any]:
    record = backend.decide_backlog(
        body.kind, body.item_ref, body.decision, body.note, body.decided_by
    )
    return record.model_dump(mode="json")


def create_app(settings: ServerSettings, clock: Clock = system_clock) -> FastAPI:
    app = FastAPI(
        title="Quarterdeck backend (ito API)",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.registry = ProjectRegistry(settings.data_dir, clock)
    app.include_router(router)
    # Big answers are repetitive JSON: at 100,000 changes the listing is 29 MB, 2.0 MB
    # gzipped; a 10,000-operation journal 2.1 MB, 0.1 MB; a 10,000-item backlog 2.9 MB,
    # 0.05 MB. The listing took 6.4-7.6 s over 100 Mbit/s as is, 4.4-5.6 s gzipped; over
    # 20 Mbit/s, 17.4 s and 5.9-6.8 s. Level 3, not Starlette's 9: 0.11 s for the listing,
    # against 0.52 s for 0.5 MB less.
    # Only for clients whose Accept-Encoding names gzip (httpx's does by default).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=3)

    @app.exception_handler(QuarterdeckError)
    async def _typed(_request: Request, error: QuarterdeckError) -> JSONResponse:
        return JSONResponse(error.to_body(), status_code=error.code.http_status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        first: dict[str, Any] = dict(problems[0]) if problems else {"msg": "invalid request"}
        if first.get("type") == "json_invalid":
            return error_response(400, "request body is not valid JSON")
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = str(first.get("msg"))
        return error_response(400, f"{where}: {message}" if where else message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = (
            "not found: " + request.url.path if error.status_code == 404 else str(error.detail)
        )
        return error_response(error.status_code, message)

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error (see the server log)")

    # No auth: health and readiness.

    return app


def build_asgi(settings: ServerSettings, clock: Clock = system_clock) -> Any:
    """The app wrapped in the body-size limit (what uvicorn serves)."""
    return BodyLimit(create_app(settings, clock), settings.max_body_bytes)
