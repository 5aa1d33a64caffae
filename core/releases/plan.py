"""Building a release plan: every repo of the graph, in release order (aivcs `build_plan`)."""

from __future__ import annotations

import hashlib
import re
import secrets

from core.models.errors import InvalidInput
from core.models.releases import (
    ItemState,
    ReleaseRequest,
    ReleaseStatus,
    SequenceItem,
    SequencePlan,
)
from core.releases.graph import ReleaseGraph

PLAN_ID = re.compile(r"seq-[0-9a-f]{8}")
SKIPPED_LABEL = "skipped"


def new_plan_id() -> str:
    """aivcs's "seq-" + the first group of a UUID: 8 hex digits."""
    return f"seq-{secrets.token_hex(4)}"


def default_spec_digest(repo_id: str, version_label: str) -> str:
    return hashlib.sha256(f"{repo_id}@{version_label}".encode()).hexdigest()


def build_plan(
    graph: ReleaseGraph,
    requests: list[ReleaseRequest],
    originating_run_id: str,
    plan_id: str | None = None,
) -> SequencePlan:
    """Requested repos are pending; the others are listed as skipped, as aivcs does, so the
    plan shows the whole order."""
    if plan_id is not None and not PLAN_ID.fullmatch(plan_id):
        raise InvalidInput(f"invalid plan id {plan_id!r}: expected 'seq-' and 8 hex digits")
    by_repo: dict[str, ReleaseRequest] = {}
    for request in requests:
        if request.repo_id not in graph:
            raise InvalidInput(f"repo not found in graph: {request.repo_id}")
        if request.repo_id in by_repo:
            raise InvalidInput(f"release of {request.repo_id} requested twice")
        if not request.version_label:
            raise InvalidInput(f"release of {request.repo_id} has no version label")
        by_repo[request.repo_id] = request
    return SequencePlan(
        plan_id=plan_id or new_plan_id(),
        originating_run_id=originating_run_id,
        items=[_item(repo, by_repo.get(repo)) for repo in graph.topological_order()],
    )


def _item(repo_id: str, request: ReleaseRequest | None) -> SequenceItem:
    if request is None:
        return SequenceItem(
            repo_id=repo_id,
            version_label=SKIPPED_LABEL,
            spec_digest="",
            promoted_by="",
            status=ReleaseStatus(state=ItemState.SKIPPED),
        )
    return SequenceItem(
        repo_id=repo_id,
        version_label=request.version_label,
        spec_digest=request.spec_digest
        or default_spec_digest(request.repo_id, request.version_label),
        promoted_by=request.promoted_by,
        status=ReleaseStatus(state=ItemState.PENDING),
    )
