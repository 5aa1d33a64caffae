"""The command palette (ctrl+p): jump to any change, repo, backup or backlog item by fuzzy
name, or run any action of the current screen."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from core.models.backlog import BacklogItem
from core.models.backups import BackupFolder
from core.models.errors import QuarterdeckError
from core.service import Service

if TYPE_CHECKING:
    from tui.app import QuarterdeckApp

# Fuzzy-scoring every one of 100,000 changes per keystroke would stall the palette; a
# compiled "these letters in this order" regex narrows the field first.
MAX_CANDIDATES = 400


@dataclass(frozen=True)
class Entry:
    kind: str  # "change", "repo", "backup", "backlog"
    key: str
    text: str
    help: str


@dataclass(frozen=True)
class Source:
    """Rows a screen loaded, made into entries only when a search matches them: turning
    100,000 changes into entries up front would cost a second on every load."""

    rows: Sequence[Any]
    text: Callable[[Any], str]
    entry: Callable[[Any], Entry]


def _listed(entries: Iterable[Entry]) -> Source:
    return Source(list(entries), lambda entry: entry.text, lambda entry: entry)


class Catalog:
    """What screens have loaded, searchable by name (screens publish, palette reads)."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}

    def publish(self, kind: str, entries: Iterable[Entry]) -> None:
        self._sources[kind] = _listed(entries)

    def publish_rows(self, kind: str, source: Source) -> None:
        self._sources[kind] = source

    def has(self, kind: str) -> bool:
        return kind in self._sources

    def publish_unless_present(self, kind: str, entries: Iterable[Entry]) -> None:
        # A screen's own entries (richer, fresher) win over a preload.
        self._sources.setdefault(kind, _listed(entries))

    def candidates(self, query: str) -> list[Entry]:
        letters = [re.escape(ch) for ch in query.lower() if not ch.isspace()]
        if not letters:
            return []
        search = re.compile(".*?".join(letters), re.IGNORECASE).search
        found: list[Entry] = []
        for source in list(self._sources.values()):
            text, entry = source.text, source.entry
            for row in source.rows:
                if search(text(row)):
                    found.append(entry(row))
                    if len(found) >= MAX_CANDIDATES:
                        return found
        return found


def backup_entries(folders: Iterable[BackupFolder]) -> list[Entry]:
    return [
        Entry(
            "backup",
            folder.name,
            folder.name,
            "unreadable"
            if folder.error
            else f"{folder.layout_status} · "
            f"{folder.completed_operations}/{folder.total_operations}",
        )
        for folder in folders
    ]


def backlog_entries(items: Iterable[BacklogItem]) -> list[Entry]:
    entries = []
    for item in items:
        first_value = next(iter(item.data.values()), "") if item.data else ""
        if not isinstance(first_value, str):
            first_value = json.dumps(first_value, default=str)
        entries.append(
            Entry(
                "backlog",
                f"{item.kind}/{item.item_ref}",
                f"{item.kind} {item.item_ref}",
                item.note or first_value,
            )
        )
    return entries


def preload(catalog: Catalog, service: Service) -> None:
    """Fill the kinds no screen has published yet, so ctrl+p finds a repo, a backup or a
    backlog item before its screen was ever opened. Runs off the UI thread when the palette
    opens (not at start-up, where it would compete with the first screen's load); a part the
    backend cannot give is left out (its screen says why when opened)."""
    loaders: list[tuple[str, Callable[[], list[Entry]]]] = [
        (
            "repo",
            lambda: [
                Entry("repo", repo, repo, "repo in the release graph")
                for repo in service.release_graph().order
            ],
        ),
        ("backup", lambda: backup_entries(service.list_backups())),
        ("backlog", lambda: backlog_entries(service.list_backlog())),
    ]
    for kind, load in loaders:
        if catalog.has(kind):
            continue
        try:
            entries = load()
        except QuarterdeckError:
            continue
        catalog.publish_unless_present(kind, entries)


class QuarterdeckCommands(Provider):
    @property
    def qapp(self) -> QuarterdeckApp:
        return cast("QuarterdeckApp", self.app)

    async def startup(self) -> None:
        # Searches wait for this; it reads the backend only for kinds no screen published.
        await asyncio.to_thread(preload, self.qapp.catalog, self.qapp.service)

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.qapp
        actions: list[tuple[str, str, Callable[[], object]]] = []
        for mode, title in app.mode_titles():
            actions.append(
                (f"Go to {title}", f"switch to the {title} screen", partial(app.switch_mode, mode))
            )
        for label, help_text, run in app.screen_actions():
            actions.append((label, help_text, run))
        actions.append(("Refresh", "reload the current screen now", app.action_refresh))
        actions.append(("Help: keys", "every binding of this screen", app.action_help))
        actions.append(
            ("Change theme", "pick a Textual theme (remembered)", app.action_change_theme)
        )
        return actions

    async def discover(self) -> Hits:
        for label, help_text, run in self._actions():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self._actions():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), run, help=help_text)
        for entry in self.qapp.catalog.candidates(query):
            score = matcher.match(entry.text)
            if score > 0:
                yield Hit(
                    score * 0.9,  # actions first when equally good
                    matcher.highlight(entry.text),
                    partial(self.qapp.open_entity, entry.kind, entry.key),
                    help=entry.help,
                )
