"""run_interview and run_interviews in virtual time, against an in-memory client."""

from __future__ import annotations

from typing import Any

import pytest
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.mockobserver import MockObserver

from superme_rx.errors import ApiError, InvalidArgumentError, StreamError
from superme_rx.models import SubmitResult, Transcript, TranscriptStage
from superme_rx.operators import (
    Progress,
    ProgressKind,
    Prompt,
    ReplyStatus,
    Stage,
    run_interview,
    run_interviews,
)

from ._helpers import FakeClient, message, stage, status, values

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe

K = ProgressKind
TRANSCRIPT = Transcript(transcript=(TranscriptStage(stage_number=1, name="Intro"),))


def echo(prompt: Prompt) -> str:
    """Answer every question with a fixed reply naming it."""
    return f"A: {prompt.question}"


def _kinds(observer: MockObserver[Any]) -> list[tuple[float, ProgressKind]]:
    return [(tick, progress.kind) for tick, progress in values(observer)]


def _interview(scheduler: TestScheduler, *end: Any) -> Any:
    """A hot stream: stage 1 asks Q1 at 230 and waits at 240, stage 2 at 260."""
    return scheduler.create_hot_observable(
        on_next(220, stage(1, "Intro")),
        on_next(230, message("Q1")),
        on_next(240, status("awaiting_input")),
        on_next(260, stage(2, "Wrap")),
        *end,
    )


def test_run_interview_reports_every_step_and_ends_with_transcript() -> None:
    """Start, stages, reply, completion, submit, score and transcript, in order."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    client = FakeClient(
        scheduler, xs, statuses=("scoring", "scored"), transcript=TRANSCRIPT
    )

    results = scheduler.start(
        lambda: run_interview(client, "r1", echo, poll_interval=5)
    )

    assert _kinds(results) == [
        (210, K.STARTED),
        (220, K.STAGE),
        (250, K.REPLY),
        (260, K.STAGE),
        (270, K.COMPLETED),
        (280, K.SUBMITTED),
        (305, K.SCORED),
        (315, K.TRANSCRIPT),
    ]
    assert results.messages[-1] == on_completed(315)
    progress: list[Progress] = [p for _, p in values(results)]
    assert {(p.role_id, p.interview_id) for p in progress} == {("r1", "iv-r1")}
    assert [p.stage for p in progress if p.kind is K.STAGE] == [
        Stage(1, "Intro"),
        Stage(2, "Wrap"),
    ]
    reply = progress[2].outcome
    assert reply is not None and (reply.status, reply.reply) == (
        ReplyStatus.SENT,
        "A: Q1",
    )
    assert progress[4].status == "completed"
    assert progress[5].submit == SubmitResult(status="submitted")
    assert progress[6].snapshot is not None and progress[6].status == "scored"
    assert progress[7].transcript == TRANSCRIPT
    assert client.requests == [
        (200, "start"),
        (210, "stream"),
        (270, "submit"),
        (280, "status"),
        (295, "status"),
        (305, "transcript"),
    ]
    assert client.stream_subscriptions == 1
    assert xs.subscriptions == [subscribe(210, 270)]


def test_run_interview_takes_submit_conflict_as_done() -> None:
    """A 409 on submit means already submitted: the run goes on."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    conflict = ApiError(409, "POST", "/submit", "already submitted")
    client = FakeClient(scheduler, xs, submit=conflict)

    results = scheduler.start(lambda: run_interview(client, "r1", echo))

    submitted = [p for _, p in values(results) if p.kind is K.SUBMITTED]
    assert [p.submit for p in submitted] == [None]
    assert _kinds(results)[-1] == (300, K.TRANSCRIPT)


def test_run_interview_fails_on_submit_error() -> None:
    """Any other submit failure ends the run with that error."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    oops = ApiError(500, "POST", "/submit", "oops")
    client = FakeClient(scheduler, xs, submit=oops)

    results = scheduler.start(lambda: run_interview(client, "r1", echo))

    assert results.messages[-1] == on_error(280, oops)


def test_run_interview_skips_submit_and_score_when_withdrawn() -> None:
    """A withdrawn interview is neither submitted nor polled; its transcript comes."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("withdrawn")), on_completed(270))
    client = FakeClient(scheduler, xs)

    results = scheduler.start(lambda: run_interview(client, "r1", echo))

    assert _kinds(results)[-2:] == [(270, K.COMPLETED), (280, K.TRANSCRIPT)]
    assert [name for _, name in client.requests] == ["start", "stream", "transcript"]


def test_run_interview_asks_status_when_stream_ends_without_one() -> None:
    """A stream completing with no terminal status is followed by a status fetch."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_completed(270))
    client = FakeClient(scheduler, xs, statuses=("completed", "scored"))

    results = scheduler.start(lambda: run_interview(client, "r1", echo))

    assert _kinds(results)[-4:] == [
        (280, K.COMPLETED),
        (290, K.SUBMITTED),
        (300, K.SCORED),
        (310, K.TRANSCRIPT),
    ]


def test_run_interview_fails_when_stream_ends_mid_interview() -> None:
    """A stream ending while the interview is still running is a StreamError."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_completed(270))
    client = FakeClient(scheduler, xs, statuses=("in_progress",))

    results = scheduler.start(lambda: run_interview(client, "r1", echo))

    last = results.messages[-1]
    assert last.time == 280
    assert isinstance(getattr(last.value, "exception", None), StreamError)


def test_run_interview_bounds_status_polls() -> None:
    """Polling stops with a TimeoutError after max_polls answers without a score."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    client = FakeClient(scheduler, xs, statuses=("scoring",))

    results = scheduler.start(
        lambda: run_interview(client, "r1", echo, poll_interval=30, max_polls=3)
    )

    # Polls answer at 290, 330 and 370.
    last = results.messages[-1]
    assert last.time == 370
    assert isinstance(getattr(last.value, "exception", None), TimeoutError)
    assert [tick for tick, name in client.requests if name == "status"] == [
        280,
        320,
        360,
    ]


def test_run_interview_disposal_cancels_everything() -> None:
    """Disposing mid-reply unsubscribes the stream and cancels the POST."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    client = FakeClient(scheduler, xs)

    results = scheduler.start(lambda: run_interview(client, "r1", echo), disposed=245)

    assert _kinds(results) == [(210, K.STARTED), (220, K.STAGE)]
    assert xs.subscriptions == [subscribe(210, 245)]
    assert client.closed == [245]


def test_run_interview_dry_run_sends_nothing() -> None:
    """Options reach auto_reply: a dry run reports the reply without a POST."""
    scheduler = TestScheduler()
    xs = _interview(scheduler, on_next(270, status("completed")), on_completed(270))
    client = FakeClient(scheduler, xs)

    results = scheduler.start(lambda: run_interview(client, "r1", echo, dry_run=True))

    outcomes = [p.outcome for _, p in values(results) if p.outcome is not None]
    assert [o.status for o in outcomes] == [ReplyStatus.DRY_RUN]
    assert client.calls == []


@pytest.mark.parametrize(
    ("max_concurrent", "starts", "end"),
    [(None, [200, 200], 250), (1, [200, 250], 300), (2, [200, 200], 250)],
)
def test_run_interviews_bounds_concurrency(
    max_concurrent: int | None, starts: list[float], end: int
) -> None:
    """With max_concurrent=1 the second interview starts after the first ends."""
    scheduler = TestScheduler()
    cold = scheduler.create_cold_observable(
        on_next(10, stage(1, "Intro")),
        on_next(20, status("scored")),
        on_completed(20),
    )
    client = FakeClient(scheduler, cold)

    results = scheduler.start(
        lambda: run_interviews(client, ["a", "b"], echo, max_concurrent=max_concurrent)
    )

    started = [tick for tick, name in client.requests if name == "start"]
    assert started == starts
    finals = [(p.role_id, p.kind) for _, p in values(results) if p.kind is K.TRANSCRIPT]
    assert sorted(finals) == [("a", K.TRANSCRIPT), ("b", K.TRANSCRIPT)]
    assert results.messages[-1] == on_completed(end)


def test_run_interviews_refuses_zero_concurrency() -> None:
    """max_concurrent below 1 is refused at once."""
    client = FakeClient(TestScheduler(), TestScheduler().create_cold_observable())
    with pytest.raises(InvalidArgumentError):
        run_interviews(client, ["a"], echo, max_concurrent=0)


@pytest.mark.parametrize("options", [{"poll_interval": -1.0}, {"max_polls": 0}])
def test_run_interview_refuses_bad_options(options: dict[str, Any]) -> None:
    """A negative poll interval or no polls at all is refused at once."""
    client = FakeClient(TestScheduler(), TestScheduler().create_cold_observable())
    with pytest.raises(InvalidArgumentError):
        run_interview(client, "r1", echo, **options)
