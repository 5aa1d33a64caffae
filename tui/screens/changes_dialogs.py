"""Dialogs of the Changes screen: the archive's live four steps and the revision conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from core.models.sync import (
    ArchiveOutcome,
    ArchiveStep,
    ArchiveStepReport,
    FileDifference,
    FileState,
)
from tui.palette import Palette

STEP_LABELS = {
    ArchiveStep.PULL: "Pull the latest artifacts from the backend",
    ArchiveStep.COPY_SPECS: "Copy the spec deltas to .ito/specs/",
    ArchiveStep.MOVE: "Move the folder to .ito/changes/archive/",
    ArchiveStep.MARK_ARCHIVED: "Mark it archived on the backend",
}
STEP_ICONS = {"waiting": "○", "started": "▶", "done": "✓", "skipped": "⊘", "failed": "✗"}
STEP_WORDS = {
    "waiting": "waiting",
    "started": "running…",
    "done": "done",
    "skipped": "skipped",
    "failed": "failed",
}


class ArchiveProgressDialog(ModalScreen[None]):
    """The four archive steps, each updated as the worker reports it; closes when finished.

    Reports may arrive before the dialog is on screen, so they are kept as state and drawn
    whenever the dialog is (or becomes) mounted.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "close", "Close", id="archive.close"),
    ]

    def __init__(self, change_id: str) -> None:
        super().__init__()
        self.change_id = change_id
        self.states: dict[ArchiveStep, tuple[str, str]] = {
            step: ("waiting", "") for step in ArchiveStep
        }
        self.outcome: ArchiveOutcome | None = None
        self.error: Exception | None = None
        self.palette = Palette()

    @property
    def finished(self) -> bool:
        return self.outcome is not None or self.error is not None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="archive-dialog"):
            yield Label(f"Archiving {self.change_id}", classes="dialog-title")
            with Vertical(classes="step-list"):
                for step in ArchiveStep:
                    yield Static("", id=f"step-{step.value}", classes="archive-step")
            yield Static("", id="archive-result", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    Text("Close [enter]"), id="archive-close", variant="primary", disabled=True
                )

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        for step in ArchiveStep:
            self._render_step(step)
        self._render_result()

    # What the worker reports (on the UI thread).

    def step(self, report: ArchiveStepReport) -> None:
        self.states[report.step] = (report.status, report.detail)
        if self.is_mounted:
            self._render_step(report.step)

    def finish(self, outcome: ArchiveOutcome) -> None:
        self.outcome = outcome
        if self.is_mounted:
            self._render_result()

    def fail(self, error: Exception) -> None:
        """A step raised: the running one failed and nothing after it was done."""
        self.error = error
        running = next((s for s, (state, _) in self.states.items() if state == "started"), None)
        if running is not None:
            self.states[running] = ("failed", str(error))
            if self.is_mounted:
                self._render_step(running)
        if self.is_mounted:
            self._render_result()

    # Drawing.

    def _render_step(self, step: ArchiveStep) -> None:
        state, detail = self.states[step]
        colour = {
            "waiting": "dim",
            "started": self.palette.accent,
            "done": self.palette.success,
            "skipped": "dim",
            "failed": self.palette.error,
        }[state]
        number = list(ArchiveStep).index(step) + 1
        line = Text.assemble(
            (f"{STEP_ICONS[state]} ", f"bold {colour}"),
            (f"{number}. {STEP_LABELS[step]}", "bold" if state != "waiting" else colour),
            ("  ", ""),
            (STEP_WORDS[state], colour),
        )
        if detail:
            style = self.palette.error if state == "failed" else "dim"
            line.append(f"\n   {detail}", style=style)
        self.query_one(f"#step-{step.value}", Static).update(line)

    def _render_result(self) -> None:
        palette = self.palette
        if self.outcome is not None:
            where = f".ito/changes/archive/{self.outcome.archive_name}"
            if self.outcome.backend_error:
                message = Text.assemble(
                    ("The local archive stands ", f"bold {palette.warning}"),
                    f"({where}), but the backend was not told: ",
                    (self.outcome.backend_error, palette.error),
                    "\nThe backend lists the change as active until it is marked archived.",
                )
            else:
                message = Text.assemble(
                    ("Archived ", f"bold {palette.success}"), f"{self.change_id} as {where}."
                )
        elif self.error is not None:
            message = Text.assemble(
                ("Archive stopped: ", f"bold {palette.error}"),
                "nothing after the failed step was done."
                if any(state == "failed" for state, _ in self.states.values())
                else str(self.error),
            )
        else:
            message = Text("Working… the dialog closes once every step has finished.")
            message.stylize("italic")
        self.query_one("#archive-result", Static).update(message)
        if self.finished:
            button = self.query_one("#archive-close", Button)
            button.disabled = False
            button.focus()

    def action_close(self) -> None:
        if self.finished:
            self.dismiss(None)
        else:
            self.notify("The archive is still running; the dialog closes when it has finished.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()


def difference_line(difference: FileDifference, width: int, palette: Palette) -> Text:
    """`proposal.md   different  +2 −1` (from your copy's point of view)."""
    line = Text(f"  {difference.path:<{width}}  ")
    state = difference.state
    if state == FileState.SAME:
        line.append("same", style="dim")
    elif state == FileState.DIFFERENT:
        line.append("different ", style=f"bold {palette.warning}")
        if difference.added or difference.removed:
            line.append(f"+{difference.added}", style=palette.success)
            line.append(f" −{difference.removed}", style=palette.error)
        else:
            line.append("(whitespace or line endings only)", style="dim")
    elif state == FileState.ONLY_LOCAL:
        line.append("only in your copy ", style=f"bold {palette.primary}")
        line.append(f"+{difference.added}", style=palette.success)
    else:
        line.append("only on the server ", style=f"bold {palette.accent}")
        line.append(f"−{difference.removed}", style=palette.error)
    return line


class RevisionConflictDialog(ModalScreen[str | None]):
    """A push refused because the server moved on: both revisions, what differs, the choices.

    Answers "local" (overwrite the server), "server" (pull over the local copy) or None.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "choose('local')", "Keep local", id="conflict.local"),
        Binding("s", "choose('server')", "Take server", id="conflict.server"),
        Binding("escape", "choose(None)", "Cancel", id="conflict.cancel"),
    ]

    def __init__(
        self,
        change_id: str,
        local_revision: str,
        server_revision: str,
        compare: Callable[[], list[FileDifference]],
    ) -> None:
        super().__init__()
        self.change_id = change_id
        self.local_revision = local_revision
        self.server_revision = server_revision
        self._compare = compare
        self.differences: list[FileDifference] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="conflict-dialog"):
            yield Label(f"Revision conflict on {self.change_id}", classes="dialog-title")
            yield Static(
                "The server's copy changed since you last pulled this change, so your push "
                "was refused. Nothing has been written on either side.",
                classes="dialog-body",
            )
            yield Static("", id="conflict-revisions", classes="dialog-body")
            with VerticalScroll(classes="dialog-scroll"):
                yield Static("", id="conflict-files")
            yield Static("", id="conflict-choices", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Text("Keep local [l]"), id="conflict-local", variant="warning")
                yield Button(Text("Take server [s]"), id="conflict-server", variant="primary")
                yield Button(Text("Cancel [esc]"), id="conflict-cancel")

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        revisions = Text.assemble(
            ("Your revision    ", "bold"),
            (self.local_revision or "(never synced)", self.palette.primary),
            "  the one your copy is based on\n",
            ("Server revision  ", "bold"),
            (self.server_revision or "(none)", self.palette.accent),
            "  the one the server holds now",
        )
        self.query_one("#conflict-revisions", Static).update(revisions)
        self.query_one("#conflict-files", Static).update(
            Text("Comparing your copy with the server's…", style="italic")
        )
        self.query_one("#conflict-choices", Static).update(
            Text.assemble(
                ("l ", "bold"),
                "Keep local: overwrite the server with your copy\n",
                ("s ", "bold"),
                "Take server: pull the server's copy (your files are backed up first)\n",
                ("esc ", "bold"),
                "Cancel: change nothing",
            )
        )
        self.query_one("#conflict-cancel", Button).focus()
        self._compare_worker()

    @work(thread=True, exit_on_error=False, group="conflict-compare")
    def _compare_worker(self) -> None:
        try:
            differences = self._compare()
        except Exception as error:  # the dialog must stay usable: the choices still apply
            self.app.call_from_thread(self._compare_failed, error)
            return
        self.app.call_from_thread(self._show_differences, differences)

    def _show_differences(self, differences: list[FileDifference]) -> None:
        self.differences = differences
        text = Text("What differs (your copy against the server's):\n", style="bold")
        width = max((len(d.path) for d in differences), default=0)
        lines = [difference_line(d, width, self.palette) for d in differences]
        text.append_text(Text("\n").join(lines) if lines else Text("  no artifacts on either side"))
        self.query_one("#conflict-files", Static).update(text)

    def _compare_failed(self, error: Exception) -> None:
        self.query_one("#conflict-files", Static).update(
            Text(f"Could not compare with the server: {error}", style=self.palette.error)
        )

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice = {"conflict-local": "local", "conflict-server": "server"}.get(event.button.id or "")
        self.dismiss(choice)
