"""Mode 3 — the repo dependency graph coloured by release status; plans, runs, the ledger.

The graph shows one plan (the newest unless `[`/`]` picks another) and one of its runs (the
latest unless the ledger picks another). A command run is driven from a worker thread one
repo at a time, so every step recolours the graph while the user keeps moving around it;
a manual run waits for `s`/`f` on the next repo.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Static

from core.backends.base import ReleaseGraphView
from core.models.errors import QuarterdeckError
from core.models.releases import (
    ItemState,
    ReleaseRequest,
    Run,
    RunEvent,
    RunEventKind,
    RunProgress,
    RunStatus,
    SequenceItem,
    SequencePlan,
)
from core.releases.sequencer import Sequencer
from styles import STYLES
from tui.commands import Entry
from tui.formatting import ago, bar
from tui.screens.base import ModeScreen
from tui.screens.dialogs import ConfirmDialog, prompt
from tui.screens.releases_dialogs import (
    BuilderRepo,
    PlanBuilder,
    PlanDraft,
    RepoDetails,
    RunLedger,
    duration,
    run_seconds,
    short_id,
    utc_stamp,
)
from tui.widgets.graph_view import GraphView

NO_GRAPH = "No release graph: write .quarterdeck/release-graph.json (aivcs format)"
GRAPH_FORMAT = """\
{"repos": [
   {"name": "org/a"},
   {"name": "org/b"}],
 "dependencies": [
   {"dependent":
      {"name": "org/b"},
    "dependency":
      {"name": "org/a"}}]}"""
WIDE = 120  # side panel to the right from here, below the graph under it
EXTRA_WIDE = 170
NAMES_IN_PANEL = 12  # blast radius names before "… and N more"; enter shows them all
TALL = 32  # rows; below this the narrow layout's panels shrink
REASON_IN_PANEL = 160  # characters of a failure reason in the side panel; 70 when narrow
STATE_CELL = 15  # "◐ 12 releasing" and a space
EVENTS_KEPT = 200  # the panel shows the tail of a run's events

WORDS = {
    "pending": "pending",
    "in_progress": "releasing",
    "succeeded": "succeeded",
    "failed": "failed",
    "skipped": "skipped",
    "none": "not in plan",
}
GLYPHS = {
    "pending": "○",
    "in_progress": "◐",
    "succeeded": "✓",
    "failed": "✗",
    "skipped": "⊘",
    "none": "·",
}
# How the legend and panel texts are styled: the graph's own box styles, so they match.
COMPONENTS = {
    "pending": "graph-view--pending",
    "in_progress": "graph-view--in-progress",
    "succeeded": "graph-view--succeeded",
    "failed": "graph-view--failed",
    "skipped": "graph-view--skipped",
    "none": "graph-view--none",
}


@dataclass(frozen=True)
class Topology:
    """The graph as the screen uses it: release order and both directions of every edge."""

    order: list[str]
    edges: list[tuple[str, str]]  # (dependency, dependent): release order, as drawn
    dependencies: dict[str, list[str]]
    dependents: dict[str, list[str]]
    # A prefix every repo shares ("acme/"): boxes leave it out, which keeps them narrow.
    prefix: str

    @classmethod
    def of(cls, view: ReleaseGraphView) -> Topology:
        order = list(view.order)
        dependencies: dict[str, list[str]] = {repo: [] for repo in order}
        dependents: dict[str, list[str]] = {repo: [] for repo in order}
        edges: list[tuple[str, str]] = []
        for edge in view.graph.dependencies:
            dependency, dependent = edge.dependency.name, edge.dependent.name
            edges.append((dependency, dependent))
            dependencies[dependent].append(dependency)
            dependents[dependency].append(dependent)
        position = {repo: index for index, repo in enumerate(order)}
        for table in (dependencies, dependents):
            for repo in table:
                table[repo].sort(key=position.__getitem__)
        return cls(order, edges, dependencies, dependents, _shared_org(order))

    def label(self, repo: str) -> str:
        return repo[len(self.prefix) :] if self.prefix else repo

    def upstream(self, repo: str) -> set[str]:
        """Every repo `repo` depends on, directly or not."""
        found: set[str] = set()
        queue = deque(self.dependencies.get(repo, ()))
        while queue:
            current = queue.popleft()
            if current not in found:
                found.add(current)
                queue.extend(self.dependencies.get(current, ()))
        return found

    def downstream(self, repo: str) -> list[str]:
        """Every repo that depends on `repo`, directly or not, in release order."""
        found: set[str] = set()
        queue = deque(self.dependents.get(repo, ()))
        while queue:
            current = queue.popleft()
            if current not in found:
                found.add(current)
                queue.extend(self.dependents.get(current, ()))
        return [name for name in self.order if name in found]


def _shared_org(repos: list[str]) -> str:
    if not repos or any("/" not in repo for repo in repos):
        return ""
    org = repos[0].split("/", 1)[0] + "/"
    return org if all(repo.startswith(org) for repo in repos) else ""


def requested_repos(plan: SequencePlan) -> set[str]:
    """The repos a plan releases; the plan lists the others as skipped, as aivcs does."""
    return {item.repo_id for item in plan.items if item.status.state is not ItemState.SKIPPED}


@dataclass(frozen=True)
class ReleasesData:
    topology: Topology
    plans: list[SequencePlan]  # newest first
    runs: list[Run]  # every plan's, newest first
    plan: SequencePlan | None  # the plan on the graph
    progress: RunProgress | None  # the run on the graph, if the plan has one


class EventTail(Widget):
    """The last events of the run on the graph, as many as fit, newest at the bottom."""

    DEFAULT_CSS = """
    EventTail {
        height: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[Text] = []

    def show(self, lines: list[Text]) -> None:
        self._lines = lines
        self.refresh()

    def render(self) -> Text:
        height = self.size.height
        shown = self._lines[-height:] if height > 0 else []
        return Text("\n").join(shown)


class GraphHeader(Widget):
    """One line over the graph: what it shows on the left, the colour legend on the right
    (spelled out when there is room, abbreviated when not)."""

    DEFAULT_CSS = """
    GraphHeader {
        height: 1;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._left = Text()
        self._legends: list[Text] = []

    def show(self, left: Text, legends: list[Text]) -> None:
        """`legends` from the longest to the shortest; the first that fits is drawn."""
        self._left = left
        self._legends = legends
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        room = width - self._left.cell_len - 1
        legend = next((text for text in self._legends if text.cell_len <= room), Text())
        gap = max(1, width - self._left.cell_len - legend.cell_len)
        return Text.assemble(self._left, " " * gap, legend, no_wrap=True, overflow="ellipsis")


class ReleasesScreen(ModeScreen[ReleasesData]):
    MODE = "releases"
    TITLE = "Releases"
    # Loaded with the screen, when the mode first opens, not at start-up.
    CSS_PATH = STYLES / "releases.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "toggle_orientation", "Rotate", id="releases.orientation"),
        Binding(
            "left_square_bracket",
            "previous_plan",
            "Older plan",
            id="releases.previous_plan",
            show=False,
            group=Binding.Group("Plan"),
        ),
        Binding(
            "right_square_bracket",
            "next_plan",
            "Newer plan",
            id="releases.next_plan",
            show=False,
            group=Binding.Group("Plan"),
        ),
        Binding("b", "build_plan", "New plan", id="releases.build"),
        Binding("R", "run_plan", "Run", id="releases.run"),
        Binding("m", "manual_run", "Step by hand", id="releases.manual"),
        Binding(
            "s",
            "mark_succeeded",
            "Next succeeded",
            id="releases.mark_succeeded",
            group=Binding.Group("Mark next"),
        ),
        Binding(
            "f",
            "mark_failed",
            "Next failed",
            id="releases.mark_failed",
            group=Binding.Group("Mark next"),
        ),
        Binding("X,ctrl+x", "cancel_run", "Cancel run", id="releases.cancel"),
        # `l` moves right in the graph (vim keys), so the ledger is on shift+l.
        Binding("L", "ledger", "Ledger", id="releases.ledger"),
    ]
    MUTATING_ACTIONS = frozenset(
        {"build_plan", "run_plan", "manual_run", "mark_succeeded", "mark_failed", "cancel_run"}
    )
    AUTO_FOCUS = "#releases-graph"

    def __init__(self) -> None:
        super().__init__()
        self._wanted_plan: str | None = None
        self._shown: ReleasesData | None = None
        self._chosen_run: dict[str, str] = {}  # plan -> the run picked in the ledger
        self._draft = PlanDraft()
        self._builder_error: str | None = None  # a refused build reopens the builder with it
        self._pending_select: str | None = None
        self._graph_key: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
        # The command run this screen drives, and what its worker last reported.
        self._driving: str | None = None
        self._cancel = threading.Event()
        self._entering: str | None = None
        self._live: RunProgress | None = None
        self._last_next: str | None = None  # the repo a hand-stepped run waited for

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="releases-body"):
            with Vertical(id="releases-main"):
                yield GraphHeader(id="releases-header")
                with Container(id="releases-canvas"):
                    # -empty until drawn: an empty graph fills the room with its message,
                    # a drawn one is centred in it.
                    graph = GraphView(id="releases-graph", classes="-empty")
                    graph.empty_message = "Loading the release graph…"
                    yield graph
            with Vertical(id="releases-side"):
                yield Static("", id="releases-repo", classes="panel")
                with Vertical(id="releases-state", classes="panel"):
                    yield Static("", id="releases-plan")
                    yield Static("", id="releases-run")
                    yield EventTail(id="releases-log")
        yield from self.compose_footer()

    @property
    def graph(self) -> GraphView:
        return self.query_one("#releases-graph", GraphView)

    def on_resize(self, event: events.Resize) -> None:
        width = event.size.width
        self.set_class(width < WIDE, "-narrow")
        self.set_class(width >= EXTRA_WIDE, "-extra-wide")
        # On a short screen the graph keeps most rows; the panels below show their first lines.
        self.set_class(event.size.height < TALL, "-short")

    # Data.

    def load(self) -> ReleasesData:
        view = self.service.release_graph()
        plans = self.service.list_release_plans()
        runs = self.service.list_release_runs()
        wanted = self._wanted_plan
        plan = next((p for p in plans if p.plan_id == wanted), plans[0] if plans else None)
        progress = None
        if plan is not None:
            plan_runs = [run for run in runs if run.plan_id == plan.plan_id]
            chosen = self._chosen_run.get(plan.plan_id)
            run = next(
                (r for r in plan_runs if r.run_id == chosen), plan_runs[0] if plan_runs else None
            )
            if run is not None:
                progress = self.service.get_release_run(run.run_id)
        return ReleasesData(Topology.of(view), plans, runs, plan, progress)

    def show(self, data: ReleasesData) -> None:
        wanted = self._wanted_plan
        if (
            data.plan is not None
            and wanted is not None
            and data.plan.plan_id != wanted
            and (any(plan.plan_id == wanted for plan in data.plans) or self.loading_data)
        ):
            # An older load that finished late, or one that began before the wanted plan
            # was saved (closing the builder reloads while the save runs): a newer load
            # is under way, and it brings the wanted plan.
            self.data = self._shown
            return
        self._shown = data
        self._wanted_plan = data.plan.plan_id if data.plan is not None else None
        self._install_graph(data.topology)
        self._redraw()
        self._publish(data)
        if self._builder_error is not None:
            error, self._builder_error = self._builder_error, None
            self._open_builder(error=error)

    def _load_failed(self, error: Exception) -> None:
        super()._load_failed(error)
        if self._builder_error is not None:  # no graph to reopen the builder over: just say it
            self.notify(f"Plan not built: {self._builder_error}", severity="error", timeout=10)
            self._builder_error = None
        if self.data is None:
            self.graph.empty_message = f"Could not read the release graph: {error}"

    def _install_graph(self, topology: Topology) -> None:
        graph = self.graph
        key = (tuple(topology.order), tuple(topology.edges))
        if key == self._graph_key:
            return
        graph.empty_message = NO_GRAPH
        try:
            graph.set_graph(
                topology.order,
                topology.edges,
                statuses=self._statuses(),
                direction=graph.direction,
                label=topology.label,
            )
        except ValueError as error:  # the core refuses cycles first; a guard, not a path
            graph.empty_message = f"Cannot draw the release graph: {error}"
            return
        self._graph_key = key
        graph.set_class(not topology.order, "-empty")
        if self._pending_select in topology.dependencies:
            graph.select(self._pending_select)
        elif graph.selected is None and topology.order:
            graph.select(self._first_interesting(topology))
        self._pending_select = None

    def _first_interesting(self, topology: Topology) -> str:
        """Where the cursor starts: the repo the run waits on, else its first failure."""
        progress = self.progress
        if progress is not None:
            waiting = Sequencer.next_item(progress)
            if waiting is not None and waiting.repo_id in topology.dependencies:
                return waiting.repo_id
            for item in progress.items:
                if item.status.state is ItemState.FAILED and item.repo_id in topology.dependencies:
                    return item.repo_id
        return topology.order[0]

    def _redraw(self) -> None:
        """Colours, panel, header and keys from the current data and live run state."""
        if self.data is None:
            return
        self.graph.set_statuses(self._statuses())
        self._follow_next()
        self._update_header()
        self._update_repo_panel()
        self._update_state_panel()
        self.refresh_bindings()

    def _follow_next(self) -> None:
        """When a hand-stepped run moves on (here or in another session), select the repo it
        now waits for: that is the one `s`/`f` acts on."""
        waiting = self._markable()
        name = waiting.repo_id if waiting is not None else None
        if name != self._last_next:
            self._last_next = name
            if name is not None and self._graph_key is not None:
                self.graph.select(name)

    def _publish(self, data: ReleasesData) -> None:
        statuses = self._statuses()
        self.qapp.catalog.publish(
            "repo",
            [
                Entry(
                    "repo",
                    repo,
                    repo,
                    f"{WORDS[statuses.get(repo, 'none')]} · "
                    f"{len(data.topology.dependents[repo])} dependents",
                )
                for repo in data.topology.order
            ],
        )

    # What the graph shows.

    @property
    def plan(self) -> SequencePlan | None:
        return self.data.plan if self.data is not None else None

    @property
    def progress(self) -> RunProgress | None:
        """The run on the graph: the loaded one, or what the live run reported since."""
        if self.data is None or self.data.plan is None:
            return None
        loaded, live = self.data.progress, self._live
        if live is None or live.run.plan_id != self.data.plan.plan_id:
            return loaded
        if loaded is None or loaded.run.run_id != live.run.run_id:
            chosen = self._chosen_run.get(self.data.plan.plan_id)
            return live if chosen == live.run.run_id else loaded
        return live if _newer(live, loaded) else loaded

    def _statuses(self) -> dict[str, str]:
        plan = self.plan
        if plan is None:
            return {}
        requested = requested_repos(plan)
        progress = self.progress
        items = progress.items if progress is not None else plan.items
        statuses = {
            item.repo_id: item.status.state.value for item in items if item.repo_id in requested
        }
        entering = self._entering_on_graph()
        if entering is not None:
            statuses[entering] = ItemState.IN_PROGRESS.value
        return statuses

    def _entering_on_graph(self) -> str | None:
        progress = self.progress
        if (
            self._entering is None
            or progress is None
            or progress.run.run_id != self._driving
            or progress.run.status is not RunStatus.RUNNING
        ):
            return None
        return self._entering

    def _item(self, repo: str) -> SequenceItem | None:
        progress = self.progress
        items = progress.items if progress is not None else (self.plan.items if self.plan else [])
        return next((item for item in items if item.repo_id == repo), None)

    def _markable(self) -> SequenceItem | None:
        """The repo `s`/`f` would mark: the next one of a run waiting for a hand."""
        progress = self.progress
        if progress is None or self._driving is not None:
            return None
        item = Sequencer.next_item(progress)
        if item is None:
            return None
        if progress.run.mode == "manual" or item.status.state is ItemState.IN_PROGRESS:
            return item
        return None

    def _running_run(self) -> Run | None:
        """A run of the plan on the graph that has not finished, if any."""
        plan, progress = self.plan, self.progress
        if plan is None or self.data is None:
            return None
        if progress is not None and progress.run.status is RunStatus.RUNNING:
            return progress.run
        shown = progress.run.run_id if progress is not None else None  # fresher than the list
        return next(
            (
                run
                for run in self.data.runs
                if run.plan_id == plan.plan_id
                and run.status is RunStatus.RUNNING
                and run.run_id != shown
            ),
            None,
        )

    # The header, legend and side panel.

    def _state_style(self, state: str) -> Style:
        """The graph's style for a status, without its background (panels have their own)."""
        style = self.graph.get_component_rich_style(COMPONENTS[state])
        return Style(color=style.color, bold=style.bold, italic=style.italic, strike=style.strike)

    def _update_header(self) -> None:
        if self.data is None:
            return
        topology = self.data.topology
        left = Text()
        if topology.order:
            way = "left→right" if self.graph.direction == "LR" else "top→down"
            left.append(f"{len(topology.order):,} repos", style="bold")
            left.append(f" · {way}", style="dim")
        legends = []
        short = {state: word[:4] for state, word in WORDS.items()}
        for words in (WORDS, short) if topology.order else ():
            legend = Text()
            for state, word in words.items():
                legend.append(" ")
                legend.append(word, style=self._state_style(state))
            legends.append(legend)
        self.query_one("#releases-header", GraphHeader).show(left, legends)

    def on_graph_view_node_selected(self, event: GraphView.NodeSelected) -> None:
        self._update_repo_panel()

    def on_graph_view_node_activated(self, event: GraphView.NodeActivated) -> None:
        if self.data is None:
            return
        self.app.push_screen(RepoDetails(event.node, self._repo_text(event.node, full=True)))

    def _repo_state(self, repo: str) -> str:
        return self._statuses().get(repo, "none")

    def _repo_text(self, repo: str, *, full: bool) -> Text:
        """The selected repo: its status in the plan/run on the graph, and its neighbours."""
        assert self.data is not None
        topology = self.data.topology
        state = self._repo_state(repo)
        item = self._item(repo)
        text = Text()
        if full:
            text.append(f"{repo}\n", style="bold")
        text.append(f"{GLYPHS[state]} {WORDS[state]}", style=self._state_style(state))
        if item is not None and state != "none":
            text.append(f" · {item.version_label}", style="bold")
        text.append("\n")
        if state == "skipped":
            text.append(self._skip_reason(repo) + "\n", style="dim")
        if item is not None and item.status.reason and state == "failed":
            reason = item.status.reason
            room = 70 if self.has_class("-narrow") else REASON_IN_PANEL
            if not full and len(reason) > room:
                reason = reason[: room - 1] + "… (enter)"
            text.append(reason + "\n", style="italic")
        if item is not None and item.status.run_id and state == "succeeded":
            text.append("release ", style="dim")
            text.append(item.status.run_id + "\n")
        if state == "in_progress" and self._markable() is not None:
            text.append("waiting for you: s succeeded · f failed\n", style="dim")
        self._names_line(text, "depends on", topology.dependencies[repo], full=full)
        self._names_line(text, "dependents", topology.dependents[repo], full=full)
        radius = topology.downstream(repo)
        text.append("blast radius ", style="dim")
        text.append(f"{len(radius)}", style="bold")
        if radius:
            text.append(" repo" + ("s" if len(radius) != 1 else ""), style="dim")
            text.append("\n")
            self._names(text, radius, full=full)
        if full and self.data.plans:
            text.append("\n\nIn plans (newest first)\n", style="bold")
            for plan in self.data.plans:
                planned = next(
                    (
                        i
                        for i in plan.items
                        if i.repo_id == repo and i.repo_id in requested_repos(plan)
                    ),
                    None,
                )
                text.append(f"  {plan.plan_id}  ")
                text.append(
                    planned.version_label if planned else "not in plan",
                    style="" if planned else "dim",
                )
                text.append("\n")
        return text

    def _skip_reason(self, repo: str) -> str:
        assert self.data is not None
        statuses = self._statuses()
        failed = [
            name
            for name in self.data.topology.order
            if name in self.data.topology.upstream(repo) and statuses.get(name) == "failed"
        ]
        if failed:
            return "blocked by " + ", ".join(self.data.topology.label(name) for name in failed)
        progress = self.progress
        if progress is not None and progress.run.status is RunStatus.CANCELLED:
            return "the run was cancelled"
        return "not released"

    def _names_line(self, text: Text, label: str, names: list[str], *, full: bool) -> None:
        text.append(f"{label} ", style="dim")
        if not names:
            text.append("nothing\n", style="dim")
            return
        self._names(text, names, full=full)

    def _names(self, text: Text, names: list[str], *, full: bool) -> None:
        assert self.data is not None
        label = self.data.topology.label
        shown = names if full else names[:NAMES_IN_PANEL]
        text.append(", ".join(label(name) for name in shown))
        if len(shown) < len(names):
            text.append(f" … and {len(names) - len(shown)} more (enter)", style="dim")
        text.append("\n")

    def _update_repo_panel(self) -> None:
        panel = self.query_one("#releases-repo", Static)
        repo = self.graph.selected
        if self.data is None:
            return
        if not self.data.topology.order:
            panel.border_title = "Repo"
            panel.update(Text("No repos: the release graph is empty.", style="dim"))
            return
        if repo is None:
            panel.border_title = "Repo"
            panel.update(Text("Arrows or hjkl pick a repo.", style="dim"))
            return
        panel.border_title = repo
        text = self._repo_text(repo, full=False)
        text.rstrip()
        panel.update(text)

    def _update_state_panel(self) -> None:
        assert self.data is not None
        state = self.query_one("#releases-state", Vertical)
        plan_box = self.query_one("#releases-plan", Static)
        run_box = self.query_one("#releases-run", Static)
        log = self.query_one("#releases-log", EventTail)
        data = self.data
        plan = data.plan
        read_only = self.service.read_only
        state.border_subtitle = ""
        if not data.topology.order:
            state.border_title = "Release graph"
            plan_box.update(
                Text.assemble(
                    ("No release graph yet. Write it to\n", "dim"),
                    (".quarterdeck/release-graph.json", "bold"),
                    (" in aivcs's format:\n", "dim"),
                    (GRAPH_FORMAT, ""),
                )
            )
            run_box.update("")
            log.show([])
            return
        if plan is None:
            state.border_title = "Plan"
            plan_box.update(
                Text("No plan yet." if read_only else "No plan yet — press b to build one.")
            )
            run_box.update("")
            log.show([])
            return
        oldest_first = len(data.plans) - data.plans.index(plan)
        state.border_title = f"Plan {oldest_first}/{len(data.plans)} · {plan.plan_id}"
        state.border_subtitle = "[ ] older/newer" if len(data.plans) > 1 else ""
        plan_box.update(self._plan_text(plan))
        run_box.update(self._run_text())
        log.show(self._event_lines())

    def _plan_text(self, plan: SequencePlan) -> Text:
        requested = requested_repos(plan)
        statuses = self._statuses()
        text = Text()
        text.append(f"{len(requested)} to release", style="bold")
        others = len(plan.items) - len(requested)
        if others:
            text.append(f" · {others} not in plan", style="dim")
        counts = dict.fromkeys(WORDS, 0)
        for repo in requested:
            counts[statuses.get(repo, "none")] += 1
        cells = [
            Text(f"{GLYPHS[state]} {counts[state]} {WORDS[state]}", style=self._state_style(state))
            for state in WORDS
            if counts[state] and state != "none"
        ]
        # Two to a line, in columns: a wrapped "✓ 3 / succeeded" would be hard to read.
        for index, cell in enumerate(cells):
            text.append("\n" if index % 2 == 0 else " ")
            if index % 2 == 0 and index + 1 < len(cells):
                cell.pad_right(max(0, STATE_CELL - cell.cell_len))
            text.append_text(cell)
        return text

    def _run_text(self) -> Text:
        progress = self.progress
        plan = self.plan
        read_only = self.service.read_only
        if progress is None or plan is None:
            return Text(
                "No run yet." if read_only else "No run yet — R runs it, m steps it by hand.",
                style="dim",
            )
        run = progress.run
        text = Text()
        text.append(f"Run {short_id(run.run_id)}", style="bold")
        text.append(" · ")
        text.append(run.status.value, style=self._run_status_style(run.status))
        if self.data is not None:
            plan_runs = [r.run_id for r in self.data.runs if r.plan_id == plan.plan_id]
            if run.run_id in plan_runs[1:]:
                text.append(" · an older run", style="dim")
        text.append("\n")
        requested = requested_repos(plan)
        statuses = self._statuses()
        finished = ("succeeded", "failed", "skipped")
        done = sum(1 for repo in requested if statuses.get(repo) in finished)
        total = len(requested)
        text.append(bar(done / total if total else 0, 12), style=self._run_status_style(run.status))
        text.append(f" {done}/{total} done\n")
        verb = "took" if run.finished_at else "for"
        text.append(
            f"{run.mode} · {ago(run.started_at, self.now())}"
            f" · {verb} {duration(run_seconds(run, self.now()))}",
            style="dim",
        )
        waiting = self._markable()
        if waiting is not None and not read_only:
            label = self.data.topology.label(waiting.repo_id) if self.data else waiting.repo_id
            text.append("\nnext: ", style="bold")
            text.append(
                f"{label} {waiting.version_label}",
                style=self._state_style("pending") + Style(bold=True),
            )
            text.append(" · s/f marks it", style="dim")
        if self._driving is not None and self._cancel.is_set():
            text.append("\ncancelling after the current repo…", style="italic")
        return text

    def _run_status_style(self, status: RunStatus) -> Style:
        state = {
            RunStatus.RUNNING: "in_progress",
            RunStatus.COMPLETED: "succeeded",
            RunStatus.FAILED: "failed",
            RunStatus.CANCELLED: "skipped",
        }[status]
        return self._state_style(state)

    def _event_lines(self) -> list[Text]:
        progress = self.progress
        if progress is None or self.data is None:
            return []
        label = self.data.topology.label
        lines = [self._event_line(event, label) for event in progress.events[-EVENTS_KEPT:]]
        entering = self._entering_on_graph()
        if entering is not None:
            item = self._item(entering)
            version = item.version_label if item is not None else ""
            lines.append(
                Text.assemble(
                    ("         ", ""),
                    (f"◐ releasing {label(entering)} {version}…", self._state_style("in_progress")),
                )
            )
        return lines

    def _event_line(self, event: RunEvent, label: Callable[[str], str]) -> Text:
        name = label(str(event.payload.get("node_id", "")))
        stamp = utc_stamp(event.timestamp, with_date=False)
        if event.kind is RunEventKind.NODE_ENTERED:
            body = f"▶ {name} {event.payload.get('version', '')}"
            style = self._state_style("pending")
        elif event.kind is RunEventKind.NODE_EXITED:
            body = f"✓ {name} → {event.payload.get('run_id', '')}"
            style = self._state_style("succeeded")
        else:
            body = f"✗ {name}: {event.payload.get('error', '')}"
            style = self._state_style("failed")
        return Text.assemble((f"{stamp} ", "dim"), (body, style))

    # Keys.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if super().check_action(action, parameters) is False:
            return False
        if action in ("mark_succeeded", "mark_failed"):
            return self._markable() is not None
        if action == "build_plan":
            return self.data is not None and bool(self.data.topology.order)
        if action in ("run_plan", "manual_run", "cancel_run", "ledger") and self.plan is None:
            return False
        # While a run goes, only what acts on it is offered; a run left unfinished by
        # another session can be resumed (command) or stepped (manual).
        running = self._running_run()
        if action == "cancel_run":
            return self._driving is not None or running is not None
        if action == "run_plan":
            return self._driving is None and (running is None or running.mode == "command")
        if action == "manual_run":
            return self._driving is None and running is None
        return True

    def action_toggle_orientation(self) -> None:
        self.graph.toggle_direction()
        self._update_header()

    def action_previous_plan(self) -> None:
        self._switch_plan(+1)

    def action_next_plan(self) -> None:
        self._switch_plan(-1)

    def _switch_plan(self, step: int) -> None:
        """`step` +1 goes to an older plan (the list is newest first)."""
        if self.data is None or self.data.plan is None:
            self.notify(
                "No plans yet." if self.service.read_only else "No plans yet: b builds one."
            )
            return
        plans = self.data.plans
        index = plans.index(self.data.plan) + step
        if not 0 <= index < len(plans):
            self.notify("This is the oldest plan." if step > 0 else "This is the newest plan.")
            return
        self._wanted_plan = plans[index].plan_id
        self.refresh_data()

    def select_entity(self, key: str) -> None:
        """A palette jump: select the repo, now or as soon as the graph is drawn."""
        ready = self._graph_key is not None and self.data is not None
        if ready and key in self.data.topology.dependencies:  # type: ignore[union-attr]
            self.graph.select(key)
            self.graph.focus()
        else:
            self._pending_select = key

    # Building a plan.

    def action_build_plan(self) -> None:
        self._open_builder()

    def _open_builder(self, error: str = "") -> None:
        if self.data is None:
            return
        topology = self.data.topology
        if not topology.order:
            return  # hidden by check_action; a guard for direct calls
        last: dict[str, str] = {}
        for plan in self.data.plans:  # newest first: the first version seen is the latest
            for repo in requested_repos(plan):
                last.setdefault(
                    repo, next(i.version_label for i in plan.items if i.repo_id == repo)
                )
        repos = [
            BuilderRepo(name, topology.label(name), last.get(name, "")) for name in topology.order
        ]
        builder = PlanBuilder(
            repos, self._draft, focus_repo=None if error else self.graph.selected, error=error
        )
        self.app.push_screen(builder, self._build)

    def _build(self, requests: list[ReleaseRequest] | None) -> None:
        if not requests:
            return

        def built(plan: SequencePlan) -> None:
            self._draft = PlanDraft()
            self._wanted_plan = plan.plan_id

        def refused(error: QuarterdeckError) -> bool:
            # Usually the graph changed under the draft: reopen it over the reloaded graph.
            self._builder_error = str(error)
            self.refresh_data()
            return True

        self.perform(
            lambda: self.service.build_release_plan(requests),
            success=lambda plan: (
                f"Built plan {plan.plan_id}: {_count(len(requests), 'repo')} to release."
            ),
            on_error=refused,
            then=built,
        )

    # Running a plan by command, live.

    def action_run_plan(self) -> None:
        plan = self.plan
        if plan is None:
            return  # hidden by check_action; a guard for direct calls
        running = self._running_run()
        if running is not None:
            self._offer_resume(running)
            return
        order = [item for item in plan.items if item.repo_id in requested_repos(plan)]
        label = self.data.topology.label if self.data else str
        steps = " → ".join(f"{label(item.repo_id)} {item.version_label}" for item in order)
        self.app.push_screen(
            ConfirmDialog(
                f"Run plan {plan.plan_id}?",
                f"Releases {_count(len(order), 'repo')} in dependency order with the release "
                f"command:\n{escape(steps)}\n\nA failure skips everything downstream of it; "
                "X cancels between repos.",
                confirm="Run",
                danger=True,
            ),
            lambda yes: self._start_driving(plan.plan_id, None) if yes else None,
        )

    def _offer_resume(self, run: Run) -> None:
        self.app.push_screen(
            ConfirmDialog(
                f"Resume run {short_id(run.run_id)}?",
                "This run was started but has not finished. Resuming releases its remaining "
                "repos; a repo left in progress is marked failed (its result was never "
                "recorded). If another process is driving it, the step is refused.",
                confirm="Resume",
                danger=True,
            ),
            lambda yes: self._start_driving(run.plan_id, run.run_id) if yes else None,
        )

    def _start_driving(self, plan_id: str, run_id: str | None) -> None:
        self._driving = run_id or ""
        self._cancel.clear()
        self._entering = None
        self.refresh_bindings()
        self._drive(plan_id, run_id)

    @work(thread=True, group="release-run", exit_on_error=False)
    def _drive(self, plan_id: str, run_id: str | None) -> None:
        """Start (or resume) a command run and advance it repo by repo until it finishes.

        Each step is posted to the UI twice: the repo being released, then its result.
        """
        service = self.service
        report = self.app.call_from_thread
        try:
            if run_id is None:
                progress = service.start_release_run(plan_id, "command")
            else:
                progress = service.get_release_run(run_id)
            report(self._progressed, progress, None)
            while progress.run.status is RunStatus.RUNNING:
                if self._cancel.is_set():
                    progress = service.cancel_release_run(progress.run.run_id)
                else:
                    item = Sequencer.next_item(progress)
                    report(self._progressed, progress, item.repo_id if item else None)
                    progress = service.advance_release_run(progress.run.run_id)
                report(self._progressed, progress, None)
        except Exception as error:  # typed or not, the run stops and the user is told
            report(self._drive_failed, error)
            return
        report(self._drive_finished, progress)

    def _progressed(self, progress: RunProgress, entering: str | None) -> None:
        self._driving = progress.run.run_id
        self._entering = entering
        self._live = progress
        self._chosen_run[progress.run.plan_id] = progress.run.run_id
        if self.plan is not None and self.plan.plan_id == progress.run.plan_id:
            self._redraw()

    def _drive_failed(self, error: Exception) -> None:
        self._driving = None
        self._entering = None
        message = (
            str(error) if isinstance(error, QuarterdeckError) else f"Unexpected error: {error!r}"
        )
        self.notify(f"Release run stopped: {message}", severity="error", timeout=10)
        self.refresh_data()
        self._redraw()

    def _drive_finished(self, progress: RunProgress) -> None:
        self._driving = None
        self._entering = None
        self._live = progress
        self.notify(
            self._outcome(progress),
            severity="information" if progress.run.status is RunStatus.COMPLETED else "warning",
            timeout=10,
        )
        self.refresh_data()
        self._redraw()

    def _outcome(self, progress: RunProgress) -> str:
        outcome = Sequencer.outcome(progress)
        parts = [f"{len(outcome.succeeded)} succeeded"]
        if outcome.failed:
            parts.append(
                f"{len(outcome.failed)} failed ({', '.join(r for r, _ in outcome.failed)})"
            )
        skipped = [
            r for r in outcome.skipped if self.plan is None or r in requested_repos(self.plan)
        ]
        if skipped:
            parts.append(f"{len(skipped)} skipped")
        return (
            f"Run {short_id(progress.run.run_id)} {progress.run.status.value}: "
            + ", ".join(parts)
            + "."
        )

    # Stepping a plan by hand.

    def action_manual_run(self) -> None:
        plan = self.plan
        if plan is None:
            return  # hidden by check_action; a guard for direct calls
        self.perform(
            lambda: self.service.start_release_run(plan.plan_id, "manual"),
            success=self._manual_started,
            then=self._adopt,
        )

    def _manual_started(self, progress: RunProgress) -> str:
        item = Sequencer.next_item(progress)
        where = f": mark {item.repo_id} with s or f" if item is not None else ""
        return f"Manual run {short_id(progress.run.run_id)} started{where}."

    def _adopt(self, progress: RunProgress) -> None:
        """Show a run this screen just changed, before the refresh confirms it."""
        self._live = progress
        self._chosen_run[progress.run.plan_id] = progress.run.run_id
        self._redraw()

    def action_mark_succeeded(self) -> None:
        self._mark(succeeded=True, reason=None)

    def action_mark_failed(self) -> None:
        item = self._markable()
        if item is None or self.data is None:
            return
        radius = self.data.topology.downstream(item.repo_id)
        plan = self.plan
        skipped = [r for r in radius if plan is not None and r in requested_repos(plan)]
        intro = (
            f"Everything downstream of it in this plan is skipped: {escape(', '.join(skipped))}."
            if skipped
            else "Nothing in this plan depends on it."
        )

        def answered(values: dict[str, str] | None) -> None:
            if values:
                self._mark(succeeded=False, reason=values["value"])

        self.app.push_screen(
            prompt(
                escape(f"Mark {item.repo_id} {item.version_label} failed"),
                "Reason",
                placeholder="what went wrong (kept in the run ledger)",
                intro=intro,
            ),
            answered,
        )

    def _mark(self, *, succeeded: bool, reason: str | None) -> None:
        progress = self.progress
        item = self._markable()
        if progress is None or item is None:
            return
        run_id, repo = progress.run.run_id, item.repo_id

        def marked(result: RunProgress) -> str:
            verb = "succeeded" if succeeded else "failed"
            message = f"Marked {repo} {verb}."
            if result.run.status is not RunStatus.RUNNING:
                message += " " + self._outcome(result)
            return message

        def refused(error: QuarterdeckError) -> bool:
            self.refresh_data()  # the run moved on elsewhere: catch up, then say why
            return False

        self.perform(
            lambda: self.service.mark_release_item(run_id, repo, succeeded, reason),
            success=marked,
            on_error=refused,
            then=self._adopt,
        )

    # Cancelling.

    def action_cancel_run(self) -> None:
        driving = self._driving
        running = self._running_run()
        if driving is None and running is None:
            self.notify("No run in progress.")
            return
        run_id = driving or (running.run_id if running else "")
        self.app.push_screen(
            ConfirmDialog(
                f"Cancel run {short_id(run_id)}?",
                "The repos not released yet are skipped and the run ends as CANCELLED; repos "
                "already released stay released."
                + (" The repo being released now finishes first." if driving is not None else ""),
                confirm="Stop run",
                danger=True,
            ),
            lambda yes: self._cancel_run(run_id) if yes else None,
        )

    def _cancel_run(self, run_id: str) -> None:
        if self._driving is not None:
            self._cancel.set()
            self._redraw()
            return
        self.perform(
            lambda: self.service.cancel_release_run(run_id),
            success=lambda result: f"Cancelled run {short_id(result.run.run_id)}.",
            then=self._adopt,
        )

    # The ledger.

    def action_ledger(self) -> None:
        plan = self.plan
        if plan is None or self.data is None:
            return  # hidden by check_action; a guard for direct calls
        runs = [run for run in self.data.runs if run.plan_id == plan.plan_id]
        progress = self.progress
        self.app.push_screen(
            RunLedger(
                f"Run ledger · plan {plan.plan_id} · {_count(len(runs), 'run')}",
                runs,
                requested_repos(plan),
                fetch=self.service.get_release_run,
                choose=self._choose_run,
                now=self.now,
                current=progress.run.run_id if progress is not None else None,
            )
        )

    def _choose_run(self, run_id: str) -> None:
        plan = self.plan
        if plan is None:
            return
        self._chosen_run[plan.plan_id] = run_id
        self.refresh_data()


def _newer(live: RunProgress, loaded: RunProgress) -> bool:
    """Whether the live copy of a run is ahead of one loaded from the store."""
    if loaded.run.status is not RunStatus.RUNNING:
        return live.run.status is not RunStatus.RUNNING and len(live.events) >= len(loaded.events)
    return live.run.status is not RunStatus.RUNNING or len(live.events) >= len(loaded.events)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
