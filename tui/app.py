"""The Quarterdeck app: five modes, global keys, the palette, theme and state restore."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable
from datetime import datetime
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from core.config import Settings, user_state_dir
from core.models.errors import QuarterdeckError
from core.service import Service, open_service
from core.timeutil import Clock, system_clock
from styles import STYLES
from tui.commands import Catalog, QuarterdeckCommands
from tui.screens.help import HelpScreen, Section
from tui.state import UiState
from tui.stylesheet import ParsedOnceStylesheet
from tui.widgets.chrome import MODE_TITLES
from tui.widgets.fast_table import FastTable


def _screen(name: str) -> Callable[[], Screen[Any]]:
    """The mode `name`'s screen (class `<Name>Screen` in tui/screens/<name>.py), imported
    when the mode first opens: importing all five made every start-up wait ~0.1 s more."""

    def make() -> Screen[Any]:
        module = importlib.import_module(f"tui.screens.{name}")
        screen: Screen[Any] = getattr(module, f"{name.capitalize()}Screen")()
        return screen

    return make


class QuarterdeckApp(App[None]):
    TITLE = "Quarterdeck"
    # Each mode's screen loads its own .tcss (its CSS_PATH) when it first opens.
    CSS_PATH = STYLES / "app.tcss"
    MODES: ClassVar[dict[str, Any]] = {
        mode: _screen(mode) for mode in ("changes", "leases", "releases", "backups", "backlog")
    }
    COMMANDS = App.COMMANDS | {QuarterdeckCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('changes')", "Changes", show=False, id="app.mode.changes"),
        Binding("2", "switch_mode('leases')", "Leases", show=False, id="app.mode.leases"),
        Binding("3", "switch_mode('releases')", "Releases", show=False, id="app.mode.releases"),
        Binding("4", "switch_mode('backups')", "Backups", show=False, id="app.mode.backups"),
        Binding("5", "switch_mode('backlog')", "Backlog", show=False, id="app.mode.backlog"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+r", "refresh", "Refresh", id="app.refresh"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    backend_error: reactive[str | None] = reactive(None)
    backlog_count: reactive[int] = reactive(0)

    def __init__(
        self,
        service: Service,
        *,
        refresh_interval: float = 5.0,
        clock: Clock = system_clock,
        state_path: Path | None = None,
        session_review: bool = True,
    ) -> None:
        self.ui_state = UiState.load(state_path)
        # Textual opens this mode's screen first. Starting on its blank default screen and
        # switching from there drew one more frame before the first screen (~50 ms), and
        # resumed that screen twice.
        self.DEFAULT_MODE = self._first_mode()  # type: ignore[misc]
        super().__init__()
        self.stylesheet = ParsedOnceStylesheet(variables=self.get_css_variables())
        self.service = service
        self.refresh_interval = refresh_interval
        self.clock = clock
        self.state_path = state_path
        self.session_review = session_review
        self.catalog = Catalog()
        self.backend_last_ok: datetime | None = None
        self._pending_entity: tuple[str, str] | None = None

    # Start-up: theme, first screen, the session-start review.

    def on_mount(self) -> None:
        if self.ui_state.theme and self.ui_state.theme in self.available_themes:
            self.theme = self.ui_state.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.switch_mode(self._first_mode())
        self.set_interval(self.refresh_interval, self._periodic_refresh, name="auto-refresh")
        if self.session_review:
            self._check_backlog()

    def _first_mode(self) -> str:
        mode = self.ui_state.mode
        return mode if mode in self.MODES else "changes"

    @work(thread=True, exit_on_error=False, group="session-review")
    def _check_backlog(self) -> None:
        """The session-start review: deferred items open the Backlog screen first."""
        try:
            count = len(self.service.list_backlog())
        except QuarterdeckError as error:
            self.call_from_thread(self.notify, f"Backlog: {error}", severity="warning")
            return
        self.call_from_thread(self._review_if_needed, count)

    def _review_if_needed(self, count: int) -> None:
        self.backlog_count = count
        if count:
            # Not our switch_mode: the review is not where the user chose to be, so the
            # screen they were on stays the one to come back to next time.
            App.switch_mode(self, "backlog")
            self.notify(
                f"{count} deferred review item(s) are waiting — review them now,"
                " or leave to keep them deferred."
            )

    def _remember_theme(self, _theme: object) -> None:
        self.ui_state.theme = self.theme
        self.ui_state.save(self.state_path)

    def switch_mode(self, mode: str) -> Any:
        result = super().switch_mode(mode)
        if self.ui_state.mode != mode:
            self.ui_state.mode = mode
            self.ui_state.save(self.state_path)
        return result

    # Backend reachability (the stale-data banner).

    def backend_reachable(self, at: datetime) -> None:
        self.backend_last_ok = at
        if self.backend_error is not None:
            self.backend_error = None
            self.notify("Backend reachable again.")

    def backend_unreachable(self, error: Exception) -> None:
        self.backend_error = str(error)

    # Global actions.

    def action_refresh(self) -> None:
        self._ask_screen("refresh_data")

    # Not `_auto_refresh`: Textual's DOMNode sets an attribute of that name in __init__, which
    # hid the method and left the timer with no callback.
    def _periodic_refresh(self) -> None:
        self._ask_screen("auto_refresh")

    def _ask_screen(self, method: str) -> None:
        # The current screen may be a dialog, which has nothing to refresh.
        call = getattr(self.screen, method, None)
        if callable(call):
            call()

    def action_help(self) -> None:
        screen = self.screen
        title = getattr(screen, "TITLE", "") or "Quarterdeck"
        self.push_screen(HelpScreen(title, self.help_sections(screen)))

    def action_change_theme(self) -> None:
        self.search_themes()

    def help_sections(self, screen: Screen[Any]) -> list[Section]:
        """Bindings grouped by where they live; several keys for one action share a row."""
        groups: dict[str, dict[str, tuple[list[str], bool]]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description:
                continue
            node = active.node
            if node is self or binding.action.startswith(("app.", "screen.")):
                heading = "Global"
            elif node is screen:
                heading = "This screen"
            else:
                heading = "In the list" if isinstance(node, FastTable) else type(node).__name__
            rows = groups.setdefault(heading, {})
            keys, enabled = rows.get(binding.description, ([], active.enabled))
            keys.append(self.get_key_display(binding))
            rows[binding.description] = (keys, enabled)
        order = [
            "This screen",
            *(h for h in groups if h not in ("This screen", "Global")),
            "Global",
        ]
        return [
            (heading, [(", ".join(keys), text, on) for text, (keys, on) in groups[heading].items()])
            for heading in order
            if heading in groups
        ]

    # The palette's view of the app.

    def mode_titles(self) -> list[tuple[str, str]]:
        return MODE_TITLES

    def screen_actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The current screen's described bindings, runnable from the palette."""
        screen = self.screen
        actions: list[tuple[str, str, Callable[[], object]]] = []
        for binding in getattr(screen, "BINDINGS", []):
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if screen.check_action(binding.action.split("(")[0], ()) is False:
                continue
            title = getattr(screen, "TITLE", "")
            actions.append(
                (
                    f"{title}: {binding.description}",
                    f"key {self.get_key_display(binding)}",
                    lambda action=binding.action: self.run_action(action, screen),
                )
            )
        return actions

    def open_entity(self, kind: str, key: str) -> None:
        mode = {
            "change": "changes",
            "repo": "releases",
            "backup": "backups",
            "backlog": "backlog",
            "lease": "leases",
        }[kind]
        self.switch_mode(mode)
        select = getattr(self.screen, "select_entity", None)
        if callable(select):
            select(key)


def prepare_process() -> None:
    """Set up the dashboard's process before Textual starts."""
    # Start multiprocessing's resource tracker while stderr is still the terminal: under
    # Textual, stderr is a capture with no file descriptor to pass on, and the worker pool
    # that reads a big workspace's folders would fail to start.
    resource_tracker.ensure_running()
    # What exists by now lives as long as the process. Frozen, the collector stops walking
    # it on every full collection: at start-up over 10,000 changes that walking took ~90 ms
    # before the first rows, and ~0.3 s over 100,000. The console script froze its imports
    # already (tui.entry); this also covers the settings, the service, and any caller that
    # imported the dashboard another way.
    gc.freeze()


def run_app(settings: Settings) -> int:
    prepare_process()
    service = open_service(settings)
    app = QuarterdeckApp(
        service,
        refresh_interval=settings.refresh_interval_seconds,
        state_path=user_state_dir() / "state.json",
    )
    app.run()
    return 0
