"""The command-line twin of every action: stdout is data, stderr is narration.

Exit statuses are `core.models.errors.ExitCode` (documented in the README). The TUI is not
imported here: the console script (`tui.entry`) passes a `UiLauncher` in, so the CLI runs
without Textual when used alone (`python -m core ...`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from pydantic import BaseModel

from core import __version__
from core.config import Settings, load_settings
from core.models.backlog import Decision
from core.models.backups import CompletionFields, ReceiptOutcome, ResumeSummary
from core.models.changes import LifecycleFilter
from core.models.errors import ExitCode, InvalidInput, QuarterdeckError
from core.models.releases import ReleaseRequest, RunProgress
from core.server.options import add_serve_arguments
from core.service import Service, open_service


class UiLauncher(Protocol):
    """What the console script plugs in so the CLI can open the TUI."""

    def run(self, settings: Settings) -> int: ...

    def screenshots(self, output: Path) -> list[Path]: ...


class Output:
    """stdout for data, stderr for narration; `--json` switches data to JSON."""

    def __init__(self, as_json: bool, out: TextIO, err: TextIO) -> None:
        self.as_json = as_json
        self.out = out
        self.err = err

    def data(self, value: Any, human: Callable[[], str]) -> None:
        if self.as_json:
            self.out.write(json.dumps(_jsonable(value), indent=2, ensure_ascii=False) + "\n")
        else:
            text = human()
            if text:
                self.out.write(text + ("" if text.endswith("\n") else "\n"))

    def say(self, message: str) -> None:
        self.err.write(message + "\n")


def _jsonable(value: Any) -> Any:
    api = getattr(value, "api_dict", None)
    if callable(api):
        return api()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """Left-aligned columns, two spaces apart (`kubectl get` style)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


# --- commands --------------------------------------------------------------------------


def cmd_changes_list(service: Service, args: argparse.Namespace, out: Output) -> int:
    changes = service.list_changes(LifecycleFilter(args.lifecycle))
    holders = {lease.change_id: lease.holder for lease in service.list_leases()}
    out.data(
        changes,
        lambda: table(
            [
                (
                    c.id,
                    c.work_status.value,
                    f"{c.completed_tasks}/{c.total_tasks}",
                    holders.get(c.id, ""),
                    c.lifecycle.value,
                    c.title,
                )
                for c in changes
            ],
            ["ID", "STATUS", "TASKS", "HOLDER", "LIFECYCLE", "TITLE"],
        ),
    )
    return ExitCode.OK


def cmd_changes_show(service: Service, args: argparse.Namespace, out: Output) -> int:
    detail = service.get_change(args.id)
    tasks = service.get_tasks(args.id)
    lease = next((le for le in service.list_leases() if le.change_id == args.id), None)
    value = {
        **detail.api_dict(),
        "title": detail.title,
        "lifecycle": detail.lifecycle.value,
        "tasks": tasks.api_dict() if tasks else None,
        "lease": lease.model_dump(mode="json") if lease else None,
    }

    def human() -> str:
        p = detail.progress
        lines = [
            f"{detail.id}  {detail.title}",
            f"lifecycle: {detail.lifecycle.value}   module: {detail.module_id or '-'}   "
            f"modified: {detail.last_modified}",
            f"tasks: {p.complete}/{p.total} complete, {p.in_progress} in progress, "
            f"{p.pending} pending, {p.shelved} shelved",
            f"lease: {lease.holder} until {value['lease']['expires_at']}" if lease else "lease: -",
            f"specs: {', '.join(s.name for s in detail.specs) or '-'}",
        ]
        if tasks:
            lines.append("")
            for task in tasks.tasks:
                wave = f"w{task.wave} " if task.wave is not None else ""
                lines.append(f"  [{task.status.value:>11}] {wave}{task.id} {task.name}")
            for diagnostic in tasks.diagnostics:
                lines.append(f"  ! {diagnostic}")
        return "\n".join(lines)

    out.data(value, human)
    return ExitCode.OK


def _lease_line(lease: Any) -> str:
    data = lease.model_dump(mode="json")
    return f"{data['change_id']}  held by {data['holder']} until {data['expires_at']}"


def cmd_lease(service: Service, args: argparse.Namespace, out: Output) -> int:
    if args.holder:
        service.holder = args.holder
    action = args.lease_action
    if action == "list":
        leases = service.list_leases(include_expired=args.include_expired)
        out.data(
            leases,
            lambda: table(
                [
                    (le.change_id, le.holder, le.model_dump(mode="json")["expires_at"])
                    for le in leases
                ],
                ["CHANGE", "HOLDER", "EXPIRES"],
            ),
        )
    elif action == "claim":
        lease = service.claim(args.id, args.ttl)
        out.data(lease, lambda: _lease_line(lease))
    elif action == "heartbeat":
        lease = service.heartbeat(args.id, args.ttl)
        out.data(lease, lambda: _lease_line(lease))
    elif action == "release":
        result = service.release(args.id, force=args.force)
        out.data(result, lambda: f"released {result.change_id}")
    else:
        allocated = service.allocate(args.idempotency_key, args.ttl)
        out.data(
            allocated,
            lambda: _lease_line(allocated.claim) if allocated.claim else "no work available",
        )
    return ExitCode.OK


def cmd_sync(service: Service, args: argparse.Namespace, out: Output) -> int:
    if args.sync_action == "pull":
        outcome = service.sync_pull(args.id)
        if outcome.backup_dir:
            out.say(f"previous local files backed up to {outcome.backup_dir}")
    else:
        outcome = service.sync_push(args.id)
    out.data(
        outcome, lambda: f"{outcome.direction} {outcome.change_id}: revision {outcome.revision}"
    )
    return ExitCode.OK


def cmd_archive(service: Service, args: argparse.Namespace, out: Output) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"archive {args.id}: confirm with --yes (stdin is not a terminal)")
        out.err.write(f"Archive {args.id}? This moves it to changes/archive/. [y/N] ")
        out.err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.say("not archived")
            return ExitCode.REFUSED
    outcome = service.archive(
        args.id,
        skip_specs=args.skip_specs,
        force=args.force,
        on_step=lambda step: out.say(f"  {step.step.value}: {step.status} {step.detail}".rstrip()),
    )
    out.data(
        outcome, lambda: f"archived {outcome.change_id} as changes/archive/{outcome.archive_name}"
    )
    if outcome.backend_error:
        out.say(
            f"the local archive stands, but marking it archived on the backend failed: "
            f"{outcome.backend_error}"
        )
        return ExitCode.UNAVAILABLE
    return ExitCode.OK


def _summary_text(summary: ResumeSummary) -> str:
    nxt = summary.next_operation
    accepted = "accepted" if summary.preflight_accepted else "not accepted"
    lines = [
        f"plan {summary.plan_id}  run {summary.run_id}  "
        f"preflight {summary.preflight_id or '-'} ({accepted})",
        f"{summary.total_operations} operations: {summary.completed_operations} completed, "
        f"{summary.ready_operations} ready, {summary.pending_operations} pending, "
        f"{summary.blocked_operations} blocked, {summary.failed_operations} failed, "
        f"{summary.skipped_operations} skipped",
        f"next: {nxt.sequence} {nxt.operation_id} ({nxt.kind.value}, {nxt.state.value})"
        if nxt
        else "next: nothing left to do",
    ]
    if summary.restart_required:
        lines.append("RESTART REQUIRED: canisters are stopped; finish or restart them")
    return "\n".join(lines)


def cmd_backup(service: Service, args: argparse.Namespace, out: Output) -> int:
    action = args.backup_action
    if action == "list":
        folders = service.list_backups()
        out.data(
            folders,
            lambda: table(
                [
                    (
                        f.name,
                        (f.error and "error") or f.layout_status or "-",
                        f"{f.completed_operations}/{f.total_operations}",
                        "yes" if f.restart_required else "",
                        f.locked_by_pid or "",
                        f.error or f.path,
                    )
                    for f in folders
                ],
                ["NAME", "STATUS", "DONE", "RESTART", "LOCK PID", "PATH"],
            ),
        )
        return ExitCode.OK
    if action == "status":
        status = service.backup_status(args.dir)
        out.data(status, lambda: f"{status.layout_status}\n{_summary_text(status.execution)}")
        return ExitCode.OK
    if action == "unlock":
        service.break_journal_lock(args.dir)
        out.say(f"stale lock removed from {args.dir}")
        return ExitCode.OK
    if action == "accept-preflight":
        service.accept_preflight(args.dir, args.preflight_id)
    elif action == "start-next":
        service.start_next_operation(args.dir)
    elif action == "record":
        fields = CompletionFields(
            snapshot_id=args.snapshot_id,
            artifact_path=args.artifact_path,
            checksum=args.checksum,
            snapshot_taken_at_timestamp=args.snapshot_taken_at,
            snapshot_total_size_bytes=args.snapshot_size,
        )
        service.record_operation(
            args.dir, args.seq, ReceiptOutcome(args.outcome), fields, args.reason
        )
    else:
        service.retry_operation(args.dir, args.seq)
    status = service.backup_status(args.dir)
    out.data(status.execution, lambda: _summary_text(status.execution))
    return ExitCode.OK


def cmd_backlog(service: Service, args: argparse.Namespace, out: Output) -> int:
    if args.backlog_action == "list":
        items = service.list_backlog(args.kind)
        out.data(
            items,
            lambda: table(
                [
                    (i.kind, i.item_ref, i.deferred_at, i.deferred_from_session, i.note or "")
                    for i in items
                ],
                ["KIND", "ITEM", "DEFERRED AT", "SESSION", "NOTE"],
            ),
        )
        return ExitCode.OK
    record = service.decide_backlog(args.kind, args.item_ref, Decision(args.decision), args.note)
    out.data(record, lambda: f"{record.decision.value}: {args.kind} {args.item_ref} (recorded)")
    return ExitCode.OK


def _parse_request(text: str) -> ReleaseRequest:
    repo, sep, version = text.partition("=")
    if not sep or not repo or not version:
        raise InvalidInput(f"expected REPO=VERSION, got '{text}'")
    return ReleaseRequest(repo_id=repo, version_label=version)


def _progress_text(progress: RunProgress) -> str:
    run = progress.run
    rows = [
        (
            item.repo_id,
            item.version_label,
            item.status.state.value,
            item.status.reason or item.status.run_id or "",
        )
        for item in progress.items
    ]
    head = f"run {run.run_id} ({run.mode}) of plan {run.plan_id}: {run.status.value}"
    return head + "\n" + table(rows, ["REPO", "VERSION", "STATUS", "DETAIL"])


def cmd_release(service: Service, args: argparse.Namespace, out: Output) -> int:
    action = args.release_action
    if action == "graph":
        view = service.release_graph()
        value = {**view.graph.model_dump(mode="json"), "order": view.order}
        out.data(
            value, lambda: "\n".join(f"{n + 1:>4}  {repo}" for n, repo in enumerate(view.order))
        )
    elif action == "plan":
        plan = service.build_release_plan([_parse_request(text) for text in args.releases])
        out.data(
            plan,
            lambda: (
                f"plan {plan.plan_id}\n"
                + table(
                    [(i.repo_id, i.version_label, i.status.state.value) for i in plan.items],
                    ["REPO", "VERSION", "STATUS"],
                )
            ),
        )
    elif action == "plans":
        plans = service.list_release_plans()
        out.data(
            plans,
            lambda: table(
                [
                    (
                        p.plan_id,
                        sum(1 for i in p.items if i.status.state.value == "pending"),
                        len(p.items),
                    )
                    for p in plans
                ],
                ["PLAN", "TO RELEASE", "REPOS"],
            ),
        )
    elif action == "run":
        if args.manual:
            progress = service.start_release_run(args.plan_id, "manual")
            out.say(
                f"manual run {progress.run.run_id} started; mark each repo with "
                f"`quarterdeck release mark {progress.run.run_id} REPO succeeded|failed`"
            )
            out.data(progress, lambda: _progress_text(progress))
            return ExitCode.OK

        told = 0

        def narrate(progress: RunProgress) -> None:
            nonlocal told
            for event in progress.events:
                if event.seq > told:
                    out.say(f"  {event.seq:>3} {event.kind.value} {json.dumps(event.payload)}")
                    told = event.seq

        outcome = service.run_release_plan(args.plan_id, narrate)
        value = {
            "plan_id": outcome.plan_id,
            "run_id": outcome.run_id,
            "succeeded": outcome.succeeded,
            "failed": [list(pair) for pair in outcome.failed],
            "skipped": outcome.skipped,
            "success": outcome.overall_success,
        }
        out.data(
            value,
            lambda: (
                f"run {outcome.run_id}: {len(outcome.succeeded)} succeeded, "
                f"{len(outcome.failed)} failed, {len(outcome.skipped)} skipped"
                + "".join(f"\n  failed {repo}: {reason}" for repo, reason in outcome.failed)
            ),
        )
        return ExitCode.OK if outcome.overall_success else ExitCode.ERROR
    elif action == "mark":
        progress = service.mark_release_item(
            args.run_id, args.repo, args.result == "succeeded", args.reason
        )
        out.data(progress, lambda: _progress_text(progress))
    elif action == "show":
        progress = service.get_release_run(args.run_id)
        out.data(progress, lambda: _progress_text(progress))
    else:
        runs = service.list_release_runs(args.plan)
        out.data(
            runs,
            lambda: table(
                [
                    (r.run_id, r.plan_id, r.mode, r.status.value, r.started_at, r.finished_at or "")
                    for r in runs
                ],
                ["RUN", "PLAN", "MODE", "STATUS", "STARTED", "FINISHED"],
            ),
        )
    return ExitCode.OK


# --- parser ----------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, top: bool) -> None:
    """Options accepted both before and after the subcommand."""
    default: Any = None if top else argparse.SUPPRESS
    flag_default: Any = False if top else argparse.SUPPRESS
    parser.add_argument(
        "--workspace",
        type=Path,
        default=default,
        help="workspace folder (default: discovered from the current folder)",
    )
    parser.add_argument("--backend", choices=["local", "remote"], default=default)
    parser.add_argument("--url", default=default, help="remote backend URL")
    parser.add_argument("--project", default=default, help="remote project as org/repo")
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=flag_default,
        help="refuse every mutating action",
    )
    parser.add_argument(
        "--json", action="store_true", default=flag_default, help="print data as JSON"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quarterdeck",
        description="Coordinate changes, leases, releases, backups and review backlogs. "
        "With no command, opens the dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"quarterdeck {__version__}")
    _common(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _common(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(subparsers: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = subparsers.add_parser(
            name, help=help_text, parents=[common]
        )
        return made

    demo = add(sub, "demo", "build the demo workspace, then open the dashboard on it")
    demo.add_argument("dir", nargs="?", type=Path, default=Path("quarterdeck-demo"))
    demo.add_argument("--no-tui", action="store_true", help="only build the workspace")
    demo.add_argument("--force", action="store_true", help="rebuild over an existing demo folder")

    changes = add(sub, "changes", "list and show changes").add_subparsers(
        dest="changes_action", required=True
    )
    listing = add(changes, "list", "list changes (ito's list shape with --json)")
    listing.add_argument("--lifecycle", choices=["active", "archived", "all"], default="active")
    show = add(changes, "show", "show one change with its tasks")
    show.add_argument("id")

    lease = add(sub, "lease", "leases: list, claim, heartbeat, release, allocate").add_subparsers(
        dest="lease_action", required=True
    )
    for name, needs_id in (
        ("list", False),
        ("claim", True),
        ("heartbeat", True),
        ("release", True),
        ("allocate", False),
    ):
        cmd = add(lease, name, f"{name} a lease" if needs_id else name)
        if needs_id:
            cmd.add_argument("id")
        cmd.add_argument(
            "--holder", default=None, help="lease holder (default from config: user@host)"
        )
        cmd.add_argument("--ttl", type=int, default=None, help="lease duration in seconds")
        if name == "allocate":
            cmd.add_argument("--idempotency-key", default=None)
        if name == "list":
            cmd.add_argument(
                "--include-expired", action="store_true", help="also leases that lapsed unreleased"
            )
        if name == "release":
            cmd.add_argument("--force", action="store_true", help="release someone else's lease")

    sync = add(sub, "sync", "pull or push a change's artifacts").add_subparsers(
        dest="sync_action", required=True
    )
    for name in ("pull", "push"):
        add(sync, name, f"{name} one change").add_argument("id")

    archive = add(sub, "archive", "archive a change (pull, copy specs, move, mark archived)")
    archive.add_argument("id")
    archive.add_argument("--skip-specs", action="store_true")
    archive.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    archive.add_argument(
        "--force", action="store_true", help="archive even if someone else holds its lease"
    )

    backup = add(sub, "backup", "step canic backup journals").add_subparsers(
        dest="backup_action", required=True
    )
    add(backup, "list", "backup folders and their status")
    add(backup, "status", "canic's resume summary").add_argument("dir")
    add(backup, "unlock", "remove a lock left by a dead process").add_argument("dir")
    accept = add(backup, "accept-preflight", "accept the preflight bundle")
    accept.add_argument("dir")
    accept.add_argument("preflight_id")
    add(backup, "start-next", "mark the next operation pending").add_argument("dir")
    record = add(backup, "record", "record the pending operation's outcome")
    record.add_argument("dir")
    record.add_argument("seq", type=int)
    record.add_argument("--outcome", required=True, choices=[o.value for o in ReceiptOutcome])
    record.add_argument("--snapshot-id")
    record.add_argument("--snapshot-taken-at", type=int)
    record.add_argument("--snapshot-size", type=int)
    record.add_argument("--artifact-path")
    record.add_argument("--checksum")
    record.add_argument("--reason", help="failure reason (required with --outcome failed)")
    retry = add(backup, "retry", "send a failed operation back to ready")
    retry.add_argument("dir")
    retry.add_argument("seq", type=int)

    backlog = add(sub, "backlog", "deferred review items").add_subparsers(
        dest="backlog_action", required=True
    )
    add(backlog, "list", "deferred items").add_argument("--kind")
    decide = add(backlog, "decide", "record a decision on one item")
    decide.add_argument("kind")
    decide.add_argument("item_ref")
    decide.add_argument("decision", choices=[d.value for d in Decision])
    decide.add_argument("--note")

    release = add(sub, "release", "cross-repo release sequencing").add_subparsers(
        dest="release_action", required=True
    )
    add(release, "graph", "the dependency graph and its release order")
    add(release, "plan", "build a plan").add_argument("releases", nargs="+", metavar="REPO=VERSION")
    add(release, "plans", "saved plans")
    run = add(release, "run", "run a plan in dependency order")
    run.add_argument("plan_id")
    run.add_argument("--manual", action="store_true", help="start a run to be stepped by hand")
    mark = add(release, "mark", "mark the next repo of a manual run")
    mark.add_argument("run_id")
    mark.add_argument("repo")
    mark.add_argument("result", choices=["succeeded", "failed"])
    mark.add_argument("--reason")
    add(release, "show", "one run with its statuses").add_argument("run_id")
    add(release, "runs", "the run ledger").add_argument("--plan")

    screenshots = add(sub, "screenshots", "regenerate the SVG screenshots of every screen")
    screenshots.add_argument("--output", type=Path, default=Path("screenshots"))

    serve = add(sub, "serve", "serve ito's HTTP API (and Quarterdeck's) over a data dir")
    add_serve_arguments(serve)
    return parser


COMMANDS: dict[str, Callable[[Service, argparse.Namespace, Output], int]] = {
    "changes": lambda s, a, o: (
        cmd_changes_list if a.changes_action == "list" else cmd_changes_show
    )(s, a, o),
    "lease": cmd_lease,
    "sync": cmd_sync,
    "archive": cmd_archive,
    "backup": cmd_backup,
    "backlog": cmd_backlog,
    "release": cmd_release,
}


def main(
    argv: Sequence[str] | None = None,
    ui: UiLauncher | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdout = out or sys.stdout
    stderr = err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    output = Output(bool(args.json), stdout, stderr)
    try:
        return _dispatch(args, ui, output)
    except QuarterdeckError as error:
        output.say(f"quarterdeck: {error}")
        if output.as_json:
            stdout.write(json.dumps(error.to_body(), indent=2) + "\n")
        return error.exit_code
    except KeyboardInterrupt:
        output.say("quarterdeck: interrupted")
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.workspace,
        backend=args.backend,
        url=args.url,
        project=args.project,
        read_only=True if args.read_only else None,
    )


def _dispatch(args: argparse.Namespace, ui: UiLauncher | None, out: Output) -> int:
    command = args.command
    if command == "serve":
        # Imported here so every other command starts without loading FastAPI/uvicorn.
        from core.server.options import run_server

        return run_server(args, out.err, out.out)
    if command == "screenshots":
        if ui is None:
            raise InvalidInput(
                "screenshots need the dashboard (install quarterdeck, not core alone)"
            )
        for path in ui.screenshots(args.output):
            out.say(f"wrote {path}")
        return ExitCode.OK
    if command == "demo":
        from core.demo import build_demo

        root = build_demo(args.dir, force=args.force)
        out.say(f"demo workspace ready at {root}")
        if args.no_tui:
            return ExitCode.OK
        args.workspace = root
        command = None
    if command is None:
        if ui is None:
            raise InvalidInput("no command given (the dashboard is not available in this install)")
        return ui.run(_settings(args))
    with _open(args) as service:
        return COMMANDS[command](service, args, out)


class _open:
    """Open the service for one command and close its connections afterwards."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.service = open_service(_settings(args))

    def __enter__(self) -> Service:
        return self.service

    def __exit__(self, *exc: object) -> None:
        close = getattr(self.service.backend, "close", None)
        if callable(close):
            close()


if __name__ == "__main__":
    sys.exit(main())
