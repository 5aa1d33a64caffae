"""Layered (Sugiyama-style) layout of the release dependency graph, drawn with box-drawing text.

Pure Python and deterministic. Steps: longest-path layers; long edges cut into "lanes" (one
per source and crossed layer: all long edges of a source share its lane, like a bus);
barycenter sweeps against crossings; positions along each layer by isotonic regression towards
the median of the neighbours (mostly straight edges, never overlapping); in each channel between
two layers, one vertical track per source picked by the constrained left-edge algorithm.

The canvas stays sparse (box texts, line segments and arrowheads indexed by row) and a row's
text runs are built the first time they are asked for, so a view that shows 60 rows of a
2,000-repo graph never pays for the other few thousand.
"""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from tui.gc_pause import gc_paused

Direction = Literal["LR", "TB"]
Move = Literal["left", "right", "up", "down"]
# (x0, y0, x1, y1): an axis-aligned stretch of cells, both ends included.
Segment = tuple[int, int, int, int]

MAX_BOX_WIDTH = 28
MIN_BOX_WIDTH = 5  # two borders, two padding cells, one label cell
BOX_HEIGHT = 3
_SWEEPS = 4
# Boxes resist being moved off their ideal place more than lanes do: a straight edge into a
# box matters more than a straight lane.
_BOX_WEIGHT = 4.0
_VLINE_BLOCK = 32  # rows per bucket of the vertical-line index

_N, _E, _S, _W = 1, 2, 4, 8
_JUNCTIONS = {
    _N: "│",
    _S: "│",
    _N | _S: "│",
    _E: "─",
    _W: "─",
    _E | _W: "─",
    _S | _E: "┌",
    _S | _W: "┐",
    _N | _E: "└",
    _N | _W: "┘",
    _N | _S | _E: "├",
    _N | _S | _W: "┤",
    _E | _W | _S: "┬",
    _E | _W | _N: "┴",
    _N | _E | _S | _W: "┼",
}


@dataclass(frozen=True, slots=True)
class Box:
    """Where a node's box sits on the canvas; `order` is its index within its layer."""

    x: int
    y: int
    w: int
    h: int
    layer: int
    order: int


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch `[x, end)` of one canvas row drawn by one thing.

    Box runs carry the `node` whose box they draw. Line runs (lines, junctions, arrowheads)
    carry the `sources` of the edges through them: all edges of a source share its lines, so a
    view can pick out the edges leaving a highlighted set of nodes cell by cell.
    """

    x: int
    end: int
    text: str
    node: str | None
    sources: tuple[str, ...]


def cell_width(text: str) -> int:
    """Terminal cells `text` takes; East Asian wide characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit_label(text: str, width: int) -> str:
    """`text` cut with "…" or padded with spaces to exactly `width` cells."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    used = cell_width(text)
    if used <= width:
        return text + " " * (width - used)
    kept: list[str] = []
    used = 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        kept.append(ch)
        used += w
    return "".join(kept) + "…" + " " * (width - 1 - used)


def layout_graph(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    direction: Direction = "LR",
    label: Callable[[str], str] = str,
    box_width: int | None = None,
) -> GraphLayout:
    """Lay out a DAG whose edges run (dependency, dependent), i.e. in release order.

    Raises ValueError for a duplicate node, an edge naming an unknown node, a cycle (with its
    path), or a `box_width` too narrow to hold a label.
    """
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', not {direction!r}")
    if box_width is not None and box_width < MIN_BOX_WIDTH:
        raise ValueError(f"box_width must be at least {MIN_BOX_WIDTH}, not {box_width}")
    # A layout makes several objects per cell and crossing of the graph, none of them in a
    # cycle; the collector walked them all the same: 12-18% of a 2,000-repo layout.
    with gc_paused():
        graph = _Graph(nodes, edges)
        items = _Items(graph)
        return GraphLayout(graph, items, _order_layers(items), direction, label, box_width)


class _Graph:
    """The input as integer adjacency lists, with every node's longest-path layer."""

    def __init__(self, nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> None:
        self.names = list(nodes)
        self.index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            if name in self.index:
                raise ValueError(f"duplicate node in graph: {name}")
            self.index[name] = i
        self.succ: list[list[int]] = [[] for _ in self.names]
        self.pred: list[list[int]] = [[] for _ in self.names]
        seen: set[tuple[int, int]] = set()
        for src, dst in edges:
            pair = (self._id(src), self._id(dst))
            if pair not in seen:
                seen.add(pair)
                self.succ[pair[0]].append(pair[1])
                self.pred[pair[1]].append(pair[0])
        self.layer = self._longest_path_layers()

    def _id(self, name: str) -> int:
        try:
            return self.index[name]
        except KeyError:
            raise ValueError(f"edge names a node not in the graph: {name}") from None

    def _longest_path_layers(self) -> list[int]:
        layer = [0] * len(self.names)
        missing = [len(p) for p in self.pred]
        ready = [v for v, count in enumerate(missing) if count == 0]
        done = 0
        while ready:
            u = ready.pop()
            done += 1
            for v in self.succ[u]:
                layer[v] = max(layer[v], layer[u] + 1)
                missing[v] -= 1
                if missing[v] == 0:
                    ready.append(v)
        if done < len(self.names):
            raise ValueError(f"dependency cycle: {' -> '.join(self._a_cycle(missing))}")
        return layer

    def _a_cycle(self, missing: list[int]) -> list[str]:
        # A node still missing predecessors has an unfinished predecessor; walking those back
        # must revisit a node, closing a cycle.
        path = [min(v for v, count in enumerate(missing) if count > 0)]
        at = {path[0]: 0}
        while True:
            nxt = min(u for u in self.pred[path[-1]] if missing[u] > 0)
            if nxt in at:
                cycle = [self.names[v] for v in reversed(path[at[nxt] :])]
                first = cycle.index(min(cycle))
                cycle = cycle[first:] + cycle[:first]
                return [*cycle, cycle[0]]
            at[nxt] = len(path)
            path.append(nxt)


class _Items:
    """Real nodes plus lanes: everything that takes a slot in a layer.

    Item ids 0..n-1 are the real nodes, higher ids lanes. `up` and `down` link items of
    adjacent layers only; `name` (a lane's is its source's) breaks ordering ties.
    """

    def __init__(self, graph: _Graph) -> None:
        n = len(graph.names)
        layer = graph.layer
        self.real_count = n
        self.owner = list(range(n))
        self.layer = list(layer)
        self.up: list[list[int]] = [[] for _ in range(n)]
        self.down: list[list[int]] = [[] for _ in range(n)]
        # lanes[u][i] is u's lane in layer layer[u] + 1 + i
        self.lanes: list[list[int]] = [[] for _ in range(n)]
        for u, targets in enumerate(graph.succ):
            if not targets:
                continue
            first = layer[u] + 1
            hop_from = u
            for k in range(first, max(layer[v] for v in targets)):
                lane = len(self.owner)
                self.owner.append(u)
                self.layer.append(k)
                self.up.append([hop_from])
                self.down.append([])
                self.down[hop_from].append(lane)
                self.lanes[u].append(lane)
                hop_from = lane
            for v in targets:
                src = u if layer[v] == first else self.lanes[u][layer[v] - first - 1]
                self.down[src].append(v)
                self.up[v].append(src)
        self.name = [graph.names[o] for o in self.owner]
        self.by_layer: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
        for item, k in enumerate(self.layer):
            self.by_layer[k].append(item)


def _order_layers(items: _Items) -> list[list[int]]:
    """Barycenter sweeps down and up; keeps the ordering with the fewest crossings."""
    name = items.name
    orders = [sorted(layer, key=lambda i: (name[i], i)) for layer in items.by_layer]
    pos = [0] * len(name)
    for order in orders:
        for p, item in enumerate(order):
            pos[item] = p
    best: tuple[int, list[list[int]]] | None = None
    for _ in range(_SWEEPS):
        for k in range(1, len(orders)):
            _sort_by_barycenter(orders[k], items.up, pos, len(orders[k - 1]), name)
        for k in range(len(orders) - 2, -1, -1):
            _sort_by_barycenter(orders[k], items.down, pos, len(orders[k + 1]), name)
        crossings = _crossings(orders, items.down, pos)
        if best is None or crossings < best[0]:
            best = (crossings, [list(o) for o in orders])
        if crossings == 0:
            break
    return orders if best is None else best[1]


def _sort_by_barycenter(
    order: list[int], adjacent: list[list[int]], pos: list[int], other_size: int, name: list[str]
) -> None:
    # An item without neighbours on the reference side keeps its relative place, scaled to
    # the other layer's size so that it compares with the barycenters around it.
    scale = other_size / len(order)
    keyed = []
    for item in order:
        nbrs = adjacent[item]
        bary = sum([pos[nb] for nb in nbrs]) / len(nbrs) if nbrs else pos[item] * scale
        keyed.append((bary, name[item], item))
    keyed.sort()
    for p, (_, _, item) in enumerate(keyed):
        order[p] = item
        pos[item] = p


def _crossings(orders: list[list[int]], down: list[list[int]], pos: list[int]) -> int:
    """Edge crossings between every pair of adjacent layers, counted as inversions."""
    total = 0
    for order in orders[:-1]:
        ends: list[int] = []  # where the edges seen so far end in the next layer, sorted
        for item in order:
            targets = sorted([pos[t] for t in down[item]])
            seen = len(ends)
            # an edge seen earlier crosses this one when it ends further along
            for t in targets:
                total += seen - bisect_right(ends, t)
            for t in targets:
                insort(ends, t)
    return total


def _place(
    orders: list[list[int]],
    items: _Items,
    sizes: list[int],
    offsets: list[int],
    box_gap: int,
) -> list[int]:
    """Centre of every item across its layer (y in LR), the smallest top being 0.

    Each layer is an isotonic regression: centres as close as possible (least squares) to the
    median of the neighbours' centres while keeping the order and the gaps. A pass down aligns
    children with parents, a pass up pulls parents towards their children and a last pass down
    straightens what the pass up bent.
    """
    real = items.real_count
    centre = [0] * len(sizes)
    packed: list[list[int]] = []  # each layer's tops when packed from 0: the minimal spacing
    for order in orders:
        tops: list[int] = []
        at = 0
        for i, item in enumerate(order):
            if i:
                at += _gap(order[i - 1] < real, item < real, box_gap)
            tops.append(at)
            at += sizes[item]
        packed.append(tops)
        for item, top in zip(order, tops, strict=True):
            centre[item] = top + offsets[item]
    last = len(orders) - 1
    passes = [
        (range(1, last + 1), items.up),
        (range(last - 1, -1, -1), items.down),
        (range(1, last + 1), items.up),
    ]
    for layers, adjacent in passes:
        for k in layers:
            order, tops = orders[k], packed[k]
            # as shifts from the packed tops, "keep the order and the gaps" is "never decrease"
            wanted = [
                (_median([centre[n] for n in adjacent[item]]) if adjacent[item] else centre[item])
                - offsets[item]
                - top
                for item, top in zip(order, tops, strict=True)
            ]
            weights = [_BOX_WEIGHT if item < real else 1.0 for item in order]
            shifts = _isotonic(wanted, weights)
            for item, top, shift in zip(order, tops, shifts, strict=True):
                centre[item] = top + math.floor(shift + 0.5) + offsets[item]
    lowest = min((centre[i] - offsets[i] for i in range(len(sizes))), default=0)
    return [c - lowest for c in centre]


def _gap(prev_is_box: bool, is_box: bool, box_gap: int) -> int:
    # lanes pack tight (parallel lines read fine); anything next to a box keeps a blank
    if prev_is_box and is_box:
        return box_gap
    return 1 if prev_is_box or is_box else 0


def _median(values: list[int]) -> float:
    values.sort()
    mid = len(values) // 2
    if len(values) % 2:
        return values[mid]
    return (values[mid - 1] + values[mid]) / 2


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence nearest `values` in weighted least squares.

    Pool adjacent violators, O(n): each block is (mean, total weight, item count).
    """
    blocks: list[tuple[float, float, int]] = []
    for value, weight in zip(values, weights, strict=True):
        mean, total, count = value, weight, 1
        while blocks and blocks[-1][0] > mean:
            prev_mean, prev_total, prev_count = blocks.pop()
            mean = (prev_mean * prev_total + mean * total) / (prev_total + total)
            total += prev_total
            count += prev_count
        blocks.append((mean, total, count))
    fitted: list[float] = []
    for mean, _, count in blocks:
        fitted.extend([mean] * count)
    return fitted


class _Channel:
    """The edges between two adjacent layers: one bus per source item, on a track or straight.

    A bus runs out of its source, along its track (a column in LR) and into each target. A bus
    whose source and only target face each other is straight and needs no track.
    """

    def __init__(self, sources: list[int], down: list[list[int]], centre: list[int]) -> None:
        self.track: dict[int, int] = {}  # source item -> track index, absent when straight
        source_at = {centre[item]: item for item in sources}
        buses: list[tuple[int, int, int]] = []  # (low, high, item) across the layer
        # A source's stub crosses the tracks before its own; if another bus ended at the
        # source's row on one of those, the two lines would join and draw an edge that is not
        # there. So a source's bus goes before every bus that ends at its row.
        before: dict[int, list[int]] = {}
        waiting: dict[int, int] = {}
        for item in sources:
            row = centre[item]
            rows = [centre[t] for t in down[item]]
            low, high = min(row, *rows), max(row, *rows)
            if low == high:
                continue
            buses.append((low, high, item))
            for r in rows:
                other = source_at.get(r, item)
                if other != item:
                    before.setdefault(other, []).append(item)
                    waiting[item] = waiting.get(item, 0) + 1
        self.tracks = self._assign(buses, before, waiting)

    def _assign(
        self,
        buses: list[tuple[int, int, int]],
        before: dict[int, list[int]],
        waiting: dict[int, int],
    ) -> int:
        """Constrained left-edge algorithm; returns the number of tracks used.

        Fills one track at a time from the sources' side, each time taking the ready bus that
        starts first after the last one placed on the track ends.
        """
        by_item = {bus[2]: bus for bus in buses}
        for item in list(before):
            if item not in by_item:  # a straight bus takes no track, so it comes before all
                for other in before.pop(item):
                    waiting[other] -= 1
        ready = sorted(bus for bus in buses if waiting.get(bus[2], 0) == 0)
        unplaced = len(buses)
        track = 0
        while unplaced:
            if not ready:
                # the constraints left form a cycle: drop one bus's to break it
                stuck = min(b for b in buses if b[2] not in self.track and waiting[b[2]] > 0)
                waiting[stuck[2]] = 0
                ready.append(stuck)
            placed: list[int] = []
            end = -1
            while (i := bisect_left(ready, end + 1, key=lambda bus: bus[0])) < len(ready):
                _, end, item = ready.pop(i)
                self.track[item] = track
                placed.append(item)
            unplaced -= len(placed)
            for item in placed:
                for other in before.get(item, ()):
                    if waiting[other] > 0:
                        waiting[other] -= 1
                        if waiting[other] == 0:
                            ready.append(by_item[other])
            ready.sort()
            track += 1
        return track


class _Canvas:
    """A sparse character canvas: box texts, lines and arrowheads, indexed by row.

    Lines stay segments until a row is built: then each cell gets the N/E/S/W directions of
    the lines through it, so crossings and merges come out as the right junction. Built rows
    are cached.
    """

    def __init__(self) -> None:
        self._texts: dict[int, list[tuple[int, int, str, str]]] = {}  # y: (x, end, text, node)
        self._hlines: dict[int, list[tuple[int, int, str]]] = {}  # y: (x0, x1, owner)
        self._vlines: dict[int, list[tuple[int, int, int, str]]] = {}  # block: (x, y0, y1, owner)
        self._arrows: dict[int, dict[int, tuple[str, list[str]]]] = {}  # y: x: (char, owners)
        self._rows: dict[int, tuple[Run, ...]] = {}

    def text(self, x: int, y: int, text: str, width: int, node: str) -> None:
        self._texts.setdefault(y, []).append((x, x + width, text, node))

    def hline(self, y: int, x0: int, x1: int, owner: str) -> None:
        """A horizontal line on row y from x0 to x1 (x0 <= x1)."""
        self._hlines.setdefault(y, []).append((x0, x1, owner))

    def vline(self, x: int, y0: int, y1: int, owner: str) -> None:
        """A vertical line in column x from y0 to y1 (y0 <= y1)."""
        for block in range(y0 // _VLINE_BLOCK, y1 // _VLINE_BLOCK + 1):
            self._vlines.setdefault(block, []).append((x, y0, y1, owner))

    def arrow(self, x: int, y: int, char: str, owner: str) -> None:
        _, owners = self._arrows.setdefault(y, {}).setdefault(x, (char, []))
        if owner not in owners:
            owners.append(owner)

    def node_at(self, x: int, y: int) -> str | None:
        for start, end, _, node in self._texts.get(y, ()):
            if start <= x < end:
                return node
        return None

    def runs(self, y: int) -> tuple[Run, ...]:
        cached = self._rows.get(y)
        if cached is None:
            cached = self._rows[y] = self._build(y)
        return cached

    def _build(self, y: int) -> tuple[Run, ...]:
        masks: dict[int, int] = {}
        owners: dict[int, tuple[str, ...]] = {}

        def mark(x: int, bits: int, owner: str) -> None:
            masks[x] = masks.get(x, 0) | bits
            have = owners.get(x)
            if have is None:
                owners[x] = (owner,)
            elif owner not in have:
                owners[x] = tuple(sorted((*have, owner)))

        for x0, x1, owner in self._hlines.get(y, ()):
            mark(x0, _E, owner)
            for x in range(x0 + 1, x1):
                mark(x, _E | _W, owner)
            mark(x1, _W, owner)
        for x, top, bottom, owner in self._vlines.get(y // _VLINE_BLOCK, ()):
            if top <= y <= bottom:
                mark(x, (_N if y > top else 0) | (_S if y < bottom else 0), owner)
        chars = {x: _JUNCTIONS[bits] for x, bits in masks.items()}
        for x, (char, arrow_owners) in self._arrows.get(y, {}).items():
            chars[x] = char
            owners[x] = tuple(sorted(arrow_owners))
        runs: list[Run] = []
        for start, end, text, node in self._texts.get(y, ()):
            runs.append(Run(start, end, text, node, ()))
            for x in range(start, end):
                chars.pop(x, None)  # a line ending on a box border leaves the border as drawn
        # adjacent line cells with the same owners make one run
        cells = sorted(chars)
        i = 0
        while i < len(cells):
            start, same = cells[i], owners[cells[i]]
            j = i + 1
            while j < len(cells) and cells[j] == start + j - i and owners[cells[j]] == same:
                j += 1
            text = "".join([chars[x] for x in cells[i:j]])
            runs.append(Run(start, start + j - i, text, None, same))
            i = j
        runs.sort(key=lambda run: run.x)
        return tuple(runs)


class GraphLayout:
    """A laid-out graph: where the boxes are, how the edges run, and the canvas row by row.

    Geometry is worked out along the layer axis (x in LR, y in TB) and across it; `_xy` turns
    such a pair into canvas coordinates.
    """

    def __init__(
        self,
        graph: _Graph,
        items: _Items,
        orders: list[list[int]],
        direction: Direction,
        label: Callable[[str], str],
        box_width: int | None,
    ) -> None:
        self.direction: Direction = direction
        self._graph = graph
        self._items = items
        lr = direction == "LR"
        real = items.real_count
        real_orders = [[i for i in order if i < real] for order in orders]
        self.layers: list[list[str]] = [[graph.names[i] for i in o] for o in real_orders]
        labels = [label(name) for name in graph.names]
        widths = [
            box_width
            or min(MAX_BOX_WIDTH, max(MIN_BOX_WIDTH, *(cell_width(labels[i]) + 4 for i in layer)))
            for layer in real_orders
        ]
        # Across its layer a box takes 3 rows in LR and its width in TB; a lane one cell.
        sizes = [1] * len(items.owner)
        offsets = [0] * len(items.owner)
        for k, order in enumerate(orders):
            for item in order:
                if item < real:
                    sizes[item] = BOX_HEIGHT if lr else widths[k]
                    offsets[item] = BOX_HEIGHT // 2 if lr else widths[k] // 2
        self._centre = _place(orders, items, sizes, offsets, 1 if lr else 2)
        self._channels = [
            _Channel([i for i in orders[k] if items.down[i]], items.down, self._centre)
            for k in range(len(orders) - 1)
        ]
        # Along the layer axis: a band per layer (box width in LR, box height in TB) and between
        # bands a channel of [stub, tracks..., one blank before the arrow, arrowhead].
        self._band_start: list[int] = []
        self._band_end: list[int] = []
        along = 0
        for k in range(len(orders)):
            band = widths[k] if lr else BOX_HEIGHT
            self._band_start.append(along)
            self._band_end.append(along + band - 1)
            along += band + (self._channels[k].tracks + 3 if k < len(self._channels) else 0)
        across = max(
            (self._centre[i] - offsets[i] + sizes[i] for i in range(len(sizes))), default=0
        )
        self.width, self.height = self._xy(along, across)
        self._canvas = _Canvas()
        self.boxes: dict[str, Box] = {}
        for k, layer in enumerate(real_orders):
            for rank, item in enumerate(layer):
                self._add_box(item, k, rank, widths[k], labels[item])
        self._draw_edges(orders)
        self._routes: dict[tuple[str, str], tuple[Segment, ...]] | None = None

    def _xy(self, along: int, across: int) -> tuple[int, int]:
        return (along, across) if self.direction == "LR" else (across, along)

    # -- drawing ---------------------------------------------------------------------------

    def _add_box(self, item: int, layer: int, order: int, w: int, label: str) -> None:
        node = self._graph.names[item]
        lr = self.direction == "LR"
        x, y = self._xy(self._band_start[layer], self._centre[item] - (1 if lr else w // 2))
        self.boxes[node] = Box(x, y, w, BOX_HEIGHT, layer, order)
        exits = bool(self._items.down[item])
        fitted = fit_label(label, w - 4)
        top = "┌" + "─" * (w - 2) + "┐"
        if lr:
            mid = "│ " + fitted + (" ├" if exits else " │")
            bottom = "└" + "─" * (w - 2) + "┘"
        else:
            # centred, as the edges leave and enter at the middle of the box
            fitted = fitted.rstrip()
            pad = w - 4 - cell_width(fitted)
            mid = "│ " + " " * (pad // 2) + fitted + " " * (pad - pad // 2) + " │"
            left = w // 2 - 1
            bottom = "└" + "─" * left + ("┬" if exits else "─") + "─" * (w - 3 - left) + "┘"
        for dy, text in enumerate((top, mid, bottom)):
            self._canvas.text(x, y + dy, text, w, node)

    def _draw_edges(self, orders: list[list[int]]) -> None:
        items = self._items
        real = items.real_count
        centre = self._centre
        lr = self.direction == "LR"
        arrow = "▶" if lr else "▼"
        # (where across, from, to along the layer axis, owner), and the same the other way
        along = self._canvas.hline if lr else self._canvas.vline
        across = self._canvas.vline if lr else self._canvas.hline
        for k, order in enumerate(orders):
            for item in order:
                if item >= real:
                    along(centre[item], self._band_start[k], self._band_end[k], items.name[item])
        for k, channel in enumerate(self._channels):
            exit_at, entry_at = self._band_end[k], self._band_start[k + 1]
            for item in orders[k]:
                targets = items.down[item]
                if not targets:
                    continue
                owner = items.name[item]
                row = centre[item]
                track = channel.track.get(item)
                if track is None:
                    along(row, exit_at, entry_at, owner)
                else:
                    at = exit_at + 2 + track
                    rows = [centre[t] for t in targets]
                    along(row, exit_at, at, owner)
                    across(at, min(row, *rows), max(row, *rows), owner)
                    for r in rows:
                        along(r, at, entry_at, owner)
                for t in targets:
                    if t < real:
                        self._canvas.arrow(*self._xy(entry_at - 1, centre[t]), arrow, owner)

    # -- reading the canvas ----------------------------------------------------------------

    def row_runs(self, y: int) -> tuple[Run, ...]:
        """The runs drawn on row `y`, left to right; the cells between runs are blank."""
        return self._canvas.runs(y)

    def row_text(self, y: int) -> str:
        """Row `y` as plain text, `width` cells wide."""
        parts: list[str] = []
        at = 0
        for run in self.row_runs(y):
            parts.append(" " * (run.x - at))
            parts.append(run.text)
            at = run.end
        parts.append(" " * (self.width - at))
        return "".join(parts)

    def text(self) -> str:
        """The whole canvas, without the trailing blanks of each row."""
        return "\n".join(self.row_text(y).rstrip() for y in range(self.height))

    def box_at(self, x: int, y: int) -> str | None:
        """The node whose box covers cell (x, y), if any."""
        return self._canvas.node_at(x, y)

    # -- edges -----------------------------------------------------------------------------

    @property
    def edges(self) -> dict[tuple[str, str], tuple[Segment, ...]]:
        """Every edge's route (see `route`), built on first use."""
        if self._routes is None:
            names, succ = self._graph.names, self._graph.succ
            self._routes = {
                (names[u], names[v]): self._route(u, v) for u in range(len(names)) for v in succ[u]
            }
        return self._routes

    def route(self, source: str, target: str) -> tuple[Segment, ...]:
        """The segments of one edge, end to end, from the cell of the source box's border
        where it leaves to the arrowhead cell before the target box. KeyError if no such edge.
        """
        graph = self._graph
        u, v = graph.index[source], graph.index[target]
        if v not in graph.succ[u]:
            raise KeyError(f"no edge {source} -> {target}")
        return self._route(u, v)

    def _route(self, u: int, v: int) -> tuple[Segment, ...]:
        items, centre = self._items, self._centre
        first = self._graph.layer[u]
        hops = [u, *items.lanes[u][: self._graph.layer[v] - first - 1], v]
        route: list[Segment] = []

        def add(along0: int, across0: int, along1: int, across1: int) -> None:
            route.append((*self._xy(along0, across0), *self._xy(along1, across1)))

        for i, (a, b) in enumerate(pairwise(hops)):
            k = first + i
            if i:
                add(self._band_start[k], centre[a], self._band_end[k], centre[a])
            exit_at = self._band_end[k]
            # a hop into a lane joins the lane's line; into a box it stops at the arrowhead
            entry_at = self._band_start[k + 1] - (1 if b < items.real_count else 0)
            track = self._channels[k].track.get(a)
            if track is None:
                add(exit_at, centre[a], entry_at, centre[b])
                continue
            at = exit_at + 2 + track
            add(exit_at, centre[a], at, centre[a])
            if centre[a] != centre[b]:
                add(at, centre[a], at, centre[b])
            add(at, centre[b], entry_at, centre[b])
        return tuple(route)

    # -- navigation ------------------------------------------------------------------------

    def neighbour(self, node: str, move: Move) -> str | None:
        """The box next to `node` in direction `move`, or None at the edge of the layout.

        Across layers (left/right in LR, up/down in TB) it is the box of the adjacent layer
        whose centre is nearest; along a layer it is the previous or next box.
        """
        box = self.boxes[node]
        forward = move in ("right", "down")
        if move in (("left", "right") if self.direction == "LR" else ("up", "down")):
            k = box.layer + (1 if forward else -1)
            if not 0 <= k < len(self.layers):
                return None
            return self._nearest(self.layers[k], self._across(node))
        layer = self.layers[box.layer]
        i = box.order + (1 if forward else -1)
        return layer[i] if 0 <= i < len(layer) else None

    def _across(self, node: str) -> int:
        return self._centre[self._graph.index[node]]

    def _nearest(self, layer: list[str], at: int) -> str:
        # centres grow along a layer, so the nearest is on either side of the insertion point
        centres = [self._across(n) for n in layer]
        i = bisect_left(centres, at)
        if i == len(layer) or (i > 0 and at - centres[i - 1] <= centres[i] - at):
            return layer[i - 1]
        return layer[i]
