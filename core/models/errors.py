"""The typed errors everything in Quarterdeck raises.

One class per thing a user can act on. Each error knows three renderings of itself so
that no layer has to invent its own: the HTTP status/code of ito's error body
(`code`), the CLI exit status (`exit_code`), and a JSON body (`to_body`) that carries
the fields a client needs to rebuild the same typed error on the other side of the wire
(`error_from_body`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    """ito's error codes, with their HTTP statuses (FORMATS.md §2)."""

    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self]


_HTTP_STATUS = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}


class ExitCode:
    """CLI exit statuses (documented in the README)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    INVALID = 5
    UNAVAILABLE = 6
    AUTH = 7
    REFUSED = 8


_KINDS: dict[str, type[QuarterdeckError]] = {}


class QuarterdeckError(Exception):
    """Base class. Subclasses set `kind`, `code`, `exit_code` and build `message`."""

    kind: ClassVar[str] = "error"
    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR
    exit_code: ClassVar[int] = ExitCode.ERROR

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        # The constructor arguments, kept so the error can cross a wire and be rebuilt.
        self.fields: dict[str, Any] = fields

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _KINDS[cls.kind] = cls

    def __str__(self) -> str:
        return self.message

    def to_body(self) -> dict[str, Any]:
        """ito's error body, plus `kind` and the fields needed to rebuild the error."""
        return {"error": self.message, "code": self.code.value, "kind": self.kind, **self.fields}


class InvalidInput(QuarterdeckError):
    """A value the user or a client supplied is not acceptable (bad id, bad flag value...)."""

    kind = "invalid_input"
    code = ErrorCode.BAD_REQUEST
    exit_code = ExitCode.INVALID

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ParseError(QuarterdeckError):
    """A file on disk could not be read as its format; names the file and the line."""

    kind = "parse_error"
    code = ErrorCode.BAD_REQUEST
    exit_code = ExitCode.INVALID

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}", path=path, line=line, reason=reason)
        self.path = path
        self.line = line
        self.reason = reason


class NotFound(QuarterdeckError):
    kind = "not_found"
    code = ErrorCode.NOT_FOUND
    exit_code = ExitCode.NOT_FOUND

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} not found: {ident}", what=what, ident=ident)
        self.what = what
        self.ident = ident


class LeaseConflict(QuarterdeckError):
    """Someone else holds an unexpired lease on the change."""

    kind = "lease_conflict"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, change_id: str, holder: str, expires_at: str | None) -> None:
        until = f" until {expires_at}" if expires_at else ""
        super().__init__(
            f"change '{change_id}' is already claimed by '{holder}'{until}",
            change_id=change_id,
            holder=holder,
            expires_at=expires_at,
        )
        self.change_id = change_id
        self.holder = holder
        self.expires_at = expires_at


class LeaseNotHeld(QuarterdeckError):
    """A heartbeat or release by someone who is not the lease's holder."""

    kind = "lease_not_held"
    code = ErrorCode.FORBIDDEN
    exit_code = ExitCode.CONFLICT

    def __init__(self, change_id: str, holder: str, requester: str) -> None:
        super().__init__(
            f"lease on '{change_id}' is held by '{holder}', not '{requester}'",
            change_id=change_id,
            holder=holder,
            requester=requester,
        )
        self.change_id = change_id
        self.holder = holder
        self.requester = requester


class NoActiveLease(QuarterdeckError):
    """A heartbeat on a change nobody holds (or whose lease expired)."""

    kind = "no_active_lease"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, change_id: str) -> None:
        super().__init__(f"no active lease on '{change_id}'", change_id=change_id)
        self.change_id = change_id


class ChangeArchived(QuarterdeckError):
    kind = "change_archived"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, change_id: str) -> None:
        super().__init__(f"change '{change_id}' is archived", change_id=change_id)
        self.change_id = change_id


class RevisionConflict(QuarterdeckError):
    """A push based on a revision the backend no longer has (ito's exact message)."""

    kind = "revision_conflict"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, change_id: str, local_revision: str, server_revision: str) -> None:
        super().__init__(
            f"revision conflict for '{change_id}': local={local_revision}, "
            f"server={server_revision}",
            change_id=change_id,
            local_revision=local_revision,
            server_revision=server_revision,
        )
        self.change_id = change_id
        self.local_revision = local_revision
        self.server_revision = server_revision


class JournalLocked(QuarterdeckError):
    """Another process holds the backup journal's `.lock` file."""

    kind = "journal_locked"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, path: str, pid: int | None, pid_alive: bool | None) -> None:
        if pid is None:
            who = "by an unknown process"
        elif pid_alive:
            who = f"by running process {pid}"
        else:
            who = f"by process {pid}, which is no longer running (the lock can be broken)"
        super().__init__(
            f"backup execution journal is locked: {path} ({who})",
            path=path,
            pid=pid,
            pid_alive=pid_alive,
        )
        self.path = path
        self.pid = pid
        self.pid_alive = pid_alive


class InvalidTransition(QuarterdeckError):
    """A state machine (journal, release run) refused a step; nothing was changed."""

    kind = "invalid_transition"
    code = ErrorCode.CONFLICT
    exit_code = ExitCode.CONFLICT

    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidJournal(QuarterdeckError):
    """A backup plan or journal breaks canic's validity rules."""

    kind = "invalid_journal"
    code = ErrorCode.BAD_REQUEST
    exit_code = ExitCode.INVALID

    def __init__(self, message: str, path: str | None = None) -> None:
        text = f"{path}: {message}" if path else message
        super().__init__(text, path=path)
        self.path = path
        self.reason = message


class CycleError(QuarterdeckError):
    kind = "cycle"
    code = ErrorCode.BAD_REQUEST
    exit_code = ExitCode.INVALID

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(f"dependency cycle: {' -> '.join(cycle)}", cycle=cycle)
        self.cycle = cycle


class BackendUnavailable(QuarterdeckError):
    kind = "backend_unavailable"
    code = ErrorCode.SERVICE_UNAVAILABLE
    exit_code = ExitCode.UNAVAILABLE

    def __init__(self, message: str, request: str | None = None) -> None:
        text = (
            f"backend unavailable ({request}): {message}"
            if request
            else (f"backend unavailable: {message}")
        )
        super().__init__(text, request=request)
        self.request = request


class Unauthorized(QuarterdeckError):
    kind = "unauthorized"
    code = ErrorCode.UNAUTHORIZED
    exit_code = ExitCode.AUTH

    def __init__(self, message: str) -> None:
        super().__init__(message)


class Forbidden(QuarterdeckError):
    kind = "forbidden"
    code = ErrorCode.FORBIDDEN
    exit_code = ExitCode.AUTH

    def __init__(self, message: str) -> None:
        super().__init__(message)


class NoLeaseSupport(QuarterdeckError):
    """The remote backend (an ito server) has no lease routes."""

    kind = "no_lease_support"
    code = ErrorCode.NOT_FOUND
    exit_code = ExitCode.REFUSED

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the backend at {url} has no lease support (it answered 404 on the lease routes)",
            url=url,
        )


class NotSupported(QuarterdeckError):
    """An action that does not apply to this backend or configuration."""

    kind = "not_supported"
    code = ErrorCode.BAD_REQUEST
    exit_code = ExitCode.REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ReadOnly(QuarterdeckError):
    kind = "read_only"
    code = ErrorCode.FORBIDDEN
    exit_code = ExitCode.REFUSED

    def __init__(self, action: str) -> None:
        super().__init__(f"read-only mode: '{action}' is not allowed", action=action)


def error_from_body(status: int, body: dict[str, Any]) -> QuarterdeckError:
    """Rebuild the typed error a Quarterdeck server sent; fall back on the status code.

    ito's own server sends only `error` and `code`, so an unknown or missing `kind`
    maps by status to the closest generic error.
    """
    message = str(body.get("error") or f"HTTP {status}")
    cls = _KINDS.get(str(body.get("kind", "")))
    if cls is not None and cls is not QuarterdeckError:
        fields = {k: v for k, v in body.items() if k not in ("error", "code", "kind")}
        try:
            if cls in (InvalidInput, InvalidTransition, Unauthorized, Forbidden, NotSupported):
                return cls(message)
            return cls(**fields)
        except TypeError:
            pass
    if status == 401:
        return Unauthorized(message)
    if status == 403:
        return Forbidden(message)
    if status == 404:
        return NotFound("resource", message)
    if status == 409:
        return InvalidTransition(message)
    if status in (502, 503, 504):
        return BackendUnavailable(message)
    if 400 <= status < 500:
        return InvalidInput(message)
    return QuarterdeckError(message)
