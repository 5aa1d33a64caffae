"""Behaviour of GraphView, the Releases screen's dependency graph widget."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from rich.style import Style
from textual.app import App, ComposeResult

from tui.widgets.graph_view import GraphView

pytestmark = pytest.mark.anyio

# core <- lib <- {api, cli}; api <- web; docs stands alone
NODES = ["core", "lib", "api", "cli", "web", "docs"]
EDGES = [("core", "lib"), ("lib", "api"), ("lib", "cli"), ("api", "web")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class GraphApp(App[None]):
    def __init__(
        self,
        nodes: list[str] | None = None,
        edges: list[tuple[str, str]] | None = None,
        statuses: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.graph = (NODES if nodes is None else nodes, EDGES if edges is None else edges)
        self.statuses = statuses
        self.selections: list[str | None] = []
        self.activations: list[str] = []

    def compose(self) -> ComposeResult:
        yield GraphView()

    def on_mount(self) -> None:
        view = self.query_one(GraphView)
        view.set_graph(*self.graph, statuses=self.statuses)
        view.focus()

    def on_graph_view_node_selected(self, message: GraphView.NodeSelected) -> None:
        self.selections.append(message.node)

    def on_graph_view_node_activated(self, message: GraphView.NodeActivated) -> None:
        self.activations.append(message.node)


def box_style(view: GraphView, node: str) -> Style:
    """The style the view draws `node`'s label row with."""
    layout = view.graph_layout
    assert layout is not None
    box = layout.boxes[node]
    line = view.render_line(box.y + 1 - view.scroll_offset.y)
    at = 0
    for segment in line:
        if at <= box.x + 2 - view.scroll_offset.x < at + len(segment.text):
            assert segment.style is not None
            return segment.style
        at += len(segment.text)
    raise AssertionError(f"{node} not rendered")


def edge_style(view: GraphView, source: str, target: str) -> Style:
    """The style of the arrowhead ending the edge source -> target."""
    layout = view.graph_layout
    assert layout is not None
    x, y = layout.route(source, target)[-1][2:]
    at = 0
    for segment in view.render_line(y - view.scroll_offset.y):
        if at <= x - view.scroll_offset.x < at + len(segment.text):
            assert segment.style is not None
            return segment.style
        at += len(segment.text)
    raise AssertionError(f"edge {source} -> {target} not rendered")


async def test_right_moves_the_selection_to_the_next_layer() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        view.select("lib")

        await pilot.press("right")

        assert view.selected in {"api", "cli"}
        assert view.graph_layout is not None
        assert view.graph_layout.boxes[view.selected].layer == 2


async def test_vim_keys_move_like_the_arrows() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        view.select("core")

        await pilot.press("l", "l")
        first = view.selected
        await pilot.press("j")
        second = view.selected
        await pilot.press("k", "h")

        assert view.graph_layout is not None
        layer = view.graph_layout.layers[2]
        assert [first, second] == layer[:2]
        assert view.selected == "lib"


async def test_the_first_move_selects_the_first_repo() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)

        await pilot.press("down")

        assert view.graph_layout is not None
        assert view.selected == view.graph_layout.layers[0][0]


async def test_home_and_end_jump_to_the_first_and_last_repo() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        layout = view.graph_layout
        assert layout is not None

        await pilot.press("end")
        last = view.selected
        await pilot.press("home")

        assert (last, view.selected) == (layout.layers[-1][-1], layout.layers[0][0])


async def test_every_selection_change_is_announced() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)

        view.select("lib")
        await pilot.press("left")
        view.select(None)
        await pilot.pause()

        assert app.selections == ["lib", "core", None]


async def test_enter_activates_the_selected_repo() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(GraphView).select("api")

        await pilot.press("enter")

        assert app.activations == ["api"]


async def test_selecting_a_repo_not_in_the_graph_is_refused() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        with pytest.raises(ValueError, match="repo not in the graph: ghost"):
            app.query_one(GraphView).select("ghost")


async def test_the_blast_radius_is_every_transitive_dependent() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)

        view.select("lib")

        assert view.blast_radius == frozenset({"api", "cli", "web"})


async def test_a_repo_in_the_blast_radius_is_highlighted_and_one_outside_is_dimmed() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)

        view.select("lib")
        await pilot.pause()
        inside, outside = box_style(view, "web"), box_style(view, "docs")

        assert inside.bold and not inside.dim
        assert outside.dim and not outside.bold


async def test_the_selected_repo_is_drawn_reversed() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)

        view.select("lib")
        await pilot.pause()

        assert box_style(view, "lib").reverse
        assert not box_style(view, "api").reverse


async def test_edges_in_the_blast_radius_use_the_radius_edge_style() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        radius_colour = view.get_component_rich_style("graph-view--edge-radius").color

        view.select("lib")
        await pilot.pause()

        assert edge_style(view, "api", "web").color == radius_colour
        assert edge_style(view, "core", "lib").color != radius_colour
        assert edge_style(view, "core", "lib").dim


async def test_without_a_selection_nothing_is_dimmed() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)

        assert not any(box_style(view, node).dim for node in NODES)


async def test_a_failed_repo_is_drawn_in_the_failed_style() -> None:
    app = GraphApp(statuses={"api": "failed", "core": "succeeded"})
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)

        assert box_style(view, "api") == view.get_component_rich_style("graph-view--failed")
        assert box_style(view, "core") == view.get_component_rich_style("graph-view--succeeded")
        assert box_style(view, "docs") == view.get_component_rich_style("graph-view--none")


async def test_new_statuses_recolour_the_same_layout() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        layout = view.graph_layout

        view.set_statuses({"cli": "in_progress"})
        await pilot.pause()

        assert view.graph_layout is layout
        assert box_style(view, "cli") == view.get_component_rich_style("graph-view--in-progress")


async def test_an_unknown_status_is_refused() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        with pytest.raises(ValueError, match="unknown release status 'done' for cli"):
            app.query_one(GraphView).set_statuses({"cli": "done"})


async def test_clicking_a_box_selects_its_repo() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        assert view.graph_layout is not None
        box = view.graph_layout.boxes["cli"]

        await pilot.click(GraphView, offset=(box.x + 2, box.y + 1))

        assert view.selected == "cli"


async def test_clicking_between_boxes_keeps_the_selection() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        view.select("core")
        assert view.graph_layout is not None

        await pilot.click(GraphView, offset=(view.graph_layout.width + 2, 0))

        assert view.selected == "core"


async def test_an_empty_graph_shows_the_message_in_the_middle() -> None:
    app = GraphApp(nodes=[], edges=[])
    async with app.run_test(size=(100, 21)):
        view = app.query_one(GraphView)

        middle = view.render_line(view.size.height // 2).text

        assert middle.strip() == "No release graph: write .quarterdeck/release-graph.json"
        assert middle.index("No") == (view.size.width - len(middle.strip())) // 2


async def test_the_empty_message_can_be_changed() -> None:
    app = GraphApp(nodes=[], edges=[])
    async with app.run_test(size=(100, 21)):
        view = app.query_one(GraphView)

        view.empty_message = "Nothing to release"

        assert view.render_line(view.size.height // 2).text.strip() == "Nothing to release"


async def test_toggling_the_direction_lays_the_graph_out_top_down() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)

        view.toggle_direction()

        layout = view.graph_layout
        assert layout is not None and layout.direction == "TB"
        assert layout.boxes["core"].y < layout.boxes["lib"].y < layout.boxes["api"].y


async def test_down_follows_the_layers_when_top_down() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GraphView)
        view.toggle_direction()
        view.select("core")

        await pilot.press("down")

        assert view.selected == "lib"


async def test_selecting_a_far_away_repo_scrolls_its_box_into_view() -> None:
    nodes = [f"repo-{i:03d}" for i in range(60)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(59)]
    app = GraphApp(nodes=nodes, edges=edges)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(GraphView)

        view.select("repo-059")
        await pilot.pause()

        assert view.graph_layout is not None
        box = view.graph_layout.boxes["repo-059"]
        scroll_x, scroll_y = view.scroll_offset
        assert scroll_x <= box.x and box.x + box.w <= scroll_x + view.size.width
        assert scroll_y <= box.y and box.y + box.h <= scroll_y + view.size.height


async def test_a_new_graph_keeps_the_selection_when_the_repo_is_still_there() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)
        view.select("lib")

        view.set_graph(["lib", "api"], [("lib", "api")])

        assert (view.selected, view.blast_radius) == ("lib", frozenset({"api"}))


async def test_a_new_graph_without_the_selected_repo_clears_the_selection() -> None:
    app = GraphApp()
    async with app.run_test(size=(120, 40)):
        view = app.query_one(GraphView)
        view.select("docs")

        view.set_graph(["lib", "api"], [("lib", "api")])

        assert (view.selected, view.blast_radius) == (None, frozenset())
