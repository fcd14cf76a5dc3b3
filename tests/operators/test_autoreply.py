"""auto_reply in virtual time, against an in-memory sender."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import reactivex
from reactivex import Observable
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.mockobserver import MockObserver

from superme_rx.errors import (
    ApiError,
    InvalidArgumentError,
    RateLimitError,
    TransportError,
)
from superme_rx.models import MessageReply
from superme_rx.operators import (
    Message,
    Prompt,
    ReplyOutcome,
    ReplyStatus,
    auto_reply,
)

from ._helpers import FakeSender, after, message, reply_to, stage, status, values

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def echo(prompt: Prompt) -> str:
    """Answer every question with a fixed reply naming it."""
    return f"A: {prompt.question}"


def _one_wait(*more: Any) -> list[Any]:
    """Stage 1 asks Q1 and waits at 230; ``more`` follows."""
    return [
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Q1")),
        on_next(230, status("awaiting_input")),
        *more,
    ]


def _summary(observer: MockObserver[Any]) -> list[tuple[float, str, str | None, int]]:
    """Tick, status, reply and attempts of each outcome."""
    return [(t, o.status, o.reply, o.attempts) for t, o in values(observer)]


def _connect_refused() -> TransportError:
    error = TransportError("POST", "/message", "ConnectError: refused")
    error.__cause__ = httpx.ConnectError("connection refused")
    return error


def _read_after_connect_retry() -> TransportError:
    error = TransportError("POST", "/message", "ReadError")
    error.__context__ = httpx.ConnectError("an earlier attempt was refused")
    return error


def test_auto_reply_sends_one_reply_per_prompt() -> None:
    """A wait gets one POST; its outcome carries reply, answer and timings."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))
    sender = FakeSender(scheduler)

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    prompt = Prompt("iv-1", 1, "Intro", "Q1", (Message("company", "Q1", 1),))
    outcome = ReplyOutcome(
        prompt=prompt,
        status=ReplyStatus.SENT,
        reply="A: Q1",
        answer=reply_to("A: Q1"),
        attempts=1,
        responder_seconds=0.0,
        post_seconds=10.0,
        total_seconds=10.0,
    )
    assert results.messages == [on_next(240, outcome), on_completed(300)]
    assert sender.calls == [(230, "iv-1", "A: Q1", 1)]


def test_auto_reply_ignores_duplicate_prompts_after_reconnect() -> None:
    """A wait re-announced in flight or after its reply is not answered again."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(235, message("Q1")),
            on_next(236, status("awaiting_input")),
            on_next(300, stage(1, "Intro")),
            on_next(310, message("Q1")),
            on_next(320, status("awaiting_input")),
            on_completed(400),
        )
    )
    sender = FakeSender(scheduler)

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    assert _summary(results) == [(240, ReplyStatus.SENT, "A: Q1", 1)]
    assert [call[0] for call in sender.calls] == [230]


def test_auto_reply_sends_replies_one_at_a_time_in_order() -> None:
    """A prompt arriving during a POST waits for it; order is kept."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(232, stage(2, "Design")),
            on_next(234, message("Q2")),
            on_next(236, status("awaiting_input")),
            on_completed(245),
        )
    )
    sender = FakeSender(scheduler)

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    assert _summary(results) == [
        (240, ReplyStatus.SENT, "A: Q1", 1),
        (250, ReplyStatus.SENT, "A: Q2", 1),
    ]
    assert results.messages[-1] == on_completed(250)
    assert [(c[0], c[3]) for c in sender.calls] == [(230, 1), (240, 2)]
    assert values(results)[1][1].total_seconds == 14.0


def test_auto_reply_turns_responder_error_into_outcome_and_goes_on() -> None:
    """A raising responder gives an error outcome; the next prompt is answered."""
    scheduler = TestScheduler()
    boom = ValueError("no idea")
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(240, message("Q2")),
            on_next(250, status("awaiting_input")),
            on_completed(300),
        )
    )
    sender = FakeSender(scheduler)

    def picky(prompt: Prompt) -> str:
        if prompt.question == "Q1":
            raise boom
        return "fine"

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", picky)))

    assert _summary(results) == [
        (230, ReplyStatus.ERROR, None, 0),
        (260, ReplyStatus.SENT, "fine", 1),
    ]
    assert values(results)[0][1].error is boom


def test_auto_reply_times_out_slow_responder() -> None:
    """A responder slower than the timeout gives an error outcome at the deadline."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(260, message("Q2")),
            on_next(270, status("awaiting_input")),
            on_completed(400),
        )
    )
    sender = FakeSender(scheduler)

    def slow_first(prompt: Prompt) -> Observable[str]:
        return after(scheduler, 50 if prompt.question == "Q1" else 5, "late")

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(sender, "iv-1", slow_first, timeout=20))
    )

    (t1, timed_out), (t2, sent) = values(results)
    assert (t1, timed_out.status, timed_out.responder_seconds) == (
        250,
        ReplyStatus.ERROR,
        20,
    )
    assert isinstance(timed_out.error, TimeoutError)
    assert (t2, sent.status, sent.responder_seconds, sent.post_seconds) == (
        285,
        ReplyStatus.SENT,
        5,
        10,
    )
    assert [call[0] for call in sender.calls] == [275]


def test_auto_reply_fatal_errors_end_the_stream() -> None:
    """With fatal_errors a responder failure reaches on_error."""
    scheduler = TestScheduler()
    boom = ValueError("no idea")
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))

    def fail(prompt: Prompt) -> str:
        raise boom

    results = scheduler.start(
        lambda: xs.pipe(
            auto_reply(FakeSender(scheduler), "iv-1", fail, fatal_errors=True)
        )
    )

    assert results.messages == [on_error(230, boom)]
    assert xs.subscriptions == [subscribe(200, 230)]


def test_auto_reply_skips_when_responder_gives_none() -> None:
    """None leaves the prompt to a person: a skipped outcome, no POST."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))
    sender = FakeSender(scheduler)

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(sender, "iv-1", lambda p: None))
    )

    ((tick, outcome),) = values(results)
    assert (tick, outcome.status, outcome.reason) == (
        230,
        ReplyStatus.SKIPPED,
        "the responder left it to a person",
    )
    assert sender.calls == []


def test_auto_reply_uses_last_value_of_observable_responder() -> None:
    """An Observable responder's last value is the reply."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))
    sender = FakeSender(scheduler)

    def drafts(prompt: Prompt) -> Observable[str]:
        return reactivex.of("draft", "final")

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", drafts)))

    assert _summary(results) == [(240, ReplyStatus.SENT, "final", 1)]


@pytest.mark.parametrize(
    ("failure", "first_wait"),
    [
        (TransportError("POST", "/m", "refused", request_sent=False), 1),
        (_connect_refused(), 1),
        (RateLimitError(429, "POST", "/m", "slow down", retry_after=30), 30),
        (RateLimitError(429, "POST", "/m", "slow down"), 1),
        (ApiError(503, "POST", "/m", "busy", retry_after=5), 5),
    ],
    ids=["not-sent", "connect-error-cause", "429-retry-after", "429-bare", "503"],
)
def test_auto_reply_retries_unprocessed_post(
    failure: Exception, first_wait: int
) -> None:
    """A failure proving the POST was not processed is retried after the wait."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(500)))
    sender = FakeSender(scheduler, [failure])

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    second = 240 + first_wait
    assert [call[0] for call in sender.calls] == [230, second]
    assert _summary(results) == [(second + 10, ReplyStatus.SENT, "A: Q1", 2)]
    assert values(results)[0][1].post_seconds == second + 10 - 230


@pytest.mark.parametrize(
    "failure",
    [
        ApiError(500, "POST", "/m", "oops"),
        ApiError(503, "POST", "/m", "busy"),
        TransportError("POST", "/m", "ReadTimeout"),
        ApiError(409, "POST", "/m", "not awaiting input"),
        RateLimitError(429, "POST", "/m", "slow down", retry_after=3600),
        _read_after_connect_retry(),
    ],
    ids=[
        "500",
        "503-without-retry-after",
        "read-timeout",
        "409",
        "429-too-long",
        "connect-error-only-as-context",
    ],
)
def test_auto_reply_never_retries_maybe_processed_post(failure: Exception) -> None:
    """A failure that may hide a processed POST gives an error, with one attempt."""
    scheduler = TestScheduler()
    if isinstance(failure, TransportError) and failure.__context__ is None:
        failure.__cause__ = httpx.ReadTimeout("read timed out")
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(500)))
    sender = FakeSender(scheduler, [failure])

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    assert _summary(results) == [(240, ReplyStatus.ERROR, "A: Q1", 1)]
    assert values(results)[0][1].error is failure
    assert len(sender.calls) == 1


def test_auto_reply_gives_up_after_three_attempts_and_frees_the_prompt() -> None:
    """Refused three times, the reply fails; the same wait may then be answered."""
    scheduler = TestScheduler()
    refused = [TransportError("POST", "/m", "refused", request_sent=False)] * 3
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(300, message("Q1")),
            on_next(310, status("awaiting_input")),
            on_completed(500),
        )
    )
    sender = FakeSender(scheduler, refused)

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", echo)))

    # Attempts at 230, 241 (after 1 s) and 253 (after 2 s), each failing 10 later.
    assert [call[0] for call in sender.calls] == [230, 241, 253, 310]
    assert _summary(results) == [
        (263, ReplyStatus.ERROR, "A: Q1", 3),
        (320, ReplyStatus.SENT, "A: Q1", 1),
    ]


def test_auto_reply_answers_again_after_responder_failure() -> None:
    """A prompt whose responder failed, announced again, is tried again."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(250, message("Q1")),
            on_next(260, status("awaiting_input")),
            on_completed(400),
        )
    )
    calls = 0

    def flaky(prompt: Prompt) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("flaky")
        return "second try"

    sender = FakeSender(scheduler)

    results = scheduler.start(lambda: xs.pipe(auto_reply(sender, "iv-1", flaky)))

    assert _summary(results) == [
        (230, ReplyStatus.ERROR, None, 0),
        (270, ReplyStatus.SENT, "second try", 1),
    ]


def test_auto_reply_stops_at_budget() -> None:
    """After max_replies replies, prompts are skipped without asking the responder."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(250, message("Q2")),
            on_next(260, status("awaiting_input")),
            on_completed(400),
        )
    )
    sender = FakeSender(scheduler)
    asked: list[str | None] = []

    def counting(prompt: Prompt) -> str:
        asked.append(prompt.question)
        return "ok"

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(sender, "iv-1", counting, max_replies=1))
    )

    assert _summary(results) == [
        (240, ReplyStatus.SENT, "ok", 1),
        (260, ReplyStatus.SKIPPED, None, 0),
    ]
    assert values(results)[1][1].reason == "the budget of 1 replies is spent"
    assert asked == ["Q1"]


def test_auto_reply_dry_run_sends_nothing() -> None:
    """A dry run reports each reply without POSTing it, within the budget."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        *_one_wait(
            on_next(250, message("Q2")),
            on_next(260, status("awaiting_input")),
            on_completed(400),
        )
    )
    sender = FakeSender(scheduler)

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(sender, "iv-1", echo, dry_run=True, max_replies=1))
    )

    assert _summary(results) == [
        (230, ReplyStatus.DRY_RUN, "A: Q1", 0),
        (260, ReplyStatus.SKIPPED, None, 0),
    ]
    assert sender.calls == []


def test_auto_reply_waits_for_reply_in_flight_before_completing() -> None:
    """The source completing mid-POST completes the output after the outcome."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(235)))

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(FakeSender(scheduler), "iv-1", echo))
    )

    assert _summary(results) == [(240, ReplyStatus.SENT, "A: Q1", 1)]
    assert results.messages[-1] == on_completed(240)


def test_auto_reply_passes_source_errors() -> None:
    """An error of the event stream reaches the subscriber."""
    scheduler = TestScheduler()
    boom = RuntimeError("stream lost")
    xs = scheduler.create_hot_observable(on_next(210, stage(1)), on_error(220, boom))

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(FakeSender(scheduler), "iv-1", echo))
    )

    assert results.messages == [on_error(220, boom)]


def test_auto_reply_disposal_cancels_post_in_flight() -> None:
    """Disposing mid-POST emits nothing more and unsubscribes from the source."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))
    sender = FakeSender(scheduler)

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(sender, "iv-1", echo)), disposed=235
    )

    assert results.messages == []
    assert xs.subscriptions == [subscribe(200, 235)]
    assert (len(sender.calls), sender.closed) == (1, [235])


@pytest.mark.parametrize(
    "options", [{"timeout": 0}, {"timeout": -1.0}, {"max_replies": -1}]
)
def test_auto_reply_refuses_bad_options(options: dict[str, Any]) -> None:
    """A non-positive timeout or a negative budget is refused at once."""
    with pytest.raises(InvalidArgumentError):
        auto_reply(FakeSender(TestScheduler()), "iv-1", echo, **options)


def test_auto_reply_refuses_non_text_reply() -> None:
    """A responder giving something other than str or None gives an error outcome."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))

    def wrong(prompt: Prompt) -> Observable[str]:
        return reactivex.of(42)  # type: ignore[arg-type]

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(FakeSender(scheduler), "iv-1", wrong))
    )

    ((tick, outcome),) = values(results)
    assert (tick, outcome.status) == (230, ReplyStatus.ERROR)
    assert isinstance(outcome.error, TypeError)


def test_auto_reply_passes_message_reply_none_through() -> None:
    """A sender that completes without a value gives a sent outcome with no answer."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(*_one_wait(on_completed(300)))

    class Silent(FakeSender):
        def send_interview_message(
            self, interview_id: str, message: str, **_: Any
        ) -> Observable[MessageReply]:
            return reactivex.empty()

    results = scheduler.start(
        lambda: xs.pipe(auto_reply(Silent(scheduler), "iv-1", echo))
    )

    ((tick, outcome),) = values(results)
    assert (tick, outcome.status, outcome.answer) == (230, ReplyStatus.SENT, None)
