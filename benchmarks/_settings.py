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
        idle_baseline: Whether the idle scenario also measures aiohttp-sse-client.
    """

    quick: bool
    reps: int
    loops: tuple[str, ...]
    idle_baseline: bool = False

    @property
    def patience(self) -> float:
        """Seconds a run waits for the machine to go quiet before it starts."""
        return 0.0 if self.quick else 3.0

    def log(self, message: str) -> None:
        """Print one progress line to stderr, stamped with the wall clock."""
        sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
        sys.stderr.flush()
