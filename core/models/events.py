"""ito audit events and the event ingest API (FORMATS.md §1 "Audit event", §2)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from core.models.base import Model


class EventContext(Model):
    model_config = ConfigDict(extra="allow")

    session_id: str
    harness_session_id: str | None = None
    branch: str | None = None
    worktree: str | None = None
    commit: str | None = None


class AuditEvent(Model):
    """One line of `.ito/.state/audit/events.jsonl`."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    v: int = 1
    ts: str
    entity: str
    entity_id: str
    scope: str | None = None
    op: str
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    actor: str
    by: str
    meta: Any | None = None
    count: int | None = None
    ctx: EventContext

    def to_json_dict(self) -> dict[str, Any]:
        """The JSONL spelling: optional fields omitted, `count` only when above 1."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if data.get("count", 0) <= 1:
            data.pop("count", None)
        data["ctx"] = self.ctx.model_dump(mode="json", exclude_none=True)
        return data


class EventBatch(Model):
    events: list[AuditEvent]
    idempotency_key: str


class EventIngestResult(Model):
    accepted: int
    duplicates: int
