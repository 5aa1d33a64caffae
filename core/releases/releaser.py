"""What actually releases one repo: aivcs's `RepoReleaser`, and a command-line one."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Protocol

from core.models.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{(repo|version|digest|by)\}")
# A release reference is one token: a run id, a URL, a tag.
RELEASE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/#@+=-]{0,199}")
STDERR_LINES = 3


class ReleaseFailed(Exception):
    """A release that did not happen. An outcome the sequencer records, not an error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Releaser(Protocol):
    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        """Release `repo_id` at `version_label`; returns a reference to the release's run.

        Raises ReleaseFailed when the release did not succeed.
        """
        ...


class CommandReleaser:
    """Runs a configured command per repo, e.g. `./release.sh {repo} {version}`.

    The template is split into arguments first and the placeholders are substituted inside
    each argument, with no shell: a repo or version cannot inject options or commands.
    Placeholders: {repo} {version} {digest} {by}.
    """

    def __init__(self, template: str, cwd: Path, timeout_s: float = 600) -> None:
        try:
            self._argv = shlex.split(template)
        except ValueError as exc:
            raise InvalidInput(f"invalid release_command {template!r}: {exc}") from None
        if not self._argv:
            raise InvalidInput("release_command is empty")
        if timeout_s <= 0:
            raise InvalidInput(f"release timeout must be positive, not {timeout_s}")
        self.template = template
        self.cwd = cwd
        self.timeout_s = timeout_s

    def command_for(
        self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str
    ) -> list[str]:
        values = {
            "repo": repo_id,
            "version": version_label,
            "digest": spec_digest,
            "by": promoted_by,
        }
        return [PLACEHOLDER.sub(lambda m: values[m.group(1)], arg) for arg in self._argv]

    def release(self, repo_id: str, version_label: str, spec_digest: str, promoted_by: str) -> str:
        argv = self.command_for(repo_id, version_label, spec_digest, promoted_by)
        shown = shlex.join(argv)
        try:
            process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                # Its own process group, so a timeout also stops what the script started.
                start_new_session=True,
            )
        except OSError as exc:
            raise ReleaseFailed(f"`{shown}` could not start: {exc.strerror or exc}") from None
        try:
            stdout, stderr = process.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            _, stderr = process.communicate()
            raise ReleaseFailed(
                f"`{shown}` timed out after {self.timeout_s:g}s{_tail(stderr)}"
            ) from None
        if process.returncode != 0:
            if process.returncode < 0:
                how = f"was killed by signal {-process.returncode}"
            else:
                how = f"exited with status {process.returncode}"
            raise ReleaseFailed(f"`{shown}` {how}{_tail(stderr)}")
        lines = [line.strip() for line in stdout.splitlines() if line.strip()]
        if lines and RELEASE_REF.fullmatch(lines[-1]):
            return lines[-1]
        return f"cmd-{repo_id}-{version_label}"


def _tail(stderr: str) -> str:
    """The last lines of stderr, on one line, to end a failure reason."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return f": {' | '.join(lines[-STDERR_LINES:])}" if lines else ""
