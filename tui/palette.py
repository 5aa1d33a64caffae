"""Theme colours for Rich text built in Python (table cells), so every theme applies.

CSS can use `$success`; a Rich `Text` cannot, so screens take a `Palette` from the app's
current theme and rebuild it when the theme changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.color import Color, ColorParseError


def _solid(colour: str, background: str) -> str:
    """Rich wants #RRGGBB; a theme colour with alpha (#RRGGBBAA) is blended over the
    background, so "muted" stays muted instead of turning full brightness."""
    try:
        parsed = Color.parse(colour)
        if parsed.a < 1:
            parsed = Color.parse(background) + parsed
        return parsed.hex6
    except ColorParseError:
        return colour


@dataclass(frozen=True)
class Palette:
    success: str = "green"
    error: str = "red"
    warning: str = "yellow"
    accent: str = "magenta"
    primary: str = "blue"
    secondary: str = "cyan"
    muted: str = "bright_black"

    @classmethod
    def of(cls, app: Any) -> Palette:
        variables: dict[str, str] = app.theme_variables
        background = variables.get("background", "#000000")

        def colour(name: str, default: str) -> str:
            return _solid(variables.get(name, default), background)

        return cls(
            success=colour("success", cls.success),
            error=colour("error", cls.error),
            warning=colour("warning", cls.warning),
            accent=colour("accent", cls.accent),
            primary=colour("primary", cls.primary),
            secondary=colour("secondary", cls.secondary),
            muted=colour("foreground-muted", cls.muted),
        )

    def for_work_status(self, status: str) -> str:
        return {
            "complete": self.success,
            "in-progress": self.accent,
            "ready": self.primary,
            "paused": self.warning,
            "draft": self.muted,
        }.get(status, self.muted)

    def for_release_state(self, state: str) -> str:
        return {
            "succeeded": self.success,
            "failed": self.error,
            "in_progress": self.accent,
            "pending": self.primary,
            "skipped": self.muted,
        }.get(state, self.muted)

    def for_operation_state(self, state: str) -> str:
        return {
            "completed": self.success,
            "failed": self.error,
            "pending": self.accent,
            "ready": self.primary,
            "blocked": self.warning,
            "skipped": self.muted,
        }.get(state, self.muted)
