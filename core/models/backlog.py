"""aristo's deferred review backlog and Quarterdeck's review decisions (FORMATS.md §4)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from core.models.base import Model


class BacklogItem(Model):
    """One `[[items]]` entry of `.aristo/sessions/backlog/<kind>.toml`."""

    kind: str
    item_ref: str
    deferred_at: str
    deferred_from_session: str
    note: str | None = None
    data: dict[str, Any] | None = None
    # Keys aristo may add later; written back untouched.
    extra: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def key(self) -> tuple[str, str, str]:
        """Identifies this deferral (the same ref may be deferred again later)."""
        return (self.kind, self.item_ref, self.deferred_at)

    @property
    def source_id(self) -> str:
        """`foo` of `foo#1`: item refs split on the LAST '#'."""
        return self.item_ref.rsplit("#", 1)[0]

    @property
    def index(self) -> str:
        return self.item_ref.rsplit("#", 1)[1] if "#" in self.item_ref else ""

    def api_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "item_ref": self.item_ref,
            "deferred_at": self.deferred_at,
            "deferred_from_session": self.deferred_from_session,
        }
        if self.note is not None:
            data["note"] = self.note
        if self.data is not None:
            data["data"] = self.data
        return data


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    DEFER = "defer"


class DecisionRecord(Model):
    """One line of the append-only decision log; holds the whole item, so nothing is lost."""

    decision_id: str
    decision: Decision
    note: str | None = None
    decided_at: str
    decided_by: str
    item: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (str(self.item["kind"]), str(self.item["item_ref"]), str(self.item["deferred_at"]))
