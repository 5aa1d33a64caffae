"""What the dashboard remembers between runs: the last screen and the theme."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from core.fsutil import atomic_write


@dataclass
class UiState:
    mode: str | None = None
    theme: str | None = None

    @classmethod
    def load(cls, path: Path | None) -> UiState:
        """A missing or unreadable file is a fresh start, never an error."""
        if path is None:
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            mode=data.get("mode") if isinstance(data.get("mode"), str) else None,
            theme=data.get("theme") if isinstance(data.get("theme"), str) else None,
        )

    def save(self, path: Path | None) -> None:
        if path is None:
            return
        # Remembering the screen is a convenience; never fail the app for it.
        with contextlib.suppress(OSError):
            atomic_write(path, json.dumps(asdict(self), indent=2) + "\n", durable=False)
