"""What one harness run was asked for, handed to every scenario."""

from __future__ import annotations

import dataclasses
import sys
import time

__all__ = ["Settings"]


@dataclasses.dataclass(frozen=True)
class Settings:
    """The options of one ``python -m benchmarks`` run.

    Attributes:
        quick: Smaller sizes and fewer runs, for a smoke test in about a minute.
        reps: Measured runs of each contender, interleaved A B A B ...
        loops: The client event loops to measure, ``asyncio`` and/or ``uvloop``.
    """

    quick: bool
    reps: int
    loops: tuple[str, ...]

    def log(self, message: str) -> None:
        """Print one progress line to stderr, stamped with the wall clock."""
        sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
        sys.stderr.flush()
