"""Benchmark FastTable against Textual's stock DataTable on the same rows, headless.

Prints one JSON object: time from app start to the first frame showing the rows, cursor
key-to-frame latency (p50/p95) and filter keystroke-to-frame latency (p95).

How a frame is timed: `App._display` is what `Screen._compositor_refresh` calls right after
`Compositor.render_update` has composed the update, so the end of `_display` is the end of a
frame. The headless driver skips turning the update into terminal bytes, which a real
terminal pays for, so `BenchApp._display` does that work too (bench/frames.py) before the
timestamp. A frame counts as "the" frame for an action only once the table has re-rendered
(its `render_lines` ran) with the awaited state in place; latency runs from the key event
being handed to the app's driver (as `Pilot.press` does) to the end of that frame. Between
keys the app is left to go idle, so each sample is one keystroke's own latency.

Run: `python bench/bench_table.py [--quick]` from the repository root. bench/run.py, the one
benchmark command, reuses these functions for its cursor and filter measures at 100,000 rows.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# First: importing the dashboard's package sets Textual's frame rate as the app runs it,
# for both tables measured here, and Textual reads it when it is first imported.
import tui  # noqa: F401, I001
from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, Input

from bench.frames import frame_finished
from tui.widgets.fast_table import Column, FastTable

SCREEN_SIZE = (120, 40)
DATATABLE_CAP_S = 30.0
FRAME_TIMEOUT_S = 120.0
CURSOR_KEYS = 120
# Typed, then partly deleted and retyped: deletions widen the filter (the non-incremental path).
FILTER_KEYS = [*"deploy api", "backspace", "backspace", "backspace", *"cache", *" bo"]


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    owner: str
    repo: str
    state: str
    size: int


# A vocabulary reads best as one string of words.
WORDS = (  # noqa: SIM905
    "deploy api cache auth db migrate index ui theme fix flaky test retry queue worker "
    "billing invoice search ranking feed notify email sms gateway proxy tls cert rotate "
    "secret vault config flag rollout canary metrics alert dashboard log trace span schema "
    "column backfill cleanup refactor upgrade bump pin lockfile build ci cd"
).split()
OWNERS = [f"{name}{n}" for name in ("alice", "bob", "carol", "dave", "erin") for n in range(10)]
REPOS = [f"svc-{word}" for word in WORDS[:30]]
STATES = ("open", "review", "merged", "failed", "draft")


def make_changes(count: int, seed: int = 1) -> list[Change]:
    rng = random.Random(seed)
    return [
        Change(
            id=f"CH-{i:06d}",
            title=" ".join(rng.choices(WORDS, k=rng.randint(3, 7))),
            owner=rng.choice(OWNERS),
            repo=rng.choice(REPOS),
            state=rng.choice(STATES),
            size=rng.randint(1, 5000),
        )
        for i in range(count)
    ]


def state_cell(change: Change) -> Text:
    return Text(change.state, style="bold red" if change.state == "failed" else "")


COLUMNS: list[Column[Change]] = [
    Column("id", "ID", lambda c: c.id, width=9, sort_key=lambda c: c.id),
    Column("title", "Title", lambda c: c.title, ratio=3, sort_key=lambda c: c.title),
    Column("repo", "Repo", lambda c: c.repo, ratio=1, sort_key=lambda c: c.repo),
    Column("owner", "Owner", lambda c: c.owner, width=8, sort_key=lambda c: c.owner),
    Column("size", "Size", lambda c: str(c.size), width=6, align="right"),
    Column("state", "State", state_cell, width=7),
]


def haystack(change: Change) -> str:
    return f"{change.id} {change.title} {change.repo} {change.owner} {change.state}"


@dataclass
class FrameWait:
    """A frame we are waiting for: the table must have rendered with `reached()` true."""

    reached: Callable[[], bool]
    table_rendered: bool = False
    at: float | None = None


class BenchApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.wait: FrameWait | None = None

    def table_rendered(self) -> None:
        if self.wait is not None and self.wait.reached():
            self.wait.table_rendered = True

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if not frame_finished(self, renderable):
            return
        wait = self.wait
        if wait is not None and wait.at is None and wait.table_rendered:
            wait.at = time.perf_counter()

    def expect(self, reached: Callable[[], bool]) -> FrameWait:
        self.wait = FrameWait(reached)
        return self.wait


def report_render(app: App[Any]) -> None:
    assert isinstance(app, BenchApp)
    app.table_rendered()


class TimedFastTable(FastTable[Change]):
    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        report_render(self.app)
        return lines


class TimedDataTable(DataTable[Any]):
    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        report_render(self.app)
        return lines


class FastTableApp(BenchApp):
    def __init__(self, rows: Sequence[Change], with_filter: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.with_filter = with_filter

    def compose(self) -> ComposeResult:
        if self.with_filter:
            yield Input(id="filter")
        yield TimedFastTable(COLUMNS, row_key=lambda c: c.id, haystack=haystack)

    def on_mount(self) -> None:
        self.query_one(TimedFastTable).set_rows(self.rows)
        self.query_one("#filter" if self.with_filter else "TimedFastTable").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one(TimedFastTable).set_filter(event.value)


class DataTableApp(BenchApp):
    def __init__(self, rows: Sequence[Change]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield TimedDataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(TimedDataTable)
        table.add_columns(*(column.label for column in COLUMNS))
        # Turning rows into cells is part of what a DataTable-backed screen must do.
        table.add_rows([tuple(column.render(row) for column in COLUMNS) for row in self.rows])
        table.focus()


async def wait_for(wait: FrameWait, timeout: float = FRAME_TIMEOUT_S) -> float:
    deadline = time.perf_counter() + timeout
    while wait.at is None:
        if time.perf_counter() > deadline:
            raise TimeoutError("no frame showed the awaited state")
        await asyncio.sleep(0.0005)
    return wait.at


def send_key(app: App[Any], key: str) -> float:
    """Hand a key event to the app the way Pilot.press does; returns the send time."""
    character = " " if key == "space" else key if len(key) == 1 else None
    event = events.Key(key, character)
    event.set_sender(app)
    assert app._driver is not None
    started = time.perf_counter()
    app._driver.send_message(event)
    return started


async def first_frame_fast_table(rows: Sequence[Change]) -> float:
    app = FastTableApp(rows)
    wait = app.expect(lambda: app.query_one(TimedFastTable).row_count == len(rows))
    started = time.perf_counter()
    async with app.run_test(size=SCREEN_SIZE):
        return await wait_for(wait) - started


async def first_frame_data_table(rows: Sequence[Change]) -> float:
    app = DataTableApp(rows)

    def shows_rows() -> bool:
        table = app.query_one(TimedDataTable)
        # Rows are laid out on idle after add_rows; until then the table draws nothing.
        return table.row_count == len(rows) and not table._require_update_dimensions

    wait = app.expect(shows_rows)
    started = time.perf_counter()
    async with app.run_test(size=SCREEN_SIZE):
        return await wait_for(wait) - started


def cursor_reaches(table: FastTable[Any] | DataTable[Any], row: int) -> Callable[[], bool]:
    if isinstance(table, FastTable):
        return lambda: table.cursor_index == row
    return lambda: table.cursor_row == row


async def cursor_latencies_fast_table(rows: Sequence[Change]) -> list[float]:
    app = FastTableApp(rows)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(TimedFastTable)
        samples = []
        for _ in range(CURSOR_KEYS):
            wait = app.expect(cursor_reaches(table, table.cursor_index + 1))
            started = send_key(app, "down")
            samples.append(await wait_for(wait) - started)
            await pilot.pause()
        return samples


async def cursor_latencies_data_table(rows: Sequence[Change]) -> list[float]:
    app = DataTableApp(rows)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        table = app.query_one(TimedDataTable)
        while table._require_update_dimensions:
            await pilot.pause()
        await pilot.pause()
        samples = []
        for _ in range(CURSOR_KEYS):
            wait = app.expect(cursor_reaches(table, table.cursor_row + 1))
            started = send_key(app, "down")
            samples.append(await wait_for(wait) - started)
            await pilot.pause()
        return samples


async def filter_latencies(rows: Sequence[Change], settle: float | None) -> list[float]:
    """Keystroke-to-frame latency of typing into a filter Input above the table.

    `settle` is how long the app idles after its first frame before typing starts; None types
    at once, before the haystacks that are built between frames can be finished."""
    app = FastTableApp(rows, with_filter=True)
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        if settle is not None:
            await pilot.pause()
            await asyncio.sleep(settle)
        table = app.query_one(TimedFastTable)
        field = app.query_one(Input)
        typed = ""
        samples = []
        for key in FILTER_KEYS:
            typed = typed[:-1] if key == "backspace" else typed + key
            expected = " ".join(typed.lower().split())

            def reached(expected: str = expected, typed: str = typed) -> bool:
                return field.value == typed and table.filter_text == expected

            wait = app.expect(reached)
            started = send_key(app, "space" if key == " " else key)
            samples.append(await wait_for(wait) - started)
            await pilot.pause()
        return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def metric(value: float, peer: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "value": round(value, 5),
        "unit": "s",
        "peer": None if peer is None else round(peer, 5),
        "ratio": None if peer is None else round(peer / value, 1),
        **extra,
    }


async def measure(quick: bool) -> dict[str, Any]:
    sizes = (10_000,) if quick else (10_000, 100_000)
    results: dict[str, Any] = {}
    for count in sizes:
        rows = make_changes(count)
        ours = await first_frame_fast_table(rows)
        theirs = await first_frame_data_table(rows)
        label = f"{count // 1000}k"
        extra: dict[str, Any] = {"rows": count, "peer_name": "textual DataTable"}
        if theirs > DATATABLE_CAP_S:
            extra["peer_note"] = f"DataTable took more than {DATATABLE_CAP_S:.0f} s"
        results[f"table_first_frame_{label}"] = metric(ours, theirs, **extra)

    big = make_changes(sizes[-1])
    small = make_changes(10_000)
    ours_keys = await cursor_latencies_fast_table(big)
    theirs_keys = await cursor_latencies_data_table(small)
    pairing = {"rows": len(big), "peer_rows": len(small), "samples": CURSOR_KEYS}
    for name, fraction in (("p50", 0.5), ("p95", 0.95)):
        results[f"table_cursor_key_to_frame_{name}"] = metric(
            percentile(ours_keys, fraction), percentile(theirs_keys, fraction), **pairing
        )

    label = f"{len(big) // 1000}k"
    warm = await filter_latencies(big, settle=0.5)
    results[f"table_filter_keystroke_to_frame_p95_{label}"] = metric(
        percentile(warm, 0.95),
        None,
        rows=len(big),
        samples=len(warm),
        target=0.05,
        peer_note="DataTable has no filter",
    )
    cold = await filter_latencies(big, settle=None)
    results[f"table_filter_first_keystroke_after_load_{label}"] = metric(
        cold[0], None, rows=len(big), note="typed the moment the rows appear"
    )
    return results


def run(quick: bool) -> dict[str, Any]:
    return asyncio.run(measure(quick))


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:])))
