from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from core.models.errors import InvalidInput
from core.models.releases import (
    ItemState,
    ReleaseRequest,
    ReleaseStatus,
    SequenceItem,
)
from core.releases.graph import ReleaseGraph
from core.releases.plan import build_plan

Release = Callable[[str], ReleaseRequest]
ITEMS = TypeAdapter(list[SequenceItem])
EXAMPLE_ITEMS = Path(__file__).parent / "sequence_items.example.json"


def test_build_plan_orders_by_dependency(graph_abc: ReleaseGraph, release: Release) -> None:
    plan = build_plan(graph_abc, [release("C"), release("A"), release("B")], "run-origin")

    assert [item.repo_id for item in plan.items] == ["A", "B", "C"]


def test_build_plan_skips_unspecified_intermediate_repos(
    graph_abc: ReleaseGraph, release: Release
) -> None:
    plan = build_plan(graph_abc, [release("A"), release("C")], "run-2")

    (b_item,) = [item for item in plan.items if item.repo_id == "B"]
    assert b_item == SequenceItem(
        repo_id="B",
        version_label="skipped",
        spec_digest="",
        promoted_by="",
        status=ReleaseStatus(state=ItemState.SKIPPED),
    )


def test_requested_repos_are_pending_with_their_request(
    graph_abc: ReleaseGraph, release: Release
) -> None:
    plan = build_plan(graph_abc, [release("A")], "run-3")

    assert plan.items[0] == SequenceItem(
        repo_id="A",
        version_label="v1-A",
        spec_digest="digest-A",
        promoted_by="bot",
        status=ReleaseStatus(state=ItemState.PENDING),
    )
    assert plan.originating_run_id == "run-3"


def test_a_plan_id_is_seq_and_eight_hex_digits(graph_abc: ReleaseGraph, release: Release) -> None:
    plan = build_plan(graph_abc, [release("A")], "run-4")

    assert re.fullmatch(r"seq-[0-9a-f]{8}", plan.plan_id)


def test_a_given_plan_id_is_used(graph_abc: ReleaseGraph, release: Release) -> None:
    assert build_plan(graph_abc, [], "run-5", plan_id="seq-1a2b3c4d").plan_id == "seq-1a2b3c4d"


def test_a_request_without_a_digest_gets_the_digest_of_repo_at_version(
    graph_abc: ReleaseGraph,
) -> None:
    plan = build_plan(graph_abc, [ReleaseRequest(repo_id="B", version_label="2.0.1")], "run-6")

    assert plan.items[1].spec_digest == hashlib.sha256(b"B@2.0.1").hexdigest()


def test_a_request_for_a_repo_not_in_the_graph_is_refused(graph_abc: ReleaseGraph) -> None:
    with pytest.raises(InvalidInput, match="repo not found in graph: Z"):
        build_plan(graph_abc, [ReleaseRequest(repo_id="Z", version_label="1")], "run-7")


def test_two_requests_for_one_repo_are_refused(graph_abc: ReleaseGraph, release: Release) -> None:
    with pytest.raises(InvalidInput, match="A requested twice"):
        build_plan(graph_abc, [release("A"), release("A")], "run-8")


def test_a_malformed_plan_id_is_refused(graph_abc: ReleaseGraph) -> None:
    with pytest.raises(InvalidInput, match="invalid plan id"):
        build_plan(graph_abc, [], "run-9", plan_id="plan-1")


def test_items_serialise_in_aivcs_shape() -> None:
    example = json.loads(EXAMPLE_ITEMS.read_text())
    items = [
        SequenceItem(
            repo_id="A",
            version_label="v1-A",
            spec_digest="digest-A",
            promoted_by="bot",
            status=ReleaseStatus(state=ItemState.SUCCEEDED, run_id="run-A"),
        ),
        SequenceItem(
            repo_id="B",
            version_label="skipped",
            spec_digest="",
            promoted_by="",
            status=ReleaseStatus(state=ItemState.SKIPPED),
        ),
        SequenceItem(
            repo_id="C",
            version_label="v1-C",
            spec_digest="digest-C",
            promoted_by="bot",
            status=ReleaseStatus(
                state=ItemState.FAILED, reason="release sequencing failed for repo C: boom"
            ),
        ),
        SequenceItem(
            repo_id="D",
            version_label="v1-D",
            spec_digest="digest-D",
            promoted_by="bot",
            status=ReleaseStatus(state=ItemState.PENDING),
        ),
        SequenceItem(
            repo_id="E",
            version_label="v1-E",
            spec_digest="digest-E",
            promoted_by="bot",
            status=ReleaseStatus(state=ItemState.IN_PROGRESS),
        ),
    ]

    assert ITEMS.dump_python(items, mode="json") == example
    assert ITEMS.validate_python(example) == items


def test_a_built_plan_serialises_like_the_example_items(
    graph_abc: ReleaseGraph, release: Release
) -> None:
    plan = build_plan(graph_abc, [release("A"), release("C")], "run-10")

    assert ITEMS.dump_python(plan.items, mode="json") == [
        {
            "repo_id": "A",
            "version_label": "v1-A",
            "spec_digest": "digest-A",
            "promoted_by": "bot",
            "status": "pending",
        },
        {
            "repo_id": "B",
            "version_label": "skipped",
            "spec_digest": "",
            "promoted_by": "",
            "status": "skipped",
        },
        {
            "repo_id": "C",
            "version_label": "v1-C",
            "spec_digest": "digest-C",
            "promoted_by": "bot",
            "status": "pending",
        },
    ]
