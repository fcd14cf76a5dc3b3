"""Follow one interview's events as they arrive: stages, statuses, messages.

    python examples/follow_interview.py

The stream is hot and shared: the subscriptions below use one connection. A
canned answer to each question keeps the interview moving to its end.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from _service import connect, role_id
from reactivex import operators as ops

from superme_rx import StageChangeEvent, StatusEvent
from superme_rx.operators import Message, Prompt, assemble_messages, auto_reply, by_kind

SPEAKERS = {"company": "interviewer"}


def show_message(message: Message) -> None:
    """Print a whole message, the interviewer's streamed tokens joined."""
    who = SPEAKERS.get(message.role or "", message.role)
    print(f"   {who}: {message.content}")


def canned(prompt: Prompt) -> str:
    """Answer any question with the same line."""
    return "I would measure first, then fix the biggest cost."


async def main() -> None:
    """Start an interview and print its events until it ends."""
    async with connect() as (client, _):
        interview_id = (await client.start_interview(role_id())).interview_id
        print(f"interview {interview_id} started")
        events = client.stream_interview(interview_id)

        events.pipe(by_kind(StageChangeEvent)).subscribe(
            lambda e: print(f"-- stage {e.stage_number}: {e.stage_name}")
        )
        events.pipe(by_kind(StatusEvent)).subscribe(
            lambda e: print(f"   status: {e.status}")
        )
        events.pipe(assemble_messages()).subscribe(show_message)
        events.pipe(auto_reply(client, interview_id, canned)).subscribe()

        # Awaiting an Observable waits for its end: here, the terminal status.
        everything = await events.pipe(ops.to_list())

    kinds = Counter(event.kind for event in everything)
    print("events: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))


if __name__ == "__main__":
    asyncio.run(main())
