"""GraphView: the Releases screen's dependency graph, a Line API widget over a GraphLayout.

Only the rows in view are rendered, and a row's text runs are built once by the layout, so
scrolling a 2,000-repo graph costs a few dozen rows per frame. Selecting a repo highlights its
blast radius: the repo and everything downstream of it, i.e. what a failed release would skip.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, Final, cast, get_args

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.widgets.graph_layout import Direction, GraphLayout, Move, Run, layout_graph

STATUSES: Final = frozenset({"pending", "in_progress", "succeeded", "failed", "skipped", "none"})
DEFAULT_EMPTY_MESSAGE: Final = "No release graph: write .quarterdeck/release-graph.json"
_SCROLL_MARGIN = Spacing(1, 2, 1, 2)
_MOVES: Final = get_args(Move)


class GraphView(ScrollView, can_focus=True):
    """A layered diagram of repos (boxes coloured by release status) and their dependencies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "move('right')", "Right", show=False, id="graph.right"),
        Binding("left,h", "move('left')", "Left", show=False, id="graph.left"),
        Binding("down,j", "move('down')", "Down", show=False, id="graph.down"),
        Binding("up,k", "move('up')", "Up", show=False, id="graph.up"),
        Binding("home", "first", "First repo", show=False, id="graph.first"),
        Binding("end", "last", "Last repo", show=False, id="graph.last"),
        Binding("enter", "activate", "Open repo", id="graph.activate"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "graph-view--pending",
        "graph-view--in-progress",
        "graph-view--succeeded",
        "graph-view--failed",
        "graph-view--skipped",
        "graph-view--none",
        "graph-view--selected",
        "graph-view--radius",
        "graph-view--edge",
        "graph-view--edge-radius",
        "graph-view--dim",
        "graph-view--empty",
    }

    DEFAULT_CSS = """
    GraphView {
        & > .graph-view--pending { color: $foreground; }
        & > .graph-view--in-progress { color: $text-warning; text-style: bold; }
        & > .graph-view--succeeded { color: $text-success; }
        & > .graph-view--failed { color: $text-error; text-style: bold; }
        & > .graph-view--skipped { color: $foreground-muted; text-style: strike; }
        & > .graph-view--none { color: $foreground-muted; }
        & > .graph-view--selected { text-style: bold reverse; }
        & > .graph-view--radius { text-style: bold; }
        & > .graph-view--edge { color: $foreground-muted; }
        & > .graph-view--edge-radius { color: $text-primary; text-style: bold; }
        & > .graph-view--dim { text-style: dim; }
        & > .graph-view--empty { color: $foreground-muted; text-style: italic; }
    }
    """

    class NodeSelected(Message):
        """The selection moved; `node` is None when nothing is selected any more."""

        def __init__(self, graph_view: GraphView, node: str | None) -> None:
            self.graph_view = graph_view
            self.node = node
            super().__init__()

        @property
        def control(self) -> GraphView:
            return self.graph_view

    class NodeActivated(Message):
        """Enter was pressed on the selected repo."""

        def __init__(self, graph_view: GraphView, node: str) -> None:
            self.graph_view = graph_view
            self.node = node
            super().__init__()

        @property
        def control(self) -> GraphView:
            return self.graph_view

    selected: reactive[str | None] = reactive(None, init=False)
    """The selected repo; setting a repo not in the graph raises ValueError."""
    empty_message: reactive[str] = reactive(DEFAULT_EMPTY_MESSAGE)
    """What an empty graph shows, centred."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._graph_nodes: list[str] = []
        self._graph_edges: list[tuple[str, str]] = []
        self._dependents: dict[str, list[str]] = {}
        self._label: Callable[[str], str] = str
        self._direction: Direction = "LR"
        self._statuses: dict[str, str] = {}
        self._graph_layout: GraphLayout | None = None
        self._radius: frozenset[str] = frozenset()
        self._lit: frozenset[str] = frozenset()
        self._style_cache: dict[tuple[str, str | None], Style] = {}

    # -- public API --------------------------------------------------------------------------

    @property
    def graph_layout(self) -> GraphLayout | None:
        """The current layout, None before the first `set_graph`."""
        return self._graph_layout

    @property
    def direction(self) -> Direction:
        return self._direction

    @property
    def blast_radius(self) -> frozenset[str]:
        """Transitive dependents of the selected repo (the repo itself excluded)."""
        return self._radius

    def set_graph(
        self,
        nodes: Sequence[str],
        edges: Sequence[tuple[str, str]],
        *,
        statuses: Mapping[str, str] | None = None,
        direction: Direction = "LR",
        label: Callable[[str], str] | None = None,
    ) -> None:
        """Show a new graph; the selection survives when its repo is still in the graph.

        Raises ValueError for a cycle, an edge naming an unknown repo or an unknown status.
        """
        checked = _checked_statuses(statuses or {})
        layout = layout_graph(nodes, edges, direction=direction, label=label or str)
        self._graph_nodes, self._graph_edges = list(nodes), list(edges)
        self._label = label or str
        self._direction = direction
        self._statuses = checked
        self._dependents = {}
        for src, dst in self._graph_edges:
            self._dependents.setdefault(src, []).append(dst)
        self._install(layout)
        if self.selected is not None and self.selected not in layout.boxes:
            self.selected = None
        else:
            self._update_radius()
            self._scroll_to_selected()

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        """Recolour the boxes; repos missing from `statuses` show as "none"."""
        self._statuses = _checked_statuses(statuses)
        self.refresh()

    def select(self, node: str | None) -> None:
        """Select `node` (ValueError when it is not in the graph) or clear the selection."""
        self.selected = node

    def toggle_direction(self) -> None:
        """Switch between left-to-right and top-down, keeping the selection in view."""
        self._direction = "TB" if self._direction == "LR" else "LR"
        self._install(
            layout_graph(
                self._graph_nodes, self._graph_edges, direction=self._direction, label=self._label
            )
        )
        self._scroll_to_selected()

    # -- reactives ---------------------------------------------------------------------------

    def validate_selected(self, node: str | None) -> str | None:
        if node is not None and (
            self._graph_layout is None or node not in self._graph_layout.boxes
        ):
            raise ValueError(f"repo not in the graph: {node}")
        return node

    def watch_selected(self, node: str | None) -> None:
        self._update_radius()
        self._scroll_to_selected()
        self.post_message(self.NodeSelected(self, node))

    # -- actions -----------------------------------------------------------------------------

    def action_move(self, move: str) -> None:
        layout = self._graph_layout
        if layout is None or not layout.boxes or move not in _MOVES:
            return
        if self.selected is None:
            self.selected = layout.layers[0][0]
            return
        target = layout.neighbour(self.selected, cast(Move, move))
        if target is not None:
            self.selected = target

    def action_first(self) -> None:
        if self._graph_layout is not None and self._graph_layout.boxes:
            self.selected = self._graph_layout.layers[0][0]

    def action_last(self) -> None:
        if self._graph_layout is not None and self._graph_layout.boxes:
            self.selected = self._graph_layout.layers[-1][-1]

    def action_activate(self) -> None:
        if self.selected is not None:
            self.post_message(self.NodeActivated(self, self.selected))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._graph_layout is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        node = self._graph_layout.box_at(offset.x + scroll_x, offset.y + scroll_y)
        if node is not None:
            self.selected = node

    # -- rendering ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        layout = self._graph_layout
        if layout is None or not layout.boxes:
            return self._empty_line(y, width, base)
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if row >= layout.height:
            return Strip.blank(width, base)
        runs = layout.row_runs(row)
        first = bisect_right(runs, scroll_x, key=lambda run: run.end)
        origin = min(scroll_x, runs[first].x) if first < len(runs) else scroll_x
        right = scroll_x + width
        segments: list[Segment] = []
        at = origin
        for run in runs[first:]:
            if run.x >= right:
                break
            if run.x > at:
                segments.append(Segment(" " * (run.x - at), base))
            segments.append(Segment(run.text, self._run_style(run)))
            at = run.end
        if at < right:
            segments.append(Segment(" " * (right - at), base))
            at = right
        strip = Strip(segments, at - origin)
        return strip.crop(scroll_x - origin, right - origin)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        if y != self.size.height // 2:
            return Strip.blank(width, base)
        message = self.empty_message
        left = max(0, (width - cell_len(message)) // 2)
        style = self.get_component_rich_style("graph-view--empty")
        line = Strip([Segment(" " * left, base), Segment(message, style)])
        return line.crop_extend(0, width, base)

    def _run_style(self, run: Run) -> Style:
        lit = self._lit
        if run.node is not None:
            status = self._statuses.get(run.node, "none")
            if run.node == self.selected:
                return self._style(status, "selected")
            if not lit:
                return self._style(status, None)
            return self._style(status, "radius" if run.node in lit else "dim")
        if not lit:
            return self._style("edge", None)
        if any(source in lit for source in run.sources):
            return self._style("edge-radius", None)
        return self._style("edge", "dim")

    def _style(self, component: str, modifier: str | None) -> Style:
        key = (component, modifier)
        style = self._style_cache.get(key)
        if style is None:
            style = self.get_component_rich_style(f"graph-view--{component}")
            if modifier is not None:
                style += self.get_component_rich_style(f"graph-view--{modifier}", partial=True)
            self._style_cache[key] = style
        return style

    # -- internals ---------------------------------------------------------------------------

    def _install(self, layout: GraphLayout) -> None:
        self._graph_layout = layout
        self.virtual_size = Size(layout.width, layout.height)
        self.refresh()

    def _update_radius(self) -> None:
        node = self.selected
        if node is None:
            self._radius = self._lit = frozenset()
        else:
            self._radius = frozenset(_downstream(node, self._dependents))
            self._lit = self._radius | {node}
        self.refresh()

    def _scroll_to_selected(self) -> None:
        if self.selected is None or self._graph_layout is None:
            return
        box = self._graph_layout.boxes[self.selected]
        self.scroll_to_region(
            Region(box.x, box.y, box.w, box.h),
            spacing=_SCROLL_MARGIN,
            animate=False,
            force=True,
        )


def _downstream(node: str, dependents: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(dependents.get(node, ()))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(dependents.get(current, ()))
    return seen


def _checked_statuses(statuses: Mapping[str, str]) -> dict[str, str]:
    """`statuses` with each status spelled as its component class suffix ("in-progress")."""
    for node, status in statuses.items():
        if status not in STATUSES:
            raise ValueError(
                f"unknown release status {status!r} for {node}; expected one of "
                + ", ".join(sorted(STATUSES))
            )
    return {node: status.replace("_", "-") for node, status in statuses.items()}
