"""The top line of every screen (modes, backend, freshness), the problem banner and the
footer of keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tui.formatting import ago

if TYPE_CHECKING:
    from tui.app import QuarterdeckApp

MODE_TITLES = [
    ("changes", "Changes"),
    ("leases", "Leases"),
    ("releases", "Releases"),
    ("backups", "Backups"),
    ("backlog", "Backlog"),
]


class ModeBar(Widget):
    """`⚓ Quarterdeck  1 Changes  2 Leases …        local ~/demo · ● refreshed 4s ago`."""

    DEFAULT_CSS = """
    ModeBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    @property
    def qapp(self) -> QuarterdeckApp:
        return cast("QuarterdeckApp", self.app)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)
        for name in ("backend_error", "backlog_count", "theme"):
            self.watch(self.app, name, self._changed, init=False)
        for name in ("last_refreshed", "loading_data"):
            self.watch(self.screen, name, self._changed, init=False)

    def _changed(self, _value: Any = None) -> None:
        self.refresh()

    def render(self) -> Text:
        app = self.qapp
        variables = app.theme_variables
        accent = variables.get("accent", "magenta")[:7]
        primary = variables.get("primary", "blue")[:7]
        error = variables.get("error", "red")[:7]
        success = variables.get("success", "green")[:7]
        wide = self.size.width >= 110
        left = Text(no_wrap=True, overflow="ellipsis")
        left.append(" ⚓ Quarterdeck " if wide else " ⚓ ", style=f"bold {accent}")
        for number, (mode, title) in enumerate(MODE_TITLES, start=1):
            label = title
            if mode == "backlog" and app.backlog_count:
                label += f"·{app.backlog_count}"
            look = Style.parse(f"bold reverse {primary}") if mode == self.mode else Style()
            clickable = look + Style.from_meta({"@click": f"app.switch_mode('{mode}')"})
            left.append(" ")
            left.append(f"{number} {label}", style=clickable)
            left.append(" ")
        right = Text(no_wrap=True)
        info = app.service.info
        if wide:
            # The folder's name, not its path: short, and the same on every machine.
            where = (
                Path(info.location).name
                if info.kind == "local"
                else (f"{info.location} {info.project or ''}".strip())
            )
            right.append(f"{info.kind} {where} · ", style="dim")
        if app.backend_error:
            right.append("● unreachable", style=f"bold {error}")
        else:
            right.append("●", style=success)
            screen = self.screen
            refreshed = getattr(screen, "last_refreshed", None)
            loading = getattr(screen, "loading_data", False)
            if refreshed is None:
                right.append(" loading…" if loading else " -")
            else:
                right.append(f" {ago(refreshed, app.clock())}")
        if app.service.read_only:
            right.append(" READ-ONLY", style=f"bold {error}")
        right.append(" ")
        # A narrow footer has no room for "? Help": say it up here, where there is.
        hint = Text.assemble(("?", f"bold {accent}"), (" help ", "dim"))
        if self.size.width - left.cell_len - right.cell_len > hint.cell_len + 2:
            right.append_text(hint)
        gap = max(1, self.size.width - left.cell_len - right.cell_len)
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="ellipsis")


class Banner(Widget):
    """A full-width warning while the backend is unreachable (data shown is stale)."""

    DEFAULT_CSS = """
    Banner {
        dock: top;
        height: auto;
        display: none;
        background: $error 30%;
        color: $text;
        padding: 0 1;
    }
    Banner.-visible { display: block; }
    """

    @property
    def qapp(self) -> QuarterdeckApp:
        return cast("QuarterdeckApp", self.app)

    def on_mount(self) -> None:
        self.watch(self.app, "backend_error", self._update)
        self.set_interval(1.0, self.refresh)

    def _update(self, error: str | None) -> None:
        self.set_class(bool(error), "-visible")
        self.refresh(layout=True)

    def render(self) -> Text:
        app = self.qapp
        if not app.backend_error:
            return Text("")
        since = app.backend_last_ok
        stale = (
            f"showing data from {since.strftime('%H:%M:%S')} (stale)" if since else "no data yet"
        )
        return Text.assemble(
            ("⚠ Backend unreachable: ", "bold"),
            app.backend_error,
            f" — {stale}; retrying every {app.refresh_interval:g}s.",
        )


class KeyFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it would show have changed.

    Textual's Footer rebuilds every key after each bindings signal, and a screen sends one for
    every focus change and `refresh_bindings()`. Opening the Changes screen sent four before
    its first rows were drawn; each rebuild took 40-100 ms of the UI thread, because every
    new key restyles itself twice as it mounts. Here signals that arrive before the next
    refresh share one rebuild, and a rebuild that would show the same keys is skipped.
    """

    def __init__(self) -> None:
        super().__init__()
        self._rebuild_queued = False
        # What the last rebuild showed: one (binding, enabled, tooltip) a key.
        self._shown: tuple[tuple[Binding, bool, str], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_queued:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_queued = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_queued = False
        if not self.is_attached:
            return
        shown = tuple(
            (binding, enabled, tooltip)
            for _, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
