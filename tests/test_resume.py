"""Reconnection schedule and de-duplication of the stream, in virtual time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest
from reactivex import Observable
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.recorded import Recorded

from superme_rx._resume import (
    NO_RECONNECT,
    ReconnectPolicy,
    ResumeState,
    resumable,
)
from superme_rx._sse import EventBatch, EventTooLarge, ServerSentEvent
from superme_rx.errors import ApiError, NotFoundError, RateLimitError, StreamError

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed
on_error = ReactiveTest.on_error

END = ServerSentEvent(data='{"event":"status","status":"completed"}', id="9")


class Ceiling:
    """A jitter source that always draws the top of the range."""

    def uniform(self, low: float, high: float) -> float:
        return high


def sse(event_id: str, data: str | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        data=data if data is not None else f"d{event_id}", id=event_id
    )


class Server:
    """Hands out one scripted cold connection per connect() call."""

    def __init__(
        self, scheduler: TestScheduler, scripts: Sequence[list[Recorded[Any]]]
    ):
        self.scheduler = scheduler
        self.scripts = list(scripts)
        self.last_ids: list[str] = []
        self.opened_at: list[float] = []
        self.no_content_on: set[int] = set()

    def connect(self, state: ResumeState) -> Observable[EventBatch]:
        index = len(self.last_ids)
        self.last_ids.append(state.last_event_id)
        self.opened_at.append(self.scheduler.clock)
        if index in self.no_content_on:
            state.no_content = True
        script = self.scheduler.create_cold_observable(*self.scripts[index])
        return script.pipe(ops.map(as_batch))


def as_batch(item: ServerSentEvent | list[ServerSentEvent]) -> EventBatch:
    """A scripted event, or a list of them, as one read's batch."""
    return EventBatch.of(item if isinstance(item, list) else [item])


def decode(batch: EventBatch) -> tuple[list[ServerSentEvent], bool]:
    """Pass events through, stopping after END."""
    events = batch.events()
    for index, event in enumerate(events):
        if event == END:
            return events[: index + 1], True
    return events, False


def values(messages: list[Recorded[Any]]) -> list[Any]:
    """The on_next values of recorded messages, in order."""
    notes = [cast(Any, m.value) for m in messages]
    return [n.value for n in notes if n.kind == "N"]


def error_of(message: Recorded[Any]) -> Exception:
    """The exception of a recorded on_error message."""
    note = cast(Any, message.value)
    assert note.kind == "E"
    return cast(Exception, note.exception)


def run(server: Server, policy: ReconnectPolicy) -> list[Recorded[Any]]:
    stream = resumable(
        server.connect, policy, decode,
        rng=Ceiling(), scheduler=server.scheduler,
    )  # fmt: skip
    return unbatched(server.scheduler.start(lambda: stream).messages)


def delivered_data(server: Server) -> list[str]:
    """The data of every event delivered across the server's connections."""
    messages = run(server, ReconnectPolicy(initial_delay=1.0))
    return [event.data for event in values(messages)]


def unbatched(messages: list[Recorded[Any]]) -> list[Recorded[Any]]:
    """Recorded batches as one on_next per event, at the batch's time."""
    out: list[Recorded[Any]] = []
    for message in messages:
        note = cast(Any, message.value)
        if note.kind == "N":
            out.extend(on_next(message.time, event) for event in note.value)
        else:
            out.append(message)
    return out


def test_resumable_backs_off_exponentially_until_the_cap() -> None:
    """Drops without progress wait 1, 2, 4 s (jitter at its top), then the 6 s cap."""
    scheduler = TestScheduler()
    empty: list[Recorded[Any]] = [on_completed(1)]
    server = Server(scheduler, [empty] * 4 + [[on_next(1, END)]])
    policy = ReconnectPolicy(max_attempts=10, initial_delay=1, max_delay=6)

    messages = run(server, policy)

    assert server.opened_at == [200, 202, 205, 210, 217]
    assert messages == [on_next(218, END), on_completed(218)]


def test_resumable_sends_the_last_id_and_honours_server_retry() -> None:
    """The next connection sends the last delivered id and waits the server's retry."""
    scheduler = TestScheduler()
    server = Server(
        scheduler, [[on_next(1, sse("1")), on_completed(2)], [on_next(1, END)]]
    )
    original = server.connect

    def connect_with_retry(state: ResumeState) -> Observable[EventBatch]:
        state.retry_ms = 7000
        return original(state)

    server.connect = connect_with_retry  # type: ignore[method-assign]
    messages = run(server, ReconnectPolicy())

    assert server.last_ids == ["", "1"]
    assert server.opened_at == [200, 209]
    assert messages == [on_next(201, sse("1")), on_next(210, END), on_completed(210)]


def test_resumable_skips_events_a_server_replays_from_the_start() -> None:
    """A server ignoring Last-Event-ID causes no duplicate; new events follow."""
    scheduler = TestScheduler()
    first = [on_next(1, sse("1")), on_next(2, sse("2")), on_error(3, OSError("reset"))]
    again = [on_next(1, sse("1")), on_next(2, sse("2")), on_next(3, sse("3")),
             on_next(4, END)]  # fmt: skip
    server = Server(scheduler, [first, again])

    messages = run(server, ReconnectPolicy(initial_delay=1.0))

    assert values(messages) == [
        sse("1"),
        sse("2"),
        sse("3"),
        END,
    ]


def test_resumable_skips_replayed_events_whose_data_was_stamped_again() -> None:
    """Events with their own ids are replays by id, even when a timestamp changed."""
    scheduler = TestScheduler()
    first = [on_next(1, sse("1", "a@1")), on_next(2, sse("2", "b@1")), on_completed(3)]
    again = [on_next(1, sse("1", "a@2")), on_next(2, sse("2", "b@2")),
             on_next(3, sse("3", "c@2")), on_next(4, END)]  # fmt: skip
    server = Server(scheduler, [first, again])

    assert delivered_data(server) == [
        "a@1",
        "b@1",
        "c@2",
        END.data,
    ]


def test_resumable_delivers_new_events_that_repeat_the_previous_id() -> None:
    """An event without its own id line keeps the previous id and is still delivered."""
    scheduler = TestScheduler()
    first = [on_next(1, sse("5", "a")), on_next(2, sse("5", "b")), on_completed(3)]
    resumed = [on_next(1, sse("5", "c")), on_next(2, END)]
    server = Server(scheduler, [first, resumed])

    assert delivered_data(server) == [
        "a",
        "b",
        "c",
        END.data,
    ]


def test_resumable_skips_replays_of_events_without_ids_by_count() -> None:
    """Id-less replays are counted by data: one more copy than delivered is new."""
    scheduler = TestScheduler()
    first: list[Recorded[Any]] = [
        on_next(1, sse("", "a")),
        on_next(2, [sse("", "a"), sse("", "b")]),
        on_error(3, OSError("reset")),
    ]
    again: list[Recorded[Any]] = [
        on_next(1, [sse("", "a"), sse("", "a")]),
        on_next(2, sse("", "b")),
        on_next(3, [sse("", "b"), sse("", "c")]),
        on_next(4, END),
    ]
    server = Server(scheduler, [first, again])

    assert delivered_data(server) == [
        "a",
        "a",
        "b",
        "b",
        "c",
        END.data,
    ]
    assert server.last_ids == ["", ""]


@pytest.mark.parametrize("error", [
    NotFoundError(404, "GET", "/s", "gone"),
    ApiError(401, "GET", "/s", "bad key"),
    EventTooLarge(1024, "3", []),
])  # fmt: skip
def test_resumable_does_not_retry_final_errors(error: Exception) -> None:
    """401, 404 and an oversized event end the stream at once, without reconnecting."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_error(5, error)]])

    messages = run(server, ReconnectPolicy())

    assert messages == [on_error(205, error)]
    assert len(server.opened_at) == 1


def test_resumable_waits_retry_after_on_rate_limit_and_unavailable() -> None:
    """429 and 503 wait exactly their Retry-After seconds before the next attempt."""
    scheduler = TestScheduler()
    limited = RateLimitError(429, "GET", "/s", "slow down", retry_after=12)
    busy = ApiError(503, "GET", "/s", "busy", retry_after=3)
    server = Server(
        scheduler, [[on_error(0, limited)], [on_error(0, busy)], [on_next(0, END)]]
    )

    run(server, ReconnectPolicy())

    assert server.opened_at == [200, 212, 215]


def test_resumable_gives_up_after_attempts_without_progress() -> None:
    """After max_attempts drops with no new event the stream fails with StreamError."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_error(0, OSError("refused"))]] * 3)

    messages = run(server, ReconnectPolicy(max_attempts=2, initial_delay=1.0))

    assert len(server.opened_at) == 3
    assert len(messages) == 1
    assert isinstance(error_of(messages[0]), StreamError)
    assert "gave up after 2" in str(error_of(messages[0]))


def test_resumable_resets_the_attempt_count_when_events_arrive() -> None:
    """A connection that delivers a new event resets the count of failed attempts."""
    scheduler = TestScheduler()
    drop: list[Recorded[Any]] = [on_error(0, OSError("reset"))]
    server = Server(scheduler, [
        drop, [on_next(0, sse("1")), on_completed(1)], drop, [on_next(0, END)],
    ])  # fmt: skip

    messages = run(server, ReconnectPolicy(max_attempts=2, initial_delay=1.0))

    assert messages[-1] == on_completed(messages[-1].time)
    assert len(server.opened_at) == 4


def test_resumable_completes_on_no_content() -> None:
    """A 204 answer completes the stream instead of reconnecting."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_completed(2)]])
    server.no_content_on = {0}

    messages = run(server, ReconnectPolicy())

    assert messages == [on_completed(202)]


def test_resumable_without_reconnection_fails_on_the_first_drop() -> None:
    """With NO_RECONNECT an end before a terminal status is a StreamError at once."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_next(1, sse("1")), on_completed(2)]])

    messages = run(server, NO_RECONNECT)

    assert messages[0] == on_next(201, sse("1"))
    assert isinstance(error_of(messages[1]), StreamError)
    assert "reconnection is off" in str(error_of(messages[1]))


def test_resumable_cuts_a_batch_at_the_terminal_event() -> None:
    """Events read together with the terminal one but after it are never delivered."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_next(1, [sse("1"), END, sse("10")])]])

    messages = run(server, ReconnectPolicy())

    assert messages == [on_next(201, sse("1")), on_next(201, END), on_completed(201)]


def test_resumable_closes_the_connection_after_a_terminal_event() -> None:
    """The terminal event completes the stream and disposes its connection."""
    scheduler = TestScheduler()
    server = Server(scheduler, [[on_next(1, END), on_next(2, sse("10"))]])

    messages = run(server, ReconnectPolicy())

    assert messages == [on_next(201, END), on_completed(201)]
    assert len(server.opened_at) == 1
