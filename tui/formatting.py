"""Small text renderings shared by screens: durations, relative times, bars."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from core.timeutil import parse_rfc3339

BAR_FULL = "█"
BAR_PARTIAL = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar with eighth-cell resolution."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, partial = divmod(eighths, 8)
    text = BAR_FULL * full + (BAR_PARTIAL[partial] if partial else "")
    return text.ljust(width)


def countdown(seconds: float) -> str:
    """`12m04s`, `1h05m`, `-3m10s` (expired), compact enough for a table cell."""
    sign = "-" if seconds < 0 else ""
    remaining = int(abs(seconds))
    hours, rest = divmod(remaining, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    return f"{sign}{minutes}m{secs:02d}s"


def ago(moment: datetime | str | None, now: datetime) -> str:
    """`4s ago`, `12m ago`, `3h ago`, `5d ago`; a date beyond a month."""
    if moment is None or moment == "":
        return "-"
    when = parse_rfc3339(moment) if isinstance(moment, str) else moment
    seconds = (now - when).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return when.strftime("%Y-%m-%d")


def progress_cell(done: int, total: int, colour: str, done_colour: str, width: int = 8) -> Text:
    """`████▌    5/9` for the tasks column."""
    if total == 0:
        return Text("no tasks", style="dim")
    text = Text()
    text.append(bar(done / total, width), style=done_colour if done == total else colour)
    text.append(f" {done}/{total}")
    return text
