"""Run many interviews at once, with a bound on how many run together.

    python examples/many_interviews.py

``run_interviews`` merges one ``run_interview`` per role id, starting the next
only when fewer than ``max_concurrent`` are running.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from _service import connect, role_id
from reactivex import operators as ops

from superme_rx.operators import Progress, ProgressKind, Prompt, run_interviews
from superme_rx.simulator import ROLE_FAILED, ROLE_WITHDRAWN

INTERVIEWS = 8
MAX_CONCURRENT = 3


def answer(prompt: Prompt) -> str:
    """Answer every question alike."""
    return "I would split the work and measure each part."


class Tracker:
    """Counts the interviews running, and the most that ran at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.final: dict[str, str] = {}

    def __call__(self, progress: Progress) -> None:
        """Take one step of any run."""
        short = progress.interview_id[-6:]
        if progress.kind is ProgressKind.STARTED:
            self.running += 1
            self.peak = max(self.peak, self.running)
            print(f"start  {short} {progress.role_id:<22} running: {self.running}")
        elif progress.kind in (ProgressKind.COMPLETED, ProgressKind.SCORED):
            self.final[progress.interview_id] = progress.status or "?"
        elif progress.kind is ProgressKind.TRANSCRIPT:
            self.running -= 1
            status = self.final.get(progress.interview_id)
            print(f"finish {short} {status:<22} running: {self.running}")


async def main() -> None:
    """Run the interviews and report how they ended."""
    async with connect() as (client, simulator):
        roles = [role_id()] * INTERVIEWS
        if simulator is not None:
            roles[-2:] = [ROLE_FAILED, ROLE_WITHDRAWN]
        tracker = Tracker()
        began = time.monotonic()
        runs = run_interviews(
            client,
            roles,
            answer,
            max_concurrent=MAX_CONCURRENT,
            poll_interval=0.05,
        )
        await runs.pipe(ops.do_action(tracker), ops.to_list())

    took = time.monotonic() - began
    print(f"{len(roles)} interviews in {took:.1f} s, at most {tracker.peak} at once")
    print(f"final statuses: {dict(sorted(Counter(tracker.final.values()).items()))}")


if __name__ == "__main__":
    asyncio.run(main())
