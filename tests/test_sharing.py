"""Sharing semantics of the hot stream, in virtual time."""

from __future__ import annotations

from typing import Any

from reactivex import Observable
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.subscription import Subscription

from superme_rx._sharing import REPLAY_ALL, SharedSource

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed
on_error = ReactiveTest.on_error


def batched(source: Observable[Any]) -> Observable[list[Any]]:
    """The source with each item in a list of one, as the stream delivers reads."""
    return source.pipe(ops.map(lambda item: [item]))


def _subscribe_at(
    scheduler: TestScheduler, observable: Any, start: float, end: float | None = None
) -> Any:
    observer = scheduler.create_observer()
    holder: dict[str, Any] = {}

    def subscribe(*_: Any) -> None:
        holder["d"] = observable.subscribe(observer, scheduler=scheduler)

    scheduler.schedule_absolute(start, subscribe)
    if end is not None:
        scheduler.schedule_absolute(end, lambda *_: holder["d"].dispose())
    return observer


def test_shared_source_connects_once_for_many_subscribers() -> None:
    """Two subscribers share one source subscription; the late one sees later items."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        on_next(210, "a"), on_next(260, "b"), on_next(310, "c"), on_completed(400)
    )
    shared = SharedSource(batched(source))

    first = _subscribe_at(scheduler, shared.observe(), 200)
    second = _subscribe_at(scheduler, shared.observe(), 250)
    scheduler.start()

    assert first.messages == [
        on_next(210, "a"),
        on_next(260, "b"),
        on_next(310, "c"),
        on_completed(400),
    ]
    assert second.messages == [on_next(260, "b"), on_next(310, "c"), on_completed(400)]
    assert source.subscriptions == [Subscription(200, 400)]


def test_shared_source_disconnects_when_the_last_subscriber_leaves() -> None:
    """The source subscription ends when the last subscriber disposes, not before."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, 1), on_next(320, 2))
    shared = SharedSource(batched(source))

    first = _subscribe_at(scheduler, shared.observe(), 200, 300)
    second = _subscribe_at(scheduler, shared.observe(), 205, 350)
    scheduler.start()

    assert first.messages == [on_next(210, 1)]
    assert second.messages == [on_next(210, 1), on_next(320, 2)]
    assert source.subscriptions == [Subscription(200, 350)]
    assert not shared.connected


def test_shared_source_never_resubscribes_after_completion() -> None:
    """A subscriber after completion gets replay and on_completed, no new connection."""
    scheduler = TestScheduler()
    source = scheduler.create_cold_observable(
        on_next(10, "x"), on_next(20, "y"), on_completed(30)
    )
    shared = SharedSource(batched(source))

    _subscribe_at(scheduler, shared.observe(replay=1), 100)
    late = _subscribe_at(scheduler, shared.observe(replay=1), 500)
    scheduler.start()

    assert late.messages == [on_next(500, "y"), on_completed(500)]
    assert source.subscriptions == [Subscription(100, 130)]
    assert shared.completed


def test_shared_source_replays_the_requested_number_of_items() -> None:
    """A late subscriber with replay N first gets the last N items, then live ones."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(
        on_next(210, 1), on_next(220, 2), on_next(230, 3), on_next(300, 4)
    )
    shared = SharedSource(batched(source))

    _subscribe_at(scheduler, shared.observe(), 200)
    two = _subscribe_at(scheduler, shared.observe(replay=2), 250)
    everything = _subscribe_at(scheduler, shared.observe(replay=REPLAY_ALL), 260)
    scheduler.start()

    assert two.messages == [on_next(250, 2), on_next(250, 3), on_next(300, 4)]
    assert everything.messages == [
        on_next(260, 1),
        on_next(260, 2),
        on_next(260, 3),
        on_next(300, 4),
    ]


def test_shared_source_allows_a_new_connection_after_an_error() -> None:
    """After on_error the next subscriber connects again, so retry() works."""
    scheduler = TestScheduler()
    error = RuntimeError("dropped")
    source = scheduler.create_cold_observable(on_next(10, "a"), on_error(20, error))
    shared = SharedSource(batched(source))

    first = _subscribe_at(scheduler, shared.observe(), 100)
    second = _subscribe_at(scheduler, shared.observe(), 200)
    scheduler.start()

    assert first.messages == [on_next(110, "a"), on_error(120, error)]
    assert second.messages == [on_next(210, "a"), on_error(220, error)]
    assert source.subscriptions == [Subscription(100, 120), Subscription(200, 220)]


def test_shared_source_detaches_a_subscriber_that_raises() -> None:
    """A raising subscriber gets its own error; the other subscribers go on."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, 1), on_next(220, 2))
    shared = SharedSource(batched(source))
    errors: list[Exception] = []

    def explode(value: int) -> None:
        raise ValueError(f"bad {value}")

    scheduler.schedule_absolute(
        200, lambda *_: shared.observe().subscribe(explode, errors.append)
    )
    healthy = _subscribe_at(scheduler, shared.observe(), 200)
    scheduler.start()

    assert [str(e) for e in errors] == ["bad 1"]
    assert healthy.messages == [on_next(210, 1), on_next(220, 2)]


def test_shared_source_delivers_a_batch_item_by_item_in_order() -> None:
    """A batch from the source reaches every subscriber as single items, in order."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, [1, 2, 3]), on_completed(220))
    shared = SharedSource(source)

    first = _subscribe_at(scheduler, shared.observe(), 200)
    second = _subscribe_at(scheduler, shared.observe(), 200)
    scheduler.start()

    expected = [on_next(210, 1), on_next(210, 2), on_next(210, 3), on_completed(220)]
    assert first.messages == expected
    assert second.messages == expected


def test_shared_source_interleaves_subscribers_in_event_order() -> None:
    """Within a batch, each event reaches every subscriber before the next event."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, ["a", "b"]))
    shared = SharedSource(source)
    seen: list[str] = []

    for name in ("x", "y"):
        scheduler.schedule_absolute(
            200,
            lambda *_, n=name: shared.observe().subscribe(lambda v: seen.append(n + v)),
        )
    scheduler.start()

    assert seen == ["xa", "ya", "xb", "yb"]


def test_a_subscriber_added_during_a_batch_gets_the_batch_from_the_next_item() -> None:
    """A sole subscriber that brings another in mid-batch shares the rest with it."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, ["a", "b", "c"]))
    shared = SharedSource(source)
    seen: list[str] = []

    def first(value: str) -> None:
        seen.append("x" + value)
        if value == "a":
            shared.observe().subscribe(lambda v: seen.append("y" + v))

    scheduler.schedule_absolute(200, lambda *_: shared.observe().subscribe(first))
    scheduler.start()

    assert seen == ["xa", "xb", "yb", "xc", "yc"]


def test_a_sole_subscriber_leaving_mid_batch_gets_no_more_and_disconnects() -> None:
    """Disposing inside the callback stops delivery at once and closes the source."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, [1, 2, 3]), on_next(220, [4]))
    shared = SharedSource(source)
    seen: list[int] = []
    holder: dict[str, Any] = {}

    def on_value(value: int) -> None:
        seen.append(value)
        if value == 2:
            holder["d"].dispose()

    def subscribe(*_: Any) -> None:
        holder["d"] = shared.observe().subscribe(on_value)

    scheduler.schedule_absolute(200, subscribe)
    scheduler.start()

    assert seen == [1, 2]
    assert not shared.connected
    assert source.subscriptions == [Subscription(200, 210)]


def test_a_sole_subscriber_that_raises_mid_batch_is_detached_once() -> None:
    """The raising subscriber hears its error once; the connection closes."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, [1, 2, 3]))
    shared = SharedSource(source)
    seen: list[int] = []
    errors: list[Exception] = []

    def on_value(value: int) -> None:
        seen.append(value)
        raise ValueError(f"bad {value}")

    scheduler.schedule_absolute(
        200, lambda *_: shared.observe().subscribe(on_value, errors.append)
    )
    scheduler.start()

    assert seen == [1]
    assert [str(e) for e in errors] == ["bad 1"]
    assert source.subscriptions == [Subscription(200, 210)]


def test_shared_source_fail_errors_every_subscriber_and_disconnects() -> None:
    """fail() sends the error to every subscriber and ends the source subscription."""
    scheduler = TestScheduler()
    source = scheduler.create_hot_observable(on_next(210, 1), on_next(320, 2))
    shared = SharedSource(batched(source))
    closed = RuntimeError("closed")

    observer = _subscribe_at(scheduler, shared.observe(), 200)
    scheduler.schedule_absolute(300, lambda *_: shared.fail(closed))
    scheduler.start()

    assert observer.messages == [on_next(210, 1), on_error(300, closed)]
    assert source.subscriptions == [Subscription(200, 300)]
