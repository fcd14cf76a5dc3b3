"""auto_reply with coroutine responders, on a real asyncio loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import reactivex
from reactivex import Observable
from reactivex.scheduler.eventloop import AsyncIOScheduler
from reactivex.subject import Subject
from reactivex.testing import ReactiveTest, TestScheduler

from superme_rx._types import Operator
from superme_rx.models import Attachment, Event, MessageReply
from superme_rx.operators import Prompt, ReplyOutcome, ReplyStatus, auto_reply

from ._helpers import FakeSender, message, stage, status, values

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed


class InstantSender:
    """A ``MessageSender`` answering at once, recording each message."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_interview_message(
        self,
        interview_id: str,
        message: str,
        *,
        stage_number: int | None = None,
        attachments: Sequence[Attachment] | None = None,
    ) -> Observable[MessageReply]:
        """Record ``message`` and answer with an empty reply."""
        self.sent.append(message)
        return reactivex.of(MessageReply(interview_id=interview_id))


_WAITS = (
    stage(1, "Intro"),
    message("Q1"),
    status("awaiting_input"),
    message("Q2"),
    status("awaiting_input"),
)


async def _run(
    events: Sequence[Event],
    op: Operator[Event, ReplyOutcome],
    loop: asyncio.AbstractEventLoop,
) -> list[ReplyOutcome]:
    """Push ``events`` through ``op`` on the loop; gather the outcomes."""
    subject: Subject[Event] = Subject()
    done: asyncio.Future[None] = loop.create_future()
    outcomes: list[ReplyOutcome] = []
    subject.pipe(op).subscribe(
        outcomes.append,
        done.set_exception,
        lambda: done.set_result(None),
        scheduler=AsyncIOScheduler(loop),
    )
    for event in events:
        subject.on_next(event)
    subject.on_completed()
    await asyncio.wait_for(done, timeout=5)
    return outcomes


async def test_auto_reply_awaits_coroutine_responder() -> None:
    """A coroutine responder's result is sent, prompts still one at a time."""
    loop = asyncio.get_running_loop()
    sender = InstantSender()
    running = 0

    async def respond(prompt: Prompt) -> str:
        nonlocal running
        running += 1
        assert running == 1, "two prompts were being answered at once"
        await asyncio.sleep(0)
        running -= 1
        return f"async {prompt.question}"

    outcomes = await _run(_WAITS, auto_reply(sender, "iv-1", respond), loop)

    assert [(o.status, o.reply) for o in outcomes] == [
        (ReplyStatus.SENT, "async Q1"),
        (ReplyStatus.SENT, "async Q2"),
    ]
    assert sender.sent == ["async Q1", "async Q2"]


async def test_auto_reply_cancels_coroutine_past_timeout() -> None:
    """A coroutine exceeding the timeout is cancelled and gives an error outcome."""
    loop = asyncio.get_running_loop()
    cancelled = asyncio.Event()

    async def stuck(prompt: Prompt) -> str:
        if prompt.question == "Q2":
            return "quick"
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    op = auto_reply(InstantSender(), "iv-1", stuck, timeout=0.01)
    outcomes = await _run(_WAITS, op, loop)

    assert [o.status for o in outcomes] == [ReplyStatus.ERROR, ReplyStatus.SENT]
    assert isinstance(outcomes[0].error, TimeoutError)
    await asyncio.wait_for(cancelled.wait(), timeout=1)


def test_auto_reply_coroutine_needs_running_loop() -> None:
    """Without a running loop a coroutine responder gives an error outcome."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, message("Q1")),
        on_next(220, status("awaiting_input")),
        on_completed(230),
    )

    async def respond(prompt: Prompt) -> str:
        return "unreachable"

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(FakeSender(scheduler), "iv-1", respond))
    )

    ((tick, outcome),) = values(results)
    assert (tick, outcome.status) == (220, ReplyStatus.ERROR)
    assert isinstance(outcome.error, RuntimeError)
