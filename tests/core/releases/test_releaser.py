from __future__ import annotations

import shlex
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.models.errors import InvalidInput
from core.releases.releaser import CommandReleaser, ReleaseFailed

PYTHON = shlex.quote(sys.executable)


def script(folder: Path, body: str) -> Path:
    path = folder / "release.py"
    path.write_text(textwrap.dedent(body))
    return path


def test_a_zero_exit_returns_the_last_stdout_line_as_the_reference(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        import sys
        print("building", sys.argv[1], sys.argv[2])
        print("run-8812")
        print()
        """,
    )
    releaser = CommandReleaser(f"{PYTHON} release.py {{repo}} {{version}}", tmp_path)

    assert releaser.release("org/a", "1.2.0", "d", "bot") == "run-8812"


def test_output_that_is_not_an_id_gives_a_made_up_reference(tmp_path: Path) -> None:
    script(tmp_path, 'print("Released it, all good!")\n')
    releaser = CommandReleaser(f"{PYTHON} release.py", tmp_path)

    assert releaser.release("org/a", "1.2.0", "d", "bot") == "cmd-org/a-1.2.0"


def test_every_placeholder_is_substituted_inside_its_argument(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        import json, sys
        open("args.json", "w").write(json.dumps(sys.argv[1:]))
        """,
    )
    releaser = CommandReleaser(
        f"{PYTHON} release.py --repo={{repo}} {{version}} {{digest}} 'by {{by}}' {{other}}",
        tmp_path,
    )

    releaser.release("org/a", "1.2.0", "abc123", "kim")

    assert (tmp_path / "args.json").read_text() == (
        '["--repo=org/a", "1.2.0", "abc123", "by kim", "{other}"]'
    )


def test_hostile_values_reach_the_command_as_plain_arguments(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        import json, sys
        open("args.json", "w").write(json.dumps(sys.argv[1:]))
        """,
    )
    releaser = CommandReleaser(f"{PYTHON} release.py {{repo}} {{version}}", tmp_path)

    releaser.release("x; touch pwned", "$(touch pwned2) {digest}", "d", "bot")

    assert (tmp_path / "args.json").read_text() == (
        '["x; touch pwned", "$(touch pwned2) {digest}"]'
    )
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "pwned2").exists()


def test_a_non_zero_exit_fails_naming_command_status_and_stderr(tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        import sys
        for n in range(5):
            print(f"log line {n}", file=sys.stderr)
        sys.exit(3)
        """,
    )
    releaser = CommandReleaser(f"{PYTHON} release.py {{repo}}", tmp_path)

    with pytest.raises(ReleaseFailed) as caught:
        releaser.release("org/a", "1.0", "d", "bot")

    assert caught.value.reason == (
        f"`{shlex.join([sys.executable, 'release.py', 'org/a'])}` exited with status 3: "
        "log line 2 | log line 3 | log line 4"
    )


def test_a_command_that_runs_too_long_is_stopped_and_fails(tmp_path: Path) -> None:
    script(tmp_path, "import time\ntime.sleep(30)\n")
    releaser = CommandReleaser(f"{PYTHON} release.py", tmp_path, timeout_s=0.3)

    started = time.monotonic()
    with pytest.raises(ReleaseFailed, match=r"timed out after 0\.3s"):
        releaser.release("org/a", "1.0", "d", "bot")

    # Far below the script's 30 s: the command was stopped, not waited for.
    assert time.monotonic() - started < 10


def test_a_missing_executable_fails_naming_it(tmp_path: Path) -> None:
    releaser = CommandReleaser("./no-such-release-script {repo}", tmp_path)

    with pytest.raises(ReleaseFailed, match=r"`./no-such-release-script org/a` could not start"):
        releaser.release("org/a", "1.0", "d", "bot")


def test_an_unbalanced_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="invalid release_command"):
        CommandReleaser("./release.sh '{repo}", tmp_path)


def test_an_empty_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="release_command is empty"):
        CommandReleaser("   ", tmp_path)
