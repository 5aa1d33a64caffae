"""Textual's stylesheet, parsing each CSS source once for as long as the CSS variables stay.

Textual parses every source again, from scratch, more often than the CSS changes. Opening a
mode screen calls `reparse()` for the screen's CSS file, then `refresh_css()`, which sets the
same variables again (clearing the parse cache) and calls `reparse()` once more. The next
widget class to bring its own CSS then parses everything a fourth time. On 2 cores that is
~10 ms a parse of the app's CSS, paid three times over before the first frame of every start
and again on the first visit to each screen.

Here `set_variables` with the variables already set changes nothing, and `reparse()` is
`parse()` on this stylesheet, whose cache keeps the rules of every source parsed with the
current variables. Nothing else differs: `parse()` too leaves the rules as they were when a
source fails to parse (and remembers it as invalid), which is why Textual reparses into a
fresh stylesheet. A new theme sets new variables, which clears the cache as before.
"""

from __future__ import annotations

from textual.css.stylesheet import Stylesheet


class ParsedOnceStylesheet(Stylesheet):
    def set_variables(self, variables: dict[str, str]) -> None:
        if variables != self._variables:
            super().set_variables(variables)

    def reparse(self) -> None:
        self.parse()
