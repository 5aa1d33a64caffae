"""aristo's backlog TOML as tomli_w writes it, rendered item by item so a rewrite of a large
backlog renders only the items it has not rendered before.

tomli_w writes `items` as an array of tables as soon as one item is too long for an inline
line (real items, with their `data`, always are). The document is then `schema_version = 1\\n`
followed by `\\n[[items]]\\n…` for each item, and each item's block depends on that item alone,
so joining blocks kept from earlier renderings gives the very bytes tomli_w would. When every
item is short, tomli_w writes an inline array instead; that document is rendered whole.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from core.models.backlog import BacklogItem

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("item_ref", "deferred_at", "deferred_from_session")
KNOWN_KEYS = frozenset((*REQUIRED_KEYS, "note", "data"))

HEADER = f"schema_version = {SCHEMA_VERSION}\n"
_BLOCK_START = "[[items]]\n"
# Only an item's own header is a line `[[items]]`: sub-tables are `[items.…]`, strings are
# written on one line with escapes, and keys that are not bare are quoted.
_SEPARATOR = "\n" + _BLOCK_START


def table_of(item: BacklogItem) -> dict[str, Any]:
    """aristo's shape: known keys first, then unknown keys, then `[items.data]`."""
    table: dict[str, Any] = {
        "item_ref": item.item_ref,
        "deferred_at": item.deferred_at,
        "deferred_from_session": item.deferred_from_session,
    }
    if item.note is not None:
        table["note"] = item.note
    table.update((key, value) for key, value in item.extra.items() if key not in KNOWN_KEYS)
    if item.data is not None:
        table["data"] = item.data
    return table


def render_backlog(items: list[BacklogItem]) -> str:
    """The whole document, in one go (the reference the block-wise rendering must equal)."""
    return tomli_w.dumps({"schema_version": SCHEMA_VERSION, "items": [table_of(i) for i in items]})


class _Seen:
    __slots__ = ("block", "item", "too_long")

    def __init__(self, item: BacklogItem, block: str | None, too_long: bool | None) -> None:
        # Holding the item keeps its id() from going to another object while this entry
        # lives, so an id found among the entries is that very item.
        self.item = item
        self.block = block
        self.too_long = too_long


class BlockRenderer:
    """Renders one backlog file's items, keeping each item's `[[items]]` block for the next time.

    Keyed by item object: items are never changed once read (a new note is a new copy), so an
    object rendered before renders to the same block.
    """

    def __init__(self) -> None:
        self._seen: dict[int, _Seen] = {}

    def render(self, items: list[BacklogItem]) -> tuple[str, list[str] | None]:
        """tomli_w's document for `items`, and each item's block when it is an array of tables."""
        entries = self._join(items)
        blocks: list[str] | None
        if entries is not None:
            blocks = [entry.block for entry in entries if entry.block is not None]
            text = HEADER + "".join(["\n" + block for block in blocks])
        else:
            text = render_backlog(items)
            blocks = split_blocks(text, len(items))
            entries = []
            for index, item in enumerate(items):
                entry = self._seen.get(id(item))
                # An inline array means every item is short; else the blocks were split out.
                too_long = False if blocks is None else entry.too_long if entry else None
                block = blocks[index] if blocks is not None else None
                entries.append(_Seen(item, block, too_long))
        # Only these items are in the file now: forget the others.
        self._seen = {id(entry.item): entry for entry in entries}
        return text, blocks

    def _join(self, items: list[BacklogItem]) -> list[_Seen] | None:
        """Every item with its block, or None when the document must be rendered whole."""
        seen = self._seen
        found = [seen.get(id(item)) for item in items]
        unseen = sum(1 for entry in found if entry is None or entry.block is None)
        # Rendering one item alone costs about three times its share of a whole rendering.
        if not items or unseen * 3 > len(items):
            return None
        entries: list[_Seen] = []
        for item, entry in zip(items, found, strict=True):
            if entry is None or entry.block is None:
                alone = _render_alone(item)
                if not alone.startswith(_BLOCK_START):
                    # A short item's block only comes out of a whole rendering.
                    return None
                entry = _Seen(item, alone, too_long=True)
            entries.append(entry)
        # tomli_w writes an array of tables only if some item is too long to be inline.
        if not any(self._is_too_long(entry) for entry in entries):
            return None
        return entries

    @staticmethod
    def _is_too_long(entry: _Seen) -> bool:
        if entry.too_long is None:
            entry.too_long = _render_alone(entry.item).startswith(_BLOCK_START)
        return entry.too_long


def split_blocks(text: str, count: int) -> list[str] | None:
    """The `count` item blocks of a document written as an array of tables, else None."""
    if not text.startswith(HEADER + _SEPARATOR):
        return None
    parts = text[len(HEADER) :].split(_SEPARATOR)[1:]
    if len(parts) != count:
        return None
    return [_BLOCK_START + part for part in parts]


def _render_alone(item: BacklogItem) -> str:
    """`[[items]]` block when the item is too long to be inline, else tomli_w's inline array."""
    return tomli_w.dumps({"items": [table_of(item)]})
