"""Specification of the release graph's layered layout (tui/widgets/graph_layout.py)."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.widgets.graph_layout import Box, GraphLayout, Segment, layout_graph

Graph = tuple[list[str], list[tuple[str, str]]]

DIAMOND: Graph = (
    ["a", "b", "c", "d"],
    [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
)


def random_dag(size: int, seed: int) -> Graph:
    """Repos in random layers, each depending on 1-5 repos of earlier layers."""
    rng = random.Random(seed)
    names = [f"org/repo-{i:04d}" for i in range(size)]
    rng.shuffle(names)
    roots = max(1, size // 10)
    by_layer: list[list[str]] = [names[:roots]] + [[] for _ in range(max(1, int(size**0.5 / 2)))]
    for name in names[roots:]:
        by_layer[rng.randrange(1, len(by_layer))].append(name)
    edges = []
    earlier = list(by_layer[0])
    for layer in by_layer[1:]:
        for name in layer:
            for dependency in rng.sample(earlier, min(len(earlier), rng.randint(1, 5))):
                edges.append((dependency, name))
        earlier.extend(layer)
    return names, edges


@st.composite
def dags(draw: st.DrawFn) -> Graph:
    size = draw(st.integers(min_value=1, max_value=60))
    # names in a random order, so that name order says nothing about edge direction
    names = [f"r{i}" for i in draw(st.permutations(range(size)))]
    pairs = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=3 * size)
    )
    return names, [(names[min(a, b)], names[max(a, b)]) for a, b in pairs if a != b]


def overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def cells(route: tuple[Segment, ...]) -> Iterator[tuple[int, int]]:
    for x0, y0, x1, y1 in route:
        step_x = (x1 > x0) - (x1 < x0)
        step_y = (y1 > y0) - (y1 < y0)
        length = max(abs(x1 - x0), abs(y1 - y0))
        for i in range(length + 1):
            yield x0 + i * step_x, y0 + i * step_y


def assert_routes_join_their_boxes(layout: GraphLayout) -> None:
    arrow = "▶" if layout.direction == "LR" else "▼"
    for (source, target), route in layout.edges.items():
        src, dst = layout.boxes[source], layout.boxes[target]
        start, end = route[0][:2], route[-1][2:]
        if layout.direction == "LR":
            assert start == (src.x + src.w - 1, src.y + 1)
            assert end == (dst.x - 1, dst.y + 1)
        else:
            assert start == (src.x + src.w // 2, src.y + src.h - 1)
            assert end == (dst.x + dst.w // 2, dst.y - 1)
        assert layout.row_text(end[1])[end[0]] == arrow
        for before, after in pairwise(route):
            assert before[2:] == after[:2]


def assert_no_boxes_overlap(layout: GraphLayout) -> None:
    boxes = sorted(layout.boxes.values(), key=lambda b: (b.x, b.y))
    for i, box in enumerate(boxes):
        for other in boxes[i + 1 :]:
            if other.x >= box.x + box.w:
                break
            assert not overlaps(box, other), (box, other)


def test_a_layout_runs_with_the_collector_paused_and_leaves_it_on() -> None:
    nodes, edges = random_dag(20, seed=2)
    collector_on: list[bool] = []

    def label(name: str) -> str:
        collector_on.append(gc.isenabled())
        return name

    layout_graph(nodes, edges, label=label)

    assert collector_on and not any(collector_on)
    assert gc.isenabled()


def test_a_layout_that_fails_leaves_the_collector_on() -> None:
    with pytest.raises(ValueError, match="dependency cycle"):
        layout_graph(["a", "b"], [("a", "b"), ("b", "a")])
    assert gc.isenabled()


def test_the_same_graph_is_laid_out_the_same_way_every_time() -> None:
    nodes, edges = random_dag(60, seed=1)

    first, second = layout_graph(nodes, edges), layout_graph(nodes, edges)

    assert first.text() == second.text()
    assert first.boxes == second.boxes
    assert first.edges == second.edges


def test_a_diamond_is_drawn_with_a_split_and_a_merge() -> None:
    layout = layout_graph(*DIAMOND)

    assert layout.text() == (
        "         ┌───┐\n"
        "      ┌─▶│ b ├─┐\n"
        "┌───┐ │  └───┘ │   ┌───┐\n"
        "│ a ├─┤        └┬─▶│ d │\n"
        "└───┘ │  ┌───┐  │  └───┘\n"
        "      └─▶│ c ├──┘\n"
        "         └───┘"
    )


def test_a_diamond_top_down_points_its_arrows_down() -> None:
    layout = layout_graph(*DIAMOND, direction="TB")

    assert layout.text() == (
        "   ┌───┐\n"
        "   │ a │\n"
        "   └─┬─┘\n"
        "     │\n"
        "  ┌──┴───┐\n"
        "  │      │\n"
        "  ▼      ▼\n"
        "┌───┐  ┌───┐\n"
        "│ b │  │ c │\n"
        "└─┬─┘  └─┬─┘\n"
        "  │      │\n"
        "  └───┐  │\n"
        "      ├──┘\n"
        "      │\n"
        "      ▼\n"
        "    ┌───┐\n"
        "    │ d │\n"
        "    └───┘"
    )


def test_an_edge_skipping_a_layer_runs_past_the_box_in_that_layer() -> None:
    layout = layout_graph(
        ["app", "lib", "core"], [("core", "lib"), ("lib", "app"), ("core", "app")]
    )

    assert layout.text() == (
        "         ┌──────────┐\n"
        "┌──────┐ │          │   ┌─────┐\n"
        "│ core ├─┤  ┌─────┐ └┬─▶│ app │\n"
        "└──────┘ └─▶│ lib ├──┘  └─────┘\n"
        "            └─────┘"
    )


def test_layers_follow_the_longest_path_from_the_roots() -> None:
    layout = layout_graph(
        ["app", "lib", "core"], [("core", "lib"), ("lib", "app"), ("core", "app")]
    )

    assert layout.layers == [["core"], ["lib"], ["app"]]
    assert [layout.boxes[n].layer for n in ("core", "lib", "app")] == [0, 1, 2]


def test_every_edge_goes_from_a_lower_layer_to_a_higher_one() -> None:
    nodes, edges = random_dag(120, seed=2)

    layout = layout_graph(nodes, edges)

    assert all(layout.boxes[a].layer < layout.boxes[b].layer for a, b in edges)


def test_left_to_right_layers_are_columns_ordered_by_layer() -> None:
    layout = layout_graph(*random_dag(40, seed=3))

    lefts = [{layout.boxes[n].x for n in layer} for layer in layout.layers]

    assert all(len(xs) == 1 for xs in lefts)
    columns = [layout.boxes[layer[0]].x for layer in layout.layers]
    assert columns == sorted(columns)
    assert len(set(columns)) == len(columns)


def test_top_down_layers_are_rows_ordered_by_layer() -> None:
    layout = layout_graph(*random_dag(40, seed=3), direction="TB")

    tops = [{layout.boxes[n].y for n in layer} for layer in layout.layers]

    assert all(len(ys) == 1 for ys in tops)
    rows = [layout.boxes[layer[0]].y for layer in layout.layers]
    assert rows == sorted(rows)
    assert len(set(rows)) == len(rows)


def test_boxes_within_a_layer_are_listed_in_drawing_order() -> None:
    layout = layout_graph(*random_dag(80, seed=4))

    for layer in layout.layers:
        ys = [layout.boxes[n].y for n in layer]
        assert ys == sorted(ys)
        assert [layout.boxes[n].order for n in layer] == list(range(len(layer)))


def test_every_route_starts_at_its_source_box_and_ends_in_an_arrowhead_at_its_target() -> None:
    assert_routes_join_their_boxes(layout_graph(*random_dag(80, seed=5)))


def test_top_down_routes_start_at_the_source_box_and_end_in_a_down_arrow() -> None:
    assert_routes_join_their_boxes(layout_graph(*random_dag(80, seed=5), direction="TB"))


def test_every_cell_of_a_route_is_credited_to_the_route_source() -> None:
    layout = layout_graph(*random_dag(60, seed=6))

    for (source, _), route in layout.edges.items():
        for x, y in list(cells(route))[1:]:
            run = next(r for r in layout.row_runs(y) if r.x <= x < r.end)
            assert run.node is None
            assert source in run.sources


def test_row_runs_spell_out_the_row_text() -> None:
    layout = layout_graph(*random_dag(30, seed=7))

    for y in range(layout.height):
        text = layout.row_text(y)
        assert len(text) == layout.width
        for run in layout.row_runs(y):
            assert text[run.x : run.end] == run.text


def test_box_runs_name_the_node_they_draw() -> None:
    layout = layout_graph(*DIAMOND)
    box = layout.boxes["c"]

    runs = [r for r in layout.row_runs(box.y + 1) if r.node == "c"]

    assert [(r.x, r.text) for r in runs] == [(box.x, "│ c ├")]


def test_a_long_label_is_cut_with_an_ellipsis_to_fit_the_widest_box() -> None:
    name = "org/" + "x" * 60
    layout = layout_graph([name], [])

    assert layout.boxes[name].w == 28
    assert layout.row_text(1) == "│ org/" + "x" * 19 + "… │"


def test_a_given_box_width_applies_to_every_box() -> None:
    layout = layout_graph(*DIAMOND, box_width=9, label=lambda n: f"repo {n} long")

    assert {box.w for box in layout.boxes.values()} == {9}
    assert "│ repo… │" in layout.row_text(layout.boxes["a"].y + 1)


def test_a_box_width_too_narrow_for_a_label_is_refused() -> None:
    with pytest.raises(ValueError, match="box_width must be at least 5"):
        layout_graph(*DIAMOND, box_width=4)


def test_wide_characters_count_as_two_cells() -> None:
    layout = layout_graph(["倉庫"], [])

    assert layout.boxes["倉庫"].w == 8
    assert layout.row_text(1) == "│ 倉庫 │"


def test_a_cycle_is_refused_with_its_path() -> None:
    with pytest.raises(ValueError, match="dependency cycle: a -> b -> c -> a"):
        layout_graph(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")])


def test_a_self_edge_is_refused_as_a_cycle() -> None:
    with pytest.raises(ValueError, match="dependency cycle: a -> a"):
        layout_graph(["a"], [("a", "a")])


def test_an_edge_naming_an_unknown_node_is_refused() -> None:
    with pytest.raises(ValueError, match="edge names a node not in the graph: ghost"):
        layout_graph(["a"], [("a", "ghost")])


def test_a_duplicate_node_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate node in graph: a"):
        layout_graph(["a", "a"], [])


def test_a_repeated_edge_is_drawn_once() -> None:
    layout = layout_graph(["a", "b"], [("a", "b"), ("a", "b")])

    assert list(layout.edges) == [("a", "b")]
    assert layout.text() == "┌───┐   ┌───┐\n│ a ├──▶│ b │\n└───┘   └───┘"


def test_an_empty_graph_has_an_empty_canvas() -> None:
    layout = layout_graph([], [])

    assert (layout.width, layout.height, layout.boxes, layout.layers) == (0, 0, {}, [])


def test_right_goes_to_the_nearest_box_of_the_next_layer() -> None:
    layout = layout_graph(*DIAMOND)

    assert layout.neighbour("a", "right") == "b"
    assert layout.neighbour("c", "right") == "d"
    assert layout.neighbour("d", "left") == "b"


def test_up_and_down_step_through_a_layer() -> None:
    layout = layout_graph(*DIAMOND)

    assert layout.neighbour("b", "down") == "c"
    assert layout.neighbour("c", "up") == "b"
    assert layout.neighbour("c", "down") is None
    assert layout.neighbour("a", "left") is None


def test_top_down_swaps_the_navigation_axes() -> None:
    layout = layout_graph(*DIAMOND, direction="TB")

    assert layout.neighbour("a", "down") == "b"
    assert layout.neighbour("b", "right") == "c"
    assert layout.neighbour("c", "down") == "d"
    assert layout.neighbour("a", "right") is None


def test_box_at_finds_the_box_under_a_cell() -> None:
    layout = layout_graph(*DIAMOND)
    box = layout.boxes["c"]

    assert layout.box_at(box.x + 2, box.y + 1) == "c"
    assert layout.box_at(box.x - 1, box.y + 1) is None


def test_a_2000_repo_graph_is_laid_out_completely() -> None:
    nodes, edges = random_dag(2000, seed=8)

    layout = layout_graph(nodes, edges)

    assert set(layout.boxes) == set(nodes)
    assert sorted(n for layer in layout.layers for n in layer) == sorted(nodes)
    assert all(layout.boxes[a].layer < layout.boxes[b].layer for a, b in edges)
    for layer in layout.layers:
        boxes = [layout.boxes[n] for n in layer]
        assert all(a.y + a.h <= b.y for a, b in pairwise(boxes))
    assert all(b.y >= 0 and b.y + b.h <= layout.height for b in layout.boxes.values())
    assert len(layout.edges) == len(set(edges))


@settings(max_examples=100, deadline=None)
@given(graph=dags(), direction=st.sampled_from(["LR", "TB"]))
def test_no_two_boxes_ever_overlap(graph: Graph, direction: str) -> None:
    layout = layout_graph(*graph, direction=direction)  # type: ignore[arg-type]

    assert_no_boxes_overlap(layout)
    assert all(
        b.x >= 0 and b.y >= 0 and b.x + b.w <= layout.width and b.y + b.h <= layout.height
        for b in layout.boxes.values()
    )


@settings(max_examples=100, deadline=None)
@given(graph=dags(), direction=st.sampled_from(["LR", "TB"]))
def test_every_route_joins_its_two_boxes(graph: Graph, direction: str) -> None:
    assert_routes_join_their_boxes(layout_graph(*graph, direction=direction))  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(graph=dags(), direction=st.sampled_from(["LR", "TB"]))
def test_routes_run_only_over_line_cells_of_their_source(graph: Graph, direction: str) -> None:
    layout = layout_graph(*graph, direction=direction)  # type: ignore[arg-type]

    for (source, _), route in layout.edges.items():
        for x, y in list(cells(route))[1:]:
            run = next(r for r in layout.row_runs(y) if r.x <= x < r.end)
            assert (run.node, source in run.sources) == (None, True)
