"""Real child processes for the command line and example tests: env, pty, screen."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import pexpect

CLI = str(Path(sys.executable).with_name("superme-rx"))
"""The console script installed beside the interpreter running the tests."""

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""The escape sequences rich writes: colours, cursor moves, line erasing."""


def default_sigint() -> None:
    """In the child: let Ctrl-C interrupt, even if the tests run with it ignored.

    A shell starts background jobs with SIGINT ignored, and children inherit
    that; Python then installs no KeyboardInterrupt handler of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli_env() -> dict[str, str]:
    """The test's environment for a child, with a terminal type and no colour rules."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.pop("COLUMNS", None)
    return {**env, "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}


class Screen:
    """The little of a VT100 that rich's ``Live`` uses: enough to see the screen."""

    _TOKENS = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")

    def __init__(self, output: str) -> None:
        self.rows: list[list[str]] = [[]]
        row = col = 0
        for match in self._TOKENS.finditer(output):
            token = match.group(0)
            if token == "\r":
                col = 0
            elif token == "\n":
                row += 1
                self.rows.extend([] for _ in range(row + 1 - len(self.rows)))
            elif match.group(2) == "A":
                row = max(0, row - int(match.group(1) or 1))
            elif match.group(2) == "K":
                del self.rows[row][0 if match.group(1) == "2" else col :]
            elif match.group(2) is None:
                line = self.rows[row]
                line.extend(" " * (col - len(line)))
                line[col : col + len(token)] = token
                col += len(token)

    @property
    def text(self) -> str:
        """What the screen (and its scrollback) shows, trailing blanks removed."""
        return "\n".join("".join(r).rstrip() for r in self.rows).strip()


class Terminal:
    """The command line in a pseudo-terminal of 40 rows by 120 columns."""

    def __init__(self, *args: str) -> None:
        self.child = pexpect.spawn(
            CLI,
            list(args),
            env=cli_env(),
            dimensions=(40, 120),
            encoding="utf-8",
            preexec_fn=default_sigint,
        )
        self.raw = ""

    @property
    def screen(self) -> str:
        """What the terminal shows now, scrollback included."""
        return Screen(self.raw).text

    @property
    def drawn(self) -> str:
        """Everything ever drawn, without escapes, even if later drawn over."""
        return ANSI.sub("", self.raw)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """Read until ``text`` has been drawn; return the screen then.

        A live panel may draw ``text`` and replace it within one read, so
        the drawing is searched rather than the screen at the end of it.
        """
        deadline = time.monotonic() + timeout
        while text not in self.drawn:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never showed; the screen:\n{self.screen}"
            self.raw += self.child.read_nonblocking(65536, timeout=left)
        return self.screen

    def close(self) -> None:
        """End the child if it still runs, as after a failed test."""
        self.child.close(force=True)

    def wait_exit(self, timeout: float = 20) -> int:
        """Read to the end and return the exit status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.raw += self.child.before
        self.child.close()
        return int(self.child.exitstatus)
