"""Reading ito's Markdown files: strict UTF-8 decoding and fence-aware line splitting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.models.errors import ParseError

_BOM = b"\xef\xbb\xbf"
_ITO_MARKERS = ("<!-- ITO:START -->", "<!-- ITO:END -->")


def decode_utf8(data: bytes, path: str) -> str:
    """UTF-8 text (a leading BOM dropped), or a ParseError naming the line of the bad byte."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        line = body.count(b"\n", 0, err.start) + 1
        raise ParseError(
            path,
            line,
            f"not valid UTF-8 (byte 0x{body[err.start]:02x} at offset "
            f"{err.start + len(data) - len(body)})",
        ) from None


def read_utf8(path: Path) -> str:
    return decode_utf8(path.read_bytes(), str(path))


def read_utf8_if_exists(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return decode_utf8(data, str(path))


def normalize(text: str) -> str:
    """Drop a BOM, turn CRLF into LF, and remove ito's START/END markers (never content)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "<!-- ITO:" in text:
        for marker in _ITO_MARKERS:
            text = text.replace(marker, "")
    return text


def numbered_lines(normalized: str) -> list[tuple[int, str]]:
    """1-based lines split on LF only: `str.splitlines` would also split on form feeds and
    Unicode separators, shifting the line numbers diagnostics report."""
    lines = normalized.split("\n")
    if lines[-1] == "":
        lines.pop()
    return list(enumerate(lines, start=1))


@dataclass(frozen=True)
class ContentLines:
    """The lines of a Markdown file outside fenced code blocks, with 1-based numbers."""

    lines: list[tuple[int, str]]
    # Where a code fence was opened and never closed (everything after it is code).
    unclosed_fence_line: int | None


def _fence_of(stripped: str) -> str | None:
    """The opening run (``` or ~~~, three or more) a line starts with, if any."""
    if not stripped or stripped[0] not in "`~":
        return None
    char = stripped[0]
    run = len(stripped) - len(stripped.lstrip(char))
    return char * run if run >= 3 else None


def drop_code_blocks(numbered: Iterable[tuple[int, str]]) -> ContentLines:
    """Keep the lines outside fenced code blocks (CommonMark fences: a closing run of the
    same character, at least as long, and nothing else on its line)."""
    out: list[tuple[int, str]] = []
    fence: str | None = None
    fence_line = 0
    for number, line in numbered:
        stripped = line.lstrip()
        if fence is not None:
            closing = _fence_of(stripped)
            if (
                closing is not None
                and closing[0] == fence[0]
                and len(closing) >= len(fence)
                and not stripped[len(closing) :].strip()
            ):
                fence = None
        elif (opening := _fence_of(stripped)) is not None:
            fence, fence_line = opening, number
        else:
            out.append((number, line))
    return ContentLines(out, fence_line if fence is not None else None)


def content_lines(text: str) -> ContentLines:
    """The numbered lines outside code blocks, markers removed."""
    normalized = normalize(text)
    if "```" not in normalized and "~~~" not in normalized:
        return ContentLines(numbered_lines(normalized), None)
    return drop_code_blocks(numbered_lines(normalized))


def first_heading(text: str) -> str | None:
    """The text of the first `# ` heading outside code blocks."""
    for _, line in content_lines(text).lines:
        stripped = line.strip()
        if stripped.startswith("# "):
            return stripped[2:].strip()
    return None
