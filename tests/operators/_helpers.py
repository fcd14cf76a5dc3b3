"""Event builders and in-memory fakes of the client for the operator tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.notification import OnNext
from reactivex.testing import TestScheduler
from reactivex.testing.mockobserver import MockObserver

from superme_rx.models import (
    Attachment,
    Event,
    InterviewStart,
    InterviewStatus,
    MessageReply,
    SubmitResult,
    Transcript,
)


def stage(
    number: int | None, name: str | None = None, sse_id: str | None = None
) -> Event:
    """A ``stage_change`` event."""
    return Event.from_payload(
        {"event": "stage_change", "stage_number": number, "stage_name": name}, sse_id
    )


def token(
    text: str,
    role: str = "company",
    number: int | None = None,
    sse_id: str | None = None,
) -> Event:
    """A ``token`` event; ``number`` is left out of the payload when None."""
    payload: dict[str, Any] = {"event": "token", "role": role, "token": text}
    if number is not None:
        payload["stage_number"] = number
    return Event.from_payload(payload, sse_id)


def message(
    content: str,
    role: str | None = "company",
    number: int | None = None,
    sse_id: str | None = None,
) -> Event:
    """A ``message`` event; ``role`` and ``number`` are left out when None."""
    payload: dict[str, Any] = {"event": "message", "content": content}
    if role is not None:
        payload["role"] = role
    if number is not None:
        payload["stage_number"] = number
    return Event.from_payload(payload, sse_id)


def status(value: str, sse_id: str | None = None) -> Event:
    """A ``status`` event."""
    return Event.from_payload({"event": "status", "status": value}, sse_id)


def values(observer: MockObserver[Any]) -> list[tuple[float, Any]]:
    """The tick and value of each ``on_next`` an observer recorded."""
    return [
        (record.time, record.value.value)
        for record in observer.messages
        if isinstance(record.value, OnNext)
    ]


def after(scheduler: TestScheduler, ticks: float, value: Any) -> Observable[Any]:
    """Emit ``value`` and complete, or raise it if an exception, ``ticks`` later."""
    timer = reactivex.timer(ticks, scheduler=scheduler)
    if isinstance(value, Exception):
        error = value
        return timer.pipe(ops.flat_map(lambda _: reactivex.throw(error)))
    return timer.pipe(ops.map(lambda _: value))


class FakeSender:
    """A ``MessageSender`` answering from a script, in virtual time.

    Each call records (tick, interview id, message, stage number) when its
    request is made, that is when subscribed, and answers ``delay`` ticks later
    with the next scripted result: a ``MessageReply``, or an exception raised.
    ``closed`` records the tick each request ended, answered or cancelled.
    """

    def __init__(
        self,
        scheduler: TestScheduler,
        results: Sequence[MessageReply | Exception] = (),
        delay: float = 10,
    ) -> None:
        self.scheduler = scheduler
        self.results = list(results)
        self.delay = delay
        self.calls: list[tuple[float, str, str, int | None]] = []
        self.closed: list[float] = []

    def send_interview_message(
        self,
        interview_id: str,
        message: str,
        *,
        stage_number: int | None = None,
        attachments: Sequence[Attachment] | None = None,
    ) -> Observable[MessageReply]:
        """Record the call and answer from the script."""

        def subscribe(
            observer: abc.ObserverBase[MessageReply],
            scheduler_: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            self.calls.append(
                (self.scheduler.clock, interview_id, message, stage_number)
            )
            result = self.results.pop(0) if self.results else reply_to(message)
            answer = after(self.scheduler, self.delay, result)
            closed = ops.finally_action(
                lambda: self.closed.append(self.scheduler.clock)
            )
            return answer.pipe(closed).subscribe(observer)

        return Observable(subscribe)


def reply_to(text: str) -> MessageReply:
    """The interviewer's answer the fake gives to ``text`` by default."""
    return MessageReply(interview_id="iv-1", message=f"noted: {text}")


class FakeClient(FakeSender):
    """A ``LifecycleClient`` over a given event stream, in virtual time.

    Every REST call answers ``delay`` ticks after it is made; ``statuses`` are
    the successive ``get_interview_status`` answers (the last one repeats).
    ``requests`` records (tick, method name) of each call as it is made.
    """

    def __init__(
        self,
        scheduler: TestScheduler,
        events: Observable[Event],
        *,
        statuses: Sequence[str] = ("scored",),
        submit: SubmitResult | Exception | None = None,
        transcript: Transcript | None = None,
        delay: float = 10,
    ) -> None:
        super().__init__(scheduler, delay=delay)
        self.events = events
        self.statuses = list(statuses)
        self.submit = submit or SubmitResult(status="submitted")
        self.transcript = transcript or Transcript()
        self.requests: list[tuple[float, str]] = []
        self.stream_subscriptions = 0

    def _answer(self, name: str, value: Any) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any], scheduler_: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            self.requests.append((self.scheduler.clock, name))
            return after(self.scheduler, self.delay, value).subscribe(observer)

        return Observable(subscribe)

    def start_interview(self, role_id: str) -> Observable[InterviewStart]:
        """Answer with interview ``iv-<role id>``."""
        return self._answer("start", InterviewStart(interview_id=f"iv-{role_id}"))

    def stream_interview(self, interview_id: str) -> Observable[Event]:
        """Give the scripted events, counting subscriptions."""

        def subscribe(
            observer: abc.ObserverBase[Event],
            scheduler_: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            self.requests.append((self.scheduler.clock, "stream"))
            self.stream_subscriptions += 1
            return self.events.subscribe(observer)

        return Observable(subscribe)

    def submit_interview(self, interview_id: str) -> Observable[SubmitResult]:
        """Answer with the scripted submit result, or raise it."""
        return self._answer("submit", self.submit)

    def get_interview_status(self, interview_id: str) -> Observable[InterviewStatus]:
        """Answer with the next scripted status."""
        value = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        snapshot = InterviewStatus(interview_id=interview_id, status=value)
        return self._answer("status", snapshot)

    def get_interview_transcript(self, interview_id: str) -> Observable[Transcript]:
        """Answer with the scripted transcript."""
        return self._answer("transcript", self.transcript)
