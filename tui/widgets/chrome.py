"""The top line of every screen (modes, backend, freshness), the problem banner and the
footer of keys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

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


@dataclass(frozen=True)
class ShownKey:
    """One key of the bar, and the cells it took in the last render."""

    key: str
    action: str
    display: str
    description: str
    enabled: bool
    tooltip: str
    start: int = 0
    end: int = 0


class KeyBar(Widget, can_focus=False):
    """The footer: the screen's keys on one line, drawn by this one widget.

    It shows what Textual's Footer shows (each key with its description, a group of keys
    with one label, the palette key on the right, disabled keys dimmed; hover, tooltip and
    click to press) but Footer mounts a widget for every key and mounts them all again after
    each bindings signal: opening the Changes screen spent 34 ms (A/B medians of 8) of its
    first frame on it. This one only repaints. Keys that do not fit end in `…`; `?` lists
    them all.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
        "key-bar--separator",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        .key-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys: tuple[ShownKey, ...] = ()
        self._hovered: str | None = None

    @property
    def keys(self) -> tuple[ShownKey, ...]:
        """The keys as last drawn (a group's label has no key)."""
        return self._keys

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[Any]) -> None:
        self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        hover_style = self.get_component_rich_style("key-bar--hover")
        width = self.size.width
        line = Text(no_wrap=True, end="")
        palette, items = self._items()
        # The palette key sits on the right, after a separator; the others get what is left.
        right = self._label(palette) if palette else ""
        room = width - cell_len(right) - (2 if right else 0)
        placed: list[ShownKey] = []
        for item in items:
            label = self._label(item)
            if line.cell_len + cell_len(label) > room:
                line.append("…")
                break
            placed.append(self._append(line, item, label, key_style, text_style, hover_style))
        if palette:
            line.append(" " * max(1, width - line.cell_len - cell_len(right) - 1))
            line.append("▏", style=self.get_component_rich_style("key-bar--separator"))
            placed.append(self._append(line, palette, right, key_style, text_style, hover_style))
        self._keys = tuple(placed)
        return line

    def _items(self) -> tuple[ShownKey | None, list[ShownKey]]:
        """The palette key, and the others in binding order; a group of several keys shows
        its keys bare, then the group's label (as a key of no key)."""
        app = self.app
        palette: ShownKey | None = None
        by_action: dict[str, list[tuple[Binding, bool, str]]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = ShownKey(
                    binding.key,
                    binding.action,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or binding.description,
                )
            elif binding.show:
                by_action.setdefault(binding.action, []).append((binding, enabled, tooltip))
        items: list[ShownKey] = []
        for group, runs in groupby(by_action.values(), lambda run: run[0][0].group):
            firsts = [run[0] for run in runs]
            label = group.description if group is not None and len(firsts) > 1 else None
            for binding, enabled, tooltip in firsts:
                display = app.get_key_display(binding)
                if label is None:
                    description = binding.description
                else:  # a grouped key: bare, its description only in the tooltip
                    description, tooltip = "", tooltip or binding.description
                items.append(
                    ShownKey(binding.key, binding.action, display, description, enabled, tooltip)
                )
            if label is not None:
                items.append(ShownKey("", "", "", label, True, ""))
        return palette, items

    @staticmethod
    def _label(item: ShownKey) -> str:
        if not item.key:
            return f"{item.description} "
        if not item.description:
            return f" {item.display}"
        return f" {item.display} {item.description} "

    def _append(
        self, line: Text, item: ShownKey, label: str, key: Style, text: Style, hover: Style
    ) -> ShownKey:
        start = line.cell_len
        dim = Style(dim=True) if not item.enabled else Style()
        if item.key and item.key == self._hovered:
            line.append(label, style=hover + dim)
        elif not item.key:
            line.append(label, style=text)
        else:
            shown = len(item.display) + 2
            line.append(label[:shown], style=key + dim)
            line.append(label[shown:], style=text + dim)
        return replace(item, start=start, end=line.cell_len)

    def _key_at(self, x: int) -> ShownKey | None:
        return next((k for k in self._keys if k.key and k.start <= x < k.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._key_at(event.x)
        hovered = item.key if item else None
        if hovered != self._hovered:
            self._hovered = hovered
            self.tooltip = item.tooltip if item and item.tooltip else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        item = self._key_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
