"""by_kind, by_role and by_stage in virtual time."""

from __future__ import annotations

import pytest
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler

from superme_rx.errors import InvalidArgumentError
from superme_rx.models import Event, MessageEvent, TokenEvent, UnknownEvent
from superme_rx.operators import by_kind, by_role, by_stage

from ._helpers import message, stage, status, token

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def test_by_kind_keeps_named_kinds() -> None:
    """Kind names keep the events whose ``event`` key matches, unknown ones too."""
    scheduler = TestScheduler()
    odd = Event.from_payload({"event": "x_poll", "n": 1})
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Hi")),
        on_next(230, odd),
        on_next(240, message("Hi")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(by_kind("message", "x_poll")))

    assert results.messages == [
        on_next(230, odd),
        on_next(240, message("Hi")),
        on_completed(250),
    ]
    assert isinstance(odd, UnknownEvent)


def test_by_kind_narrows_to_one_class() -> None:
    """One class keeps its instances, typed as that class."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("Hi")),
        on_next(220, message("Hi")),
        on_completed(230),
    )
    seen: list[str] = []

    def record(event: MessageEvent) -> MessageEvent:
        seen.append(event.content)
        return event

    results = scheduler.start(lambda: xs.pipe(by_kind(MessageEvent), ops.map(record)))

    assert results.messages == [on_next(220, message("Hi")), on_completed(230)]
    assert seen == ["Hi"]


def test_by_kind_mixes_names_and_classes() -> None:
    """Names and classes combine: an event matching either is kept."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("Hi")),
        on_next(220, status("active")),
        on_next(230, message("Hi")),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(by_kind(TokenEvent, "status")))

    assert results.messages == [
        on_next(210, token("Hi")),
        on_next(220, status("active")),
        on_completed(240),
    ]


@pytest.mark.parametrize("kinds", [(), (3,), (str,)])
def test_by_kind_refuses_bad_arguments(kinds: tuple[object, ...]) -> None:
    """No kind, or something neither a name nor an Event class, is refused."""
    with pytest.raises(InvalidArgumentError):
        by_kind(*kinds)  # type: ignore[call-overload]


def test_by_kind_passes_errors() -> None:
    """An error of the source reaches the subscriber unchanged."""
    scheduler = TestScheduler()
    boom = RuntimeError("boom")
    xs = scheduler.create_hot_observable(
        on_next(210, message("a")), on_error(220, boom)
    )

    results = scheduler.start(lambda: xs.pipe(by_kind("message")))

    assert results.messages == [on_next(210, message("a")), on_error(220, boom)]


def test_by_stage_disposal_unsubscribes() -> None:
    """Disposing the subscription unsubscribes from the source at once."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)), on_next(600, status("active"))
    )

    results = scheduler.start(lambda: xs.pipe(by_stage(1)), disposed=500)

    assert results.messages == [on_next(210, stage(1))]
    assert xs.subscriptions == [subscribe(200, 500)]


def test_by_role_keeps_one_speaker() -> None:
    """Only tokens and messages of the role pass; events without a role do not."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("Q", role="company")),
        on_next(220, message("A", role="candidate")),
        on_next(230, status("active")),
        on_next(240, message("Q", role="company")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(by_role("company")))

    assert results.messages == [
        on_next(210, token("Q", role="company")),
        on_next(240, message("Q", role="company")),
        on_completed(250),
    ]


def test_by_stage_attributes_stageless_events_to_current_stage() -> None:
    """Statuses and unnumbered tokens belong to the stage last entered."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Hi")),
        on_next(230, status("awaiting_input")),
        on_next(240, stage(2, "Design")),
        on_next(250, token("Next")),
        on_next(260, status("awaiting_input")),
        on_completed(270),
    )

    results = scheduler.start(lambda: xs.pipe(by_stage(2)))

    assert results.messages == [
        on_next(240, stage(2, "Design")),
        on_next(250, token("Next")),
        on_next(260, status("awaiting_input")),
        on_completed(270),
    ]


def test_by_stage_follows_explicit_numbers() -> None:
    """An event naming its stage belongs to it, even a late one after the change."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(220, stage(2)),
        on_next(230, message("late", number=1)),
        on_next(240, status("active")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(by_stage(1)))

    assert results.messages == [
        on_next(210, stage(1)),
        on_next(230, message("late", number=1)),
        on_completed(250),
    ]


def test_by_stage_moves_ahead_without_stage_change() -> None:
    """A token naming a later stage makes it current when no stage_change came."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("a", number=1)),
        on_next(220, token("b", number=2)),
        on_next(230, status("awaiting_input")),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(by_stage(2)))

    assert results.messages == [
        on_next(220, token("b", number=2)),
        on_next(230, status("awaiting_input")),
        on_completed(240),
    ]


def test_by_stage_keeps_state_per_subscription() -> None:
    """Two subscribers each track the stage from what they have seen."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(220, status("active")),
        on_next(300, status("active")),
        on_completed(400),
    )
    op = xs.pipe(by_stage(None))
    late = scheduler.create_observer()
    scheduler.schedule_absolute(250, lambda *_: op.subscribe(late))

    results = scheduler.start(lambda: op)

    assert results.messages == [on_completed(400)]
    assert late.messages == [on_next(300, status("active")), on_completed(400)]


def test_by_stage_ignores_stage_change_naming_nothing() -> None:
    """A stage_change with neither number nor name leaves the current stage."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(220, stage(None)),
        on_next(230, status("active")),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(by_stage(1)))

    assert results.messages == [
        on_next(210, stage(1)),
        on_next(220, stage(None)),
        on_next(230, status("active")),
        on_completed(240),
    ]
