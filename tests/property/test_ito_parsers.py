"""Every ito parser takes any input: a result (with diagnostics) or a typed error, never a crash."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.ito.audit import event_line, parse_events_bytes
from core.ito.ids import (
    humanize,
    is_change_id,
    module_id_of,
    parse_archive_folder,
    parse_change_id,
    parse_module_folder,
    require_safe_component,
)
from core.ito.modules import parse_module_md_bytes, parse_module_yaml_description
from core.ito.tasks import parse_tasks, parse_tasks_bytes, task_statuses_bytes
from core.models.errors import InvalidInput, ParseError
from core.models.events import AuditEvent

SETTINGS = settings(max_examples=300, deadline=None)

# Lines that steer the parsers, mixed with arbitrary text to reach odd corners.
TASKS_FRAGMENTS = [
    "# Tasks for: 001-01_x",
    "## Wave 1",
    "## Wave 2: Later",
    "## Wave 99999999999999999999",
    "- **Depends On**: Wave 1, two",
    "- **Depends On**: None",
    "## Checkpoints",
    "### Task 1.1: First",
    "### 2.1: Second",
    "### Checkpoint: Review",
    "- **Status**: [x] complete",
    "- **Status**: [ ] pending",
    "- ** Status **: [>] in-progress",
    "  - **Status**: shelved",
    "- **Status**: [?] done",
    "- **Type**: checkpoint",
    "- **Action**:",
    "  continued action",
    "- **Updated At**: 2026-13-45",
    "- [ ] 1.1 checkbox",
    "* [x] starred",
    "\t- [~] tabbed",
    "- [>] 3: colon id",
    "```",
    "~~~~",
    "<!-- ITO:START -->",
    "<!-- ITO:END -->### Task 9.9: glued",
    "#hashtag",
    "",
]
markdown_lines = st.one_of(st.sampled_from(TASKS_FRAGMENTS), st.text(max_size=30))
line_breaks = st.sampled_from(["\n", "\r\n", "\r", "\x0c\n"])


@st.composite
def tasks_documents(draw: st.DrawFn) -> str:
    lines = draw(st.lists(markdown_lines, max_size=40))
    breaks = draw(st.lists(line_breaks, min_size=len(lines), max_size=len(lines)))
    prefix = draw(st.sampled_from(["", "\ufeff"]))
    return prefix + "".join(line + br for line, br in zip(lines, breaks, strict=True))


@SETTINGS
@given(st.binary(max_size=400))
def test_parse_tasks_bytes_answers_any_bytes(data: bytes) -> None:
    try:
        parsed = parse_tasks_bytes(data, "tasks.md")
    except ParseError as err:
        assert err.path == "tasks.md"
        assert err.line is not None and 1 <= err.line <= data.count(b"\n") + 1
        return
    assert parsed.format in ("enhanced", "checkbox")


@SETTINGS
@given(tasks_documents())
def test_parsed_tasks_point_at_real_lines(text: str) -> None:
    parsed = parse_tasks(text, "tasks.md")
    last_line = len(text.split("\n"))
    for task in parsed.tasks:
        assert task.line is not None and 1 <= task.line <= last_line
    for diagnostic in parsed.diagnostics:
        assert diagnostic.line is None or 1 <= diagnostic.line <= last_line
    progress = parsed.progress
    assert progress.remaining == progress.total - progress.complete - progress.shelved


@SETTINGS
@given(tasks_documents())
def test_the_status_only_reading_equals_the_full_parse(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    try:
        full = [task.status for task in parse_tasks_bytes(data, "t.md").tasks]
    except ParseError:
        return
    assert task_statuses_bytes(data, "t.md") == full


MODULE_FRAGMENTS = [
    "# Title",
    "## Purpose",
    "<!-- placeholder -->",
    "## Scope",
    "- scope-item",
    "* other",
    "## Changes",
    "- [x] 024-01_name",
    "- [ ]",
    "- [",
    "```",
    "##",
    "",
]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(MODULE_FRAGMENTS), st.text(max_size=20)), max_size=30))
def test_module_md_parses_any_text(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    try:
        doc = parse_module_md_bytes(data, "module.md")
    except ParseError as err:
        assert err.path == "module.md"
        return
    assert all(item for item in doc.scope)
    assert all(change and not change.isspace() for change in doc.changes)


@SETTINGS
@given(st.binary(max_size=300))
def test_module_md_answers_any_bytes(data: bytes) -> None:
    try:
        parse_module_md_bytes(data, "module.md")
    except ParseError as err:
        assert err.line is not None


@SETTINGS
@given(st.text(max_size=200))
def test_module_yaml_description_reads_any_text(text: str) -> None:
    description = parse_module_yaml_description(text)
    assert description is None or isinstance(description, str)


EVENT_LINES = [
    b'{"v":1,"ts":"2026-03-07T12:00:00.000Z","entity":"task","entity_id":"1.1","op":"create",'
    b'"actor":"cli","by":"@qa","ctx":{"session_id":"s"}}',
    b'{"v":1}',
    b"[1,2,3]",
    b"[" * 5000,
    b'{"v":1,"ts":"x","entity":"task","entity_id":"1","op":"o","actor":"a","by":"b","ctx":{}}',
    b"\xff\xfe",
    b"",
]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(EVENT_LINES), st.binary(max_size=40)), max_size=20))
def test_the_event_log_reader_never_crashes(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    events, diagnostics = parse_events_bytes(data, "events.jsonl")
    non_blank = sum(1 for raw in data.split(b"\n") if raw.strip())
    assert len(events) + len(diagnostics) == non_blank


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))
audit_events = st.builds(
    AuditEvent,
    ts=st.just("2026-03-07T12:00:00.000Z"),
    entity=st.text(min_size=1, max_size=10),
    entity_id=st.text(min_size=1, max_size=10),
    scope=st.none() | st.text(max_size=10),
    op=st.text(min_size=1, max_size=10),
    to=st.none() | st.text(max_size=10),
    actor=st.text(min_size=1, max_size=10),
    by=st.text(min_size=1, max_size=10),
    meta=st.none() | st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
    count=st.none() | st.integers(min_value=0, max_value=10),
    ctx=st.fixed_dictionaries({"session_id": st.text(min_size=1, max_size=10)}),
)


@SETTINGS
@given(st.lists(audit_events, max_size=5))
def test_appended_event_lines_read_back_as_the_same_events(events: list[AuditEvent]) -> None:
    try:
        data = "".join(event_line(event) for event in events).encode("utf-8")
    except InvalidInput:
        return  # a lone surrogate cannot be stored; refusing it is the right answer
    parsed, diagnostics = parse_events_bytes(data, "events.jsonl")
    assert diagnostics == []
    assert [e.to_json_dict() for e in parsed] == [json.loads(event_line(e)) for e in events]


@SETTINGS
@given(st.text(max_size=60))
def test_change_id_parsing_answers_any_text(text: str) -> None:
    try:
        parsed = parse_change_id(text)
    except InvalidInput:
        assert not is_change_id(text)
        assert module_id_of(text) is None
        return
    assert is_change_id(text)
    assert parsed.text == text
    assert module_id_of(text) == parsed.module


@SETTINGS
@given(
    st.from_regex(
        re.compile(r"[0-9]{3}(\.[0-9]{2})?-[0-9]{2,4}_[a-z][a-z0-9-]{0,20}"), fullmatch=True
    )
)
def test_every_id_of_the_grammar_parses_and_spells_back(text: str) -> None:
    assert str(parse_change_id(text)) == text


@SETTINGS
@given(st.text(alphabet=st.sampled_from("ab-_ \t\u00a0\u2003\x1c.0"), max_size=30))
def test_humanize_is_the_names_words_joined_by_single_spaces(name: str) -> None:
    words = [part for part in re.split(r"[-_\s]+", name) if part]
    sentence = " ".join(words)
    assert humanize(name) == sentence[:1].upper() + sentence[1:]


@SETTINGS
@given(st.text(max_size=40))
def test_the_other_id_helpers_answer_any_text(text: str) -> None:
    humanize(text)
    parse_module_folder(text)
    folder = parse_archive_folder(text)
    assert folder is None or is_change_id(folder[1])
    try:
        assert require_safe_component(text, "thing") == text
    except InvalidInput:
        assert text in ("", ".", "..") or any(c in text for c in "/\\\x00")
