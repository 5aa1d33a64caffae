"""Executing a release plan as a run: aivcs's `execute_plan`, one persisted step at a time.

Every step is stored before the next begins, so the TUI can show a run as it goes and a run
a crash interrupted can be resumed. Events follow aivcs: NodeEntered {node_id, version},
then NodeExited {node_id, run_id} or NodeFailed {node_id, error}; the repos a failure blocks
are marked skipped and get no events.

One process drives a run at a time. Each write names the last event its writer saw, so a
second driver gets InvalidTransition instead of releasing a repo twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from core.models.errors import InvalidInput, InvalidTransition
from core.models.releases import (
    ItemState,
    ReleaseStatus,
    RunEventKind,
    RunProgress,
    RunStatus,
    RunSummary,
    SequenceItem,
    SequenceOutcome,
)
from core.releases.graph import ReleaseGraph
from core.releases.releaser import ReleaseFailed, Releaser
from core.store.ledger import ReleaseLedger, RunMode
from core.timeutil import Clock, parse_rfc3339, system_clock, to_rfc3339, to_rfc3339_ms

# The previous driver died between starting a release and recording its result; the
# release may or may not have happened, so it is never run again blindly.
INTERRUPTED = "interrupted: no result was recorded"
CANCELLED_IN_PROGRESS = "cancelled while its release was in progress: no result was recorded"
NO_RELEASER = "no release_command configured; use manual mode"


def sequence_spec_digest(originating_run_id: str) -> str:
    """aivcs's `ContentDigest::from_bytes("sequence:<originating run>")`."""
    return hashlib.sha256(b"sequence:" + originating_run_id.encode()).hexdigest()


class Sequencer:
    def __init__(
        self,
        graph: ReleaseGraph,
        ledger: ReleaseLedger,
        releaser: Releaser | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._graph = graph
        self._ledger = ledger
        self._releaser = releaser
        self._clock = clock

    def start_run(self, plan_id: str, mode: RunMode) -> RunProgress:
        if mode not in ("command", "manual"):
            raise InvalidInput(f"invalid run mode {mode!r}: expected 'command' or 'manual'")
        if mode == "command" and self._releaser is None:
            raise InvalidInput(NO_RELEASER)
        plan = self._ledger.get_plan(plan_id)
        for item in plan.items:
            if item.repo_id not in self._graph:
                raise InvalidInput(f"plan {plan_id}: repo not found in graph: {item.repo_id}")
        run = self._ledger.create_run(
            plan,
            mode,
            sequence_spec_digest(plan.originating_run_id),
            to_rfc3339_ms(self._clock()),
        )
        return self._finish_if_done(RunProgress(run=run, items=plan.items, events=[]))

    @staticmethod
    def next_item(progress: RunProgress) -> SequenceItem | None:
        """The item the run acts on next: the one in progress, else the first pending one.

        The repos a failure blocks are marked skipped when the failure is recorded, so a
        pending item never waits on a failed upstream.
        """
        if progress.run.status is not RunStatus.RUNNING:
            return None
        return next(
            (
                item
                for item in progress.items
                if item.status.state in (ItemState.IN_PROGRESS, ItemState.PENDING)
            ),
            None,
        )

    def advance(self, run_id: str) -> RunProgress:
        """Command mode: release the next repo and record the result (one step).

        A releaser error other than ReleaseFailed propagates and leaves the repo in
        progress, like a crash would; the next advance fails it as interrupted.
        """
        return self._advance(self._ledger.get_run(run_id))

    def mark(
        self,
        run_id: str,
        repo_id: str,
        succeeded: bool,
        reason: str | None = None,
        release_ref: str | None = None,
    ) -> RunProgress:
        """Record by hand how the next repo's release went.

        In command mode only an item left in progress can be marked (its release ran, or
        was interrupted, outside what was recorded).
        """
        progress = self._ledger.get_run(run_id)
        _require_running(progress)
        item = self.next_item(progress)
        if item is None:
            raise InvalidTransition(f"run {run_id} has no repo left to mark; advance it to finish")
        if item.repo_id != repo_id:
            raise InvalidTransition(
                f"run {run_id}: the next repo to mark is {item.repo_id}, not {repo_id}"
            )
        if progress.run.mode == "command" and item.status.state is ItemState.PENDING:
            raise InvalidTransition(
                f"run {run_id} releases {repo_id} by command; only a repo in progress can be "
                "marked by hand"
            )
        if not succeeded and not reason:
            raise InvalidInput(f"marking {repo_id} failed needs a reason")
        if item.status.state is ItemState.PENDING:
            progress = self._enter(progress, item)
        if succeeded:
            ref = release_ref or f"manual-{repo_id}-{item.version_label}"
            progress = self._succeed(progress, repo_id, ref)
        else:
            progress = self._fail(progress, repo_id, reason or "")
        return self._finish_if_done(progress)

    def cancel(self, run_id: str) -> RunProgress:
        """Stop the run: pending repos are skipped and nothing more is appended."""
        progress = self._ledger.get_run(run_id)
        _require_running(progress)
        items = [_cancelled(item) for item in progress.items]
        summary = self._summary(progress, success=False)
        return self._close(progress, RunStatus.CANCELLED, summary, items)

    def run_to_end(
        self,
        plan_id: str,
        on_progress: Callable[[RunProgress], None] | None = None,
    ) -> SequenceOutcome:
        """aivcs's `execute_plan`: start a command run and advance it until it finishes."""
        progress = self.start_run(plan_id, "command")
        if on_progress is not None:
            on_progress(progress)
        while progress.run.status is RunStatus.RUNNING:
            progress = self._advance(progress)
            if on_progress is not None:
                on_progress(progress)
        return self.outcome(progress)

    @staticmethod
    def outcome(progress: RunProgress) -> SequenceOutcome:
        result = SequenceOutcome(plan_id=progress.run.plan_id, run_id=progress.run.run_id)
        for item in progress.items:
            state = item.status.state
            if state is ItemState.SUCCEEDED:
                result.succeeded.append(item.repo_id)
            elif state is ItemState.FAILED:
                result.failed.append((item.repo_id, item.status.reason or ""))
            elif state is ItemState.SKIPPED:
                result.skipped.append(item.repo_id)
        return result

    def _advance(self, progress: RunProgress) -> RunProgress:
        _require_running(progress)
        run_id = progress.run.run_id
        item = self.next_item(progress)
        if item is None:
            return self._finish_if_done(progress)
        if progress.run.mode != "command":
            raise InvalidTransition(
                f"run {run_id} is in manual mode: mark {item.repo_id} instead of advancing"
            )
        if self._releaser is None:
            raise InvalidInput(NO_RELEASER)
        if item.status.state is ItemState.IN_PROGRESS:
            return self._finish_if_done(self._fail(progress, item.repo_id, INTERRUPTED))
        progress = self._enter(progress, item)
        try:
            ref = self._releaser.release(
                item.repo_id, item.version_label, item.spec_digest, item.promoted_by
            )
        except ReleaseFailed as failure:
            reason = f"release sequencing failed for repo {item.repo_id}: {failure.reason}"
            progress = self._fail(progress, item.repo_id, reason)
        else:
            progress = self._succeed(progress, item.repo_id, ref)
        return self._finish_if_done(progress)

    def _enter(self, progress: RunProgress, item: SequenceItem) -> RunProgress:
        payload = {"node_id": item.repo_id, "version": item.version_label}
        status = ReleaseStatus(state=ItemState.IN_PROGRESS)
        items = _with_status(progress.items, {item.repo_id: status})
        return self._record(progress, RunEventKind.NODE_ENTERED, payload, items, store_items=False)

    def _succeed(self, progress: RunProgress, repo_id: str, ref: str) -> RunProgress:
        status = ReleaseStatus(state=ItemState.SUCCEEDED, run_id=ref)
        items = _with_status(progress.items, {repo_id: status})
        payload = {"node_id": repo_id, "run_id": ref}
        return self._record(progress, RunEventKind.NODE_EXITED, payload, items, store_items=False)

    def _fail(self, progress: RunProgress, repo_id: str, reason: str) -> RunProgress:
        """Record the failure and skip every repo that depends on it, in one write."""
        skipped = ReleaseStatus(state=ItemState.SKIPPED)
        blocked = self._graph.transitive_dependents(repo_id)
        changes = {
            item.repo_id: skipped
            for item in progress.items
            if item.repo_id in blocked and item.status.state is ItemState.PENDING
        }
        changes[repo_id] = ReleaseStatus(state=ItemState.FAILED, reason=reason)
        items = _with_status(progress.items, changes)
        payload = {"node_id": repo_id, "error": reason}
        return self._record(progress, RunEventKind.NODE_FAILED, payload, items, store_items=True)

    def _record(
        self,
        progress: RunProgress,
        kind: RunEventKind,
        payload: dict[str, Any],
        items: list[SequenceItem],
        *,
        store_items: bool,
    ) -> RunProgress:
        """Append the event; the items are stored only when the event alone does not imply
        them (a failure also skips dependents), see core.store.ledger."""
        event = self._ledger.append_event(
            progress.run.run_id,
            kind,
            payload,
            to_rfc3339(self._clock()),
            items=items if store_items else None,
            expected_seq=_last_seq(progress),
        )
        return progress.model_copy(update={"items": items, "events": [*progress.events, event]})

    def _finish_if_done(self, progress: RunProgress) -> RunProgress:
        if self.next_item(progress) is not None or progress.run.status is not RunStatus.RUNNING:
            return progress
        failed = any(item.status.state is ItemState.FAILED for item in progress.items)
        status = RunStatus.FAILED if failed else RunStatus.COMPLETED
        summary = self._summary(progress, success=not failed)
        return self._close(progress, status, summary, progress.items)

    def _close(
        self,
        progress: RunProgress,
        status: RunStatus,
        summary: RunSummary,
        items: list[SequenceItem],
    ) -> RunProgress:
        """Finish the run, storing its final per-repo statuses."""
        finished_at = to_rfc3339_ms(self._clock())
        self._ledger.finish_run(
            progress.run.run_id,
            status,
            summary,
            finished_at,
            items=items,
            expected_seq=_last_seq(progress),
        )
        run = progress.run.model_copy(
            update={"status": status, "summary": summary, "finished_at": finished_at}
        )
        return progress.model_copy(update={"run": run, "items": items})

    def _summary(self, progress: RunProgress, success: bool) -> RunSummary:
        elapsed = self._clock() - parse_rfc3339(progress.run.started_at)
        return RunSummary(
            total_events=_last_seq(progress),
            final_state_digest=None,
            duration_ms=max(0, int(elapsed.total_seconds() * 1000)),
            success=success,
        )


def _require_running(progress: RunProgress) -> None:
    if progress.run.status is not RunStatus.RUNNING:
        raise InvalidTransition(f"run {progress.run.run_id} is finished")


def _last_seq(progress: RunProgress) -> int:
    return progress.events[-1].seq if progress.events else 0


def _with_status(
    items: list[SequenceItem], changes: dict[str, ReleaseStatus]
) -> list[SequenceItem]:
    return [
        item.model_copy(update={"status": changes[item.repo_id]})
        if item.repo_id in changes
        else item
        for item in items
    ]


def _cancelled(item: SequenceItem) -> SequenceItem:
    if item.status.state is ItemState.PENDING:
        return item.model_copy(update={"status": ReleaseStatus(state=ItemState.SKIPPED)})
    if item.status.state is ItemState.IN_PROGRESS:
        failed = ReleaseStatus(state=ItemState.FAILED, reason=CANCELLED_IN_PROGRESS)
        return item.model_copy(update={"status": failed})
    return item
