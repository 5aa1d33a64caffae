"""Release-graph benchmark: our layered layout and GraphView's first frame vs grandalf.

Prints one JSON object, e.g. {"graph_layout_500": {"value": 0.03, "unit": "s", "peer": 0.95,
"ratio": 31.7}, ...}: `value` is our median in seconds, `peer` grandalf 0.8's SugiyamaLayout
(init_all + draw, per connected component) on the same graph, `ratio` = peer / value. When
grandalf runs past its time limit, `peer` is "> N s" and `ratio` a lower bound "> R".

graph_layout_N      layout_graph() alone.
graph_first_frame_N GraphView in a headless app (200x60): set_graph() until the end of the
                    first frame showing the graph (composed and turned into terminal bytes).
                    grandalf draws nothing, so its layout time is the peer here too (a lower
                    bound of its first frame). Also "netext" and "netext_ratio": netext 0.5's
                    GraphView widget, mounted with the same graph in the same headless app,
                    to the end of its first frame (it lays out, routes and renders on mount);
                    bounds as for grandalf, and not run on graphs bigger than one it did not
                    finish.

Graphs are deterministic random layered DAGs shaped like dependency graphs: a few root repos,
every other repo in a random later layer depending on 1-5 repos of earlier layers
(bench/generate.py make_graph; `python bench/generate.py graph` writes them as aivcs JSON).

Usage: python bench/bench_graph.py [--quick]. bench/run.py, the one benchmark command, times
the first frame of these graphs with its other measures.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# First: importing the dashboard's package sets Textual's frame rate as the app runs it, for
# our GraphView and netext's alike (run here or as a process of its own), and Textual reads
# it when it is first imported. bench/run.py imported bench_table first, which did the same.
import tui  # noqa: F401, I001
from rich.console import RenderableType
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

from bench.frames import frame_finished
from bench.generate import Graph, make_graph
from tui.widgets.graph_layout import layout_graph
from tui.widgets.graph_view import GraphView

SIZES = (50, 500, 2000)
SCREEN = (200, 60)


def time_layout(graph: Graph, repeats: int) -> float:
    nodes, edges = graph
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        layout_graph(nodes, edges)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _BenchApp(App[None]):
    """Notes when the first frame showing the graph has been composed and turned into bytes.

    As in bench_table.py, a frame ends with `App._display` (bench/frames.py). It counts only
    once GraphView rendered lines for it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.graph_rendered = False
        self.frame_at: float | None = None

    def compose(self) -> ComposeResult:
        yield _TimedGraphView()

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if frame_finished(self, renderable) and self.graph_rendered and self.frame_at is None:
            self.frame_at = time.perf_counter()


class _TimedGraphView(GraphView):
    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        app = self.app
        if isinstance(app, _BenchApp) and app.armed:
            app.graph_rendered = True
        return lines


async def _first_frames(graph: Graph, repeats: int) -> list[float]:
    nodes, edges = graph
    times = []
    for _ in range(repeats):
        app = _BenchApp()
        async with app.run_test(size=SCREEN) as pilot:
            view = app.query_one(_TimedGraphView)
            await pilot.pause()
            app.armed = True
            start = time.perf_counter()
            view.set_graph(nodes, edges)
            while app.frame_at is None:
                await pilot.pause()
            times.append(app.frame_at - start)
    return times


def time_first_frame(graph: Graph, repeats: int) -> float:
    return statistics.median(asyncio.run(_first_frames(graph, repeats)))


def _grandalf_layout(size: int) -> float:
    """One grandalf SugiyamaLayout of make_graph(size), in seconds (run in a subprocess)."""
    from grandalf.graphs import Edge, Graph, Vertex  # type: ignore[import-untyped]
    from grandalf.layouts import SugiyamaLayout  # type: ignore[import-untyped]

    class View:
        def __init__(self, w: int, h: int) -> None:
            self.w, self.h = w, h
            self.xy = (0.0, 0.0)

    nodes, edges = make_graph(size)
    start = time.perf_counter()
    vertices = {name: Vertex(name) for name in nodes}
    for name, vertex in vertices.items():
        vertex.view = View(len(name) + 4, 3)
    graph = Graph(list(vertices.values()), [Edge(vertices[a], vertices[b]) for a, b in edges])
    for component in graph.C:
        layout = SugiyamaLayout(component)
        layout.init_all()
        layout.draw()
    return time.perf_counter() - start


def time_grandalf(size: int, repeats: int, limit: float) -> float | None:
    """Median grandalf time, or None when a run exceeds `limit` seconds."""
    return _median_of_runs("--grandalf", size, repeats, limit)


def _median_of_runs(peer: str, size: int, repeats: int, limit: float) -> float | None:
    """A peer's median over `repeats` runs of this script, each a process of its own that is
    killed after `limit` seconds (then None)."""
    times = []
    for _ in range(repeats):
        try:
            done = subprocess.run(
                [sys.executable, __file__, peer, str(size)],
                capture_output=True,
                text=True,
                timeout=limit,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return None
        times.append(float(done.stdout))
    return statistics.median(times)


async def _netext_first_frame(graph: Graph) -> float:
    """Mounting netext's GraphView with `graph` until the end of the first frame showing it."""
    from netext.textual_widget.widget import GraphView as NetextView

    class TimedNetextView(NetextView):
        def render_line(self, y: int) -> Strip:
            line = super().render_line(y)
            app = self.app
            if isinstance(app, _BenchApp) and app.armed:
                app.graph_rendered = True
            return line

    class NetextApp(_BenchApp):
        def compose(self) -> ComposeResult:
            return []

    nodes, edges = graph
    app = NetextApp()
    async with app.run_test(size=SCREEN) as pilot:
        await pilot.pause()
        app.armed = True
        start = time.perf_counter()
        # netext lays the graph out, routes its edges and renders it when the view mounts.
        await app.mount(TimedNetextView({name: {} for name in nodes}, edges))
        while app.frame_at is None:
            await pilot.pause()
        return app.frame_at - start


def time_netext(size: int, repeats: int, limit: float) -> float | None:
    """Median first frame of netext's GraphView, or None when a run exceeds `limit` seconds."""
    return _median_of_runs("--netext", size, repeats, limit)


def peer_entry(value: float, peer: float | None, limit: float) -> dict[str, Any]:
    """Our value against a peer's; a peer of None (past `limit`) gives bounds, "> N s"."""
    if peer is None:
        return {
            "value": round(value, 4),
            "unit": "s",
            "peer": f"> {limit:g} s",
            "ratio": f"> {limit / value:.0f}",
        }
    return {
        "value": round(value, 4),
        "unit": "s",
        "peer": round(peer, 4),
        "ratio": round(peer / value, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    repeats = 3 if quick else 7
    frame_repeats = 3 if quick else 5
    limit = 20.0 if quick else 120.0
    results: dict[str, Any] = {}
    netext_finished = True
    for size in SIZES:
        graph = make_graph(size)
        layout = time_layout(graph, repeats)
        frame = time_first_frame(graph, frame_repeats)
        peer_repeats = 1 if quick or size >= 2000 else 3
        peer = time_grandalf(size, peer_repeats, limit)
        results[f"graph_layout_{size}"] = peer_entry(layout, peer, limit)
        results[f"graph_first_frame_{size}"] = peer_entry(frame, peer, limit)
        if netext_finished:
            widget_peer = time_netext(size, peer_repeats, limit)
            netext_finished = widget_peer is not None
            netext = peer_entry(frame, widget_peer, limit)
            results[f"graph_first_frame_{size}"].update(
                netext=netext["peer"], netext_ratio=netext["ratio"]
            )
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--grandalf":
        print(_grandalf_layout(int(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "--netext":
        print(asyncio.run(_netext_first_frame(make_graph(int(sys.argv[2])))))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv[1:])))
