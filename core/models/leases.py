"""Change leases and allocation (FORMATS.md §2 "Leases")."""

from __future__ import annotations

from datetime import datetime

from core.models.base import Model
from core.timeutil import UtcDateTime


class Lease(Model):
    """A holder's claim on a change until `expires_at` (ito's ClaimResult)."""

    change_id: str
    holder: str
    expires_at: UtcDateTime

    def is_active(self, now: datetime) -> bool:
        return self.expires_at > now

    def seconds_left(self, now: datetime) -> float:
        return (self.expires_at - now).total_seconds()


class AllocateResult(Model):
    claim: Lease | None = None


class ReleaseResult(Model):
    change_id: str
