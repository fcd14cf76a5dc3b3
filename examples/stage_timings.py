"""Time each stage of an interview, and count its events, stage by stage.

    python examples/stage_timings.py

``group_by_stage`` cuts the stream into one inner Observable per stage;
``stage_summaries`` gives each stage's messages and its start and end on the
scheduler's clock. Both read the same shared stream as ``auto_reply``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reactivex
from _service import connect, role_id
from reactivex import GroupedObservable, Observable
from reactivex import operators as ops

from superme_rx import Event
from superme_rx.operators import (
    Prompt,
    Stage,
    StageSummary,
    auto_reply,
    group_by_stage,
    stage_summaries,
)


def answer(prompt: Prompt) -> str:
    """Answer every question alike."""
    return "I would keep it simple and measure before optimising."


def tally(group: GroupedObservable[Stage, Event]) -> Observable[tuple[Stage, int]]:
    """Count one stage's events once the interview leaves it."""
    return group.pipe(ops.count(), ops.map(lambda n: (group.key, n)))


async def main() -> None:
    """Run an interview, then print a table of its stages."""
    async with connect() as (client, _):
        interview_id = (await client.start_interview(role_id())).interview_id
        events = client.stream_interview(interview_id)

        # fork_join subscribes to all three at once and waits for every end.
        results: tuple[Any, ...] = await reactivex.fork_join(
            events.pipe(group_by_stage(), ops.flat_map(tally), ops.to_list()),
            events.pipe(stage_summaries(), ops.to_list()),
            events.pipe(auto_reply(client, interview_id, answer), ops.to_list()),
        )
    counts: dict[int | None, int] = {stage.number: n for stage, n in results[0]}
    summaries: list[StageSummary] = results[1]

    print(f"{'stage':>5}  {'name':<26}{'events':>7}{'messages':>9}{'seconds':>9}")
    for summary in summaries:
        number = "-" if summary.number is None else str(summary.number)
        name = summary.name or "(before the first stage)"
        seconds = summary.duration.total_seconds()
        print(
            f"{number:>5}  {name:<26}{counts.get(summary.number, 0):>7}"
            f"{len(summary.messages):>9}{seconds:>9.2f}"
        )
    longest = max(summaries, key=lambda s: s.duration)
    total = (summaries[-1].ended - summaries[0].started).total_seconds()
    print(f"{len(summaries)} spans in {total:.2f} s; longest: {longest.name}")


if __name__ == "__main__":
    asyncio.run(main())
