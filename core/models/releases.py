"""aivcs's cross-repo release sequencing: graph, plans, runs and events (FORMATS.md §5)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_serializer, model_validator

from core.models.base import Model


class RepoRef(Model):
    name: str


class DependencyEdge(Model):
    """ "`dependent` depends on `dependency`": the dependency is released first."""

    dependent: RepoRef
    dependency: RepoRef


class GraphFile(Model):
    """The JSON aivcs's `report cross-org --graph` reads."""

    repos: list[RepoRef]
    dependencies: list[DependencyEdge] = Field(default_factory=list)


class ItemState(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class ReleaseStatus(Model):
    """aivcs's `RepoReleaseStatus`: `"pending"` or `{"failed": {"reason": ...}}` on the wire."""

    state: ItemState
    run_id: str | None = None
    reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_aivcs(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"state": value}
        if isinstance(value, dict) and "state" not in value and len(value) == 1:
            ((state, inner),) = value.items()
            return {"state": state, **(inner or {})}
        return value

    @model_serializer
    def _to_aivcs(self) -> Any:
        if self.state == ItemState.SUCCEEDED:
            return {"succeeded": {"run_id": self.run_id or ""}}
        if self.state == ItemState.FAILED:
            return {"failed": {"reason": self.reason or ""}}
        return self.state.value


class SequenceItem(Model):
    repo_id: str
    version_label: str
    spec_digest: str
    promoted_by: str
    status: ReleaseStatus


class SequencePlan(Model):
    plan_id: str
    originating_run_id: str
    items: list[SequenceItem]


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class RunMetadata(Model):
    git_sha: str | None = None
    agent_name: str = "release-sequencer"
    tags: dict[str, Any] = Field(default_factory=dict)


class RunSummary(Model):
    total_events: int = 0
    final_state_digest: str | None = None
    duration_ms: int = 0
    success: bool = False


class Run(Model):
    run_id: str
    spec_digest: str
    metadata: RunMetadata
    status: RunStatus
    summary: RunSummary | None = None
    # Ours: when, and how it is driven.
    started_at: str
    finished_at: str | None = None
    mode: Literal["command", "manual"] = "command"

    @property
    def plan_id(self) -> str:
        return str(self.metadata.tags.get("plan_id", ""))


class RunEventKind(StrEnum):
    NODE_ENTERED = "NodeEntered"
    NODE_EXITED = "NodeExited"
    NODE_FAILED = "NodeFailed"


class RunEvent(Model):
    seq: int
    kind: RunEventKind
    payload: dict[str, Any]
    timestamp: str


class RunProgress(Model):
    """A run and the per-repo statuses it has produced so far (what the graph colours)."""

    run: Run
    items: list[SequenceItem]
    events: list[RunEvent] = Field(default_factory=list)


class SequenceOutcome(Model):
    plan_id: str
    run_id: str
    succeeded: list[str] = Field(default_factory=list)
    failed: list[tuple[str, str]] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)

    @property
    def overall_success(self) -> bool:
        return not self.failed


class ReleaseRequest(Model):
    repo_id: str
    version_label: str
    spec_digest: str = ""
    promoted_by: str = ""
