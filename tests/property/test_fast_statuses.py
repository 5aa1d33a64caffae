"""The list's shortcut for task statuses agrees with the full parser on tasks.md shapes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.ito.fast_statuses import fast_statuses
from core.ito.tasks import parse_tasks
from core.ito.text import normalize

LABELS = ["pending", "in-progress", "complete", "shelved", "done", "", "Complete", " complete"]
MARKS = ["[ ]", "[x]", "[>]", "[-]", "[X]", "", "[?]"]
# Unicode whitespace too: `str.strip` and the regexes' `\s` must agree on what indents.
INDENT = st.sampled_from(["", " ", "  ", "\t", "    ", "\u00a0", "\x0b", "\u2003 "])

line = st.one_of(
    st.builds(
        lambda i, n: f"{i}### Task {n}: Do thing {n}",
        INDENT,
        st.sampled_from(["1.1", "1.2", "2.1", "x"]),
    ),
    st.builds(lambda n: f"### {n}: Plain id task", st.sampled_from(["1.1", "3.2"])),
    st.builds(lambda n: f"### Checkpoint: Review {n}", st.integers(0, 3)),
    st.sampled_from(["### :x", "###\tTask 2.1:\u00a0 Go", "### Checkpoint:x", "###  a:b: c"]),
    st.builds(
        lambda n, t: f"## Wave {n}{t}",
        st.integers(1, 3),
        st.sampled_from(["", ": Build", " - Ship"]),
    ),
    st.sampled_from(
        [
            "# Tasks for: 001-01_x",
            "## Checkpoints",
            "## Notes",
            "#### Sub",
            "#nohash",
            "##",
            "- **Depends On**: None",
        ]
    ),
    st.builds(
        lambda i, b, m, label, key: f"{i}{b} **{key}**: {m} {label}".rstrip(),
        INDENT,
        st.sampled_from(["-", "*"]),
        st.sampled_from(MARKS),
        st.sampled_from(LABELS),
        st.sampled_from(["Status", " Status ", "status", "Files"]),
    ),
    st.builds(
        lambda i, m, rest: f"{i}- [{m}] {rest}",
        INDENT,
        st.sampled_from(" xX~>-?"),
        st.sampled_from(["1.1 Do", "Do it", "2: x", ""]),
    ),
    st.builds(
        lambda i, m, rest: f"{i}* [{m}]{rest}",  # no space after the box: not a task
        INDENT,
        st.sampled_from(" xX~>"),
        st.sampled_from(["", "done", "\u00a0x"]),
    ),
    st.sampled_from(["- **Status**: [x]complete", "- **Status**: []] done", "- **Status**:[>]"]),
    st.sampled_from(
        ["```", "~~~", "```python", "", "text", "  continued field", "<!-- ITO:START -->", "-", "*"]
    ),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(line, max_size=40), st.sampled_from(["\n", "\r\n"]))
def test_shortcut_statuses_equal_the_full_parse(lines: list[str], newline: str) -> None:
    text = newline.join(lines) + newline
    quick = fast_statuses(normalize(text))
    full = [task.status for task in parse_tasks(text, "tasks.md").tasks]
    if quick is not None:
        assert quick == full


@settings(max_examples=200, deadline=None)
@given(st.lists(line, max_size=40))
def test_shortcut_declines_files_with_code_fences(lines: list[str]) -> None:
    text = "\n".join([*lines, "```", "- [x] 9 inside a fence", "```"])
    assert fast_statuses(normalize(text)) is None
