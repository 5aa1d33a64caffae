"""What every mode screen shares: loading data through the service in a worker,
reporting errors without losing the user's place, and the chrome (mode bar, banner).

A screen implements `load()` (runs in a thread, may call the service) and `show(data)`
(runs on the UI thread, updates widgets). Mutating actions go through `perform()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from textual import work
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from core.models.errors import BackendUnavailable, QuarterdeckError
from core.service import Service
from tui.gc_pause import gc_paused
from tui.palette import Palette
from tui.widgets.chrome import Banner, KeyBar, ModeBar

if TYPE_CHECKING:
    from tui.app import QuarterdeckApp

T = TypeVar("T")
R = TypeVar("R")
# How long a load waits for its partial result to be painted before it goes on regardless.
PAINT_WAIT_S = 0.5
# The periodic refresh waits at least this many times the last load's duration after it,
# so that loading takes at most a tenth of the time. At 100,000 changes a load checks every
# folder with both cores for ~3.7 s. Left idle for 120 s, the dashboard took 0.47 of a core
# waiting twice the load, 0.17 waiting nine times (at 10,000 changes: 0.13 and 0.10).
AUTO_REFRESH_RATIO = 9.0


class LoadCancelled(Exception):
    """Raised in `load` once its worker is cancelled: a newer load took over, or the app
    is quitting, and what this one would show is no longer wanted."""


class ModeScreen(Screen[None], Generic[T]):
    MODE: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    # Bindings that change something; hidden and refused in read-only mode.
    MUTATING_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    last_refreshed: reactive[datetime | None] = reactive(None)
    loading_data: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self.data: T | None = None
        self._reload_queued = False
        self._load_started = self._load_ended_at = self._last_load_s = 0.0
        self.loads_started = 0  # so that work begun before a load can tell it came after
        self.palette = Palette()

    @property
    def qapp(self) -> QuarterdeckApp:
        return cast("QuarterdeckApp", self.app)

    @property
    def service(self) -> Service:
        return self.qapp.service

    def now(self) -> datetime:
        return self.qapp.clock()

    def compose_chrome(self) -> ComposeResult:
        yield ModeBar(self.MODE)
        yield Banner()

    def compose_footer(self) -> ComposeResult:
        yield KeyBar()

    # Refresh.

    def on_mount(self) -> None:
        self.palette = Palette.of(self.app)
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def on_screen_resume(self) -> None:
        # A load under way started moments ago and is fresh enough. Textual resumes a
        # screen twice as its mode first opens, and the load queued by the second resume
        # doubled the time to a complete list (seconds at 100,000 changes).
        if not self.loading_data:
            self.refresh_data()

    def _theme_changed(self) -> None:
        self.palette = Palette.of(self.app)
        if self.data is not None:
            self.show(self.data)

    def refresh_data(self) -> None:
        if self.loading_data:
            # One load at a time: a big workspace's load can outlast the refresh interval,
            # and loads stacked on it would only slow each other. Load again when it ends.
            self._reload_queued = True
            return
        self._start_load()

    def restart_load(self) -> None:
        """Load now, dropping the load under way: what it would show is no longer wanted."""
        self._reload_queued = False
        self._start_load()  # exclusive: Textual cancels the load running now

    def _start_load(self) -> None:
        self.loading_data = True
        self.loads_started += 1
        self._load_started = time.monotonic()
        self._load_worker()

    def auto_refresh(self) -> None:
        """The periodic refresh. Skipped while a load runs, and spaced so that loading takes
        at most a tenth of the time: at 100,000 changes a load takes seconds of both cores,
        and a console left open all day must not keep them busy. Small workspaces still
        refresh every interval; ^r and every action refresh at once."""
        if self.loading_data:
            return
        if time.monotonic() - self._load_ended_at < AUTO_REFRESH_RATIO * self._last_load_s:
            self.refresh_between_loads()
            return
        self.refresh_data()

    def refresh_between_loads(self) -> None:
        """A periodic refresh while the next full load is not due. A screen whose load
        joins a cheap part to a costly one refreshes the cheap part here."""

    def _load_ended(self) -> None:
        self.loading_data = False
        self._load_ended_at = time.monotonic()
        self._last_load_s = self._load_ended_at - self._load_started
        if self._reload_queued:
            self._reload_queued = False
            self.refresh_data()

    def load(self) -> T:
        raise NotImplementedError

    def show(self, data: T) -> None:
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_worker(self) -> None:
        try:
            with gc_paused():
                data = self.load()
        except LoadCancelled:
            return
        except QuarterdeckError as error:
            self.app.call_from_thread(self._load_failed, error)
            return
        except Exception as error:  # a bug must not take the dashboard down
            self.app.call_from_thread(self._load_failed, error)
            return
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._loaded, data)

    def show_partial(self, data: T) -> None:
        """From `load` (the worker thread): show what is known so far while loading goes on.

        Returns once that has been painted: the load's next steps hold the GIL for seconds
        at 100,000 changes, and starved the frame showing the first rows by 0.4 s.
        """
        if get_current_worker().is_cancelled:
            return
        painted = threading.Event()
        self.app.call_from_thread(self._show_partial, data, painted)
        # Bounded: a screen that is not on display does not paint.
        painted.wait(PAINT_WAIT_S)

    def _show_partial(self, data: T, painted: threading.Event) -> None:
        self._show_data(data)
        self.call_after_refresh(painted.set)

    def _loaded(self, data: T) -> None:
        self._load_ended()
        self.last_refreshed = self.now()
        self.qapp.backend_reachable(self.last_refreshed)
        self._show_data(data)

    def _show_data(self, data: T) -> None:
        self.data = data
        try:
            self.show(data)
        except Exception as error:
            self.app.log.error(f"{self.MODE}: show failed: {error!r}")
            self.notify(f"Could not display {self.TITLE}: {error}", severity="error")

    def _load_failed(self, error: Exception) -> None:
        self._load_ended()
        if isinstance(error, BackendUnavailable):
            # Keep showing the last data (marked stale by the banner) and keep retrying.
            self.qapp.backend_unreachable(error)
            return
        self.notify(f"{self.TITLE}: {error}", severity="error", timeout=8)

    # Actions.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.MUTATING_ACTIONS and self.service.read_only)

    def perform(
        self,
        call: Callable[[], R],
        *,
        success: Callable[[R], str | None] | None = None,
        on_error: Callable[[QuarterdeckError], bool] | None = None,
        then: Callable[[R], None] | None = None,
        refresh: bool = True,
    ) -> None:
        """Run a service call off the UI thread; say what happened; refresh on success.

        `on_error` may handle a typed error itself (e.g. open the conflict dialog) by
        returning True; otherwise the rule's message is shown and nothing else changes.
        """
        self._perform_worker(call, success, on_error, then, refresh)

    @work(thread=True, group="actions", exit_on_error=False)
    def _perform_worker(
        self,
        call: Callable[[], Any],
        success: Callable[[Any], str | None] | None,
        on_error: Callable[[QuarterdeckError], bool] | None,
        then: Callable[[Any], None] | None,
        refresh: bool,
    ) -> None:
        try:
            result = call()
        except QuarterdeckError as error:
            self.app.call_from_thread(self._action_failed, error, on_error)
            return
        except Exception as error:
            self.app.call_from_thread(
                self.notify, f"Unexpected error: {error!r}", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self._action_done, result, success, then, refresh)

    def _action_done(
        self,
        result: Any,
        success: Callable[[Any], str | None] | None,
        then: Callable[[Any], None] | None,
        refresh: bool,
    ) -> None:
        message = success(result) if success else None
        if message:
            self.notify(message)
        if then is not None:
            then(result)
        if refresh:
            self.refresh_data()

    def _action_failed(
        self, error: QuarterdeckError, on_error: Callable[[QuarterdeckError], bool] | None
    ) -> None:
        if on_error is not None and on_error(error):
            return
        if isinstance(error, BackendUnavailable):
            self.qapp.backend_unreachable(error)
        self.notify(str(error), severity="error", timeout=10)
