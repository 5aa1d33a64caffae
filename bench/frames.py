"""When a benchmark app's frame is done, as a terminal would see it.

`App._display` runs right after the compositor has composed an update. The headless driver
skips turning it into terminal bytes, which a real terminal pays for, so the benchmarks do
that here before they take the time.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from textual._compositor import CompositorUpdate
from textual.app import App


def frame_finished(app: App[Any], renderable: RenderableType | None) -> bool:
    """Call from `_display` after super()'s: whether this was a frame, now turned into bytes."""
    if renderable is None or app._batch_count:
        return False
    if app.is_headless and isinstance(renderable, CompositorUpdate):
        renderable.render_segments(app.console)
    return True
