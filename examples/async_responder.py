"""A coroutine responder: each answer comes from a slow service, awaited.

    python examples/async_responder.py

``think`` stands in for a call to a language model or any other service; here
``asyncio.sleep`` plays that part. The library awaits the coroutine on the
running loop, so events keep flowing while it thinks, and gives up on it
after ``timeout`` seconds. ``run_interview`` does the rest: start, answer,
submit, wait for the score, fetch the transcript.
"""

from __future__ import annotations

import asyncio

from _service import connect, role_id
from reactivex import operators as ops

from superme_rx.operators import Progress, ProgressKind, Prompt, run_interview

THINKING_SECONDS = 0.3


async def think(prompt: Prompt) -> str:
    """Ask the slow service for an answer to the prompt's question."""
    await asyncio.sleep(THINKING_SECONDS)  # the network call would be here
    topic = (prompt.question or "that").rstrip("?").split()[-1]
    return f"On {topic}: I would start small, measure, and then scale out."


def show(progress: Progress) -> None:
    """Print one step of the run."""
    if progress.kind is ProgressKind.REPLY and progress.outcome is not None:
        outcome = progress.outcome
        print(
            f"   reply in stage {outcome.prompt.stage_number}: thought "
            f"{outcome.responder_seconds:.2f} s, sent in {outcome.post_seconds:.2f} s"
        )
    elif progress.kind is ProgressKind.STAGE and progress.stage is not None:
        print(f"{progress.kind}: {progress.stage.number} {progress.stage.name}")
    elif progress.kind is not ProgressKind.TRANSCRIPT:
        print(f"{progress.kind}: {progress.status or progress.interview_id}")


async def main() -> None:
    """Run one interview answered by the coroutine responder."""
    async with connect() as (client, _):
        run = run_interview(client, role_id(), think, timeout=5.0, poll_interval=0.1)
        steps = await run.pipe(ops.do_action(show), ops.to_list())

    replies = [p.outcome for p in steps if p.outcome is not None]
    slowest = max(outcome.responder_seconds for outcome in replies)
    final = steps[-1].transcript
    said = sum(len(stage.messages) for stage in final.transcript) if final else 0
    print(
        f"{len(replies)} replies, slowest {slowest:.2f} s; transcript: {said} messages"
    )


if __name__ == "__main__":
    asyncio.run(main())
