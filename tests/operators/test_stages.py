"""group_by_stage and stage_summaries in virtual time."""

from __future__ import annotations

from typing import Any

from reactivex import GroupedObservable, Observable
from reactivex import operators as ops
from reactivex.testing import ReactiveTest, TestScheduler
from reactivex.testing.mockobserver import MockObserver

from superme_rx.models import Event
from superme_rx.operators import (
    Message,
    Stage,
    StageSummary,
    group_by_stage,
    stage_summaries,
)

from ._helpers import message, stage, status, token

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def _grouped(
    scheduler: TestScheduler, source: Observable[Event]
) -> tuple[dict[Stage, MockObserver[Any]], Observable[Stage]]:
    """Subscribe a recording observer to each group as it comes; emit the keys."""
    inner: dict[Stage, MockObserver[Any]] = {}

    def watch(group: GroupedObservable[Stage, Event]) -> None:
        inner[group.key] = scheduler.create_observer()
        group.subscribe(inner[group.key])

    def key(group: GroupedObservable[Stage, Event]) -> Stage:
        return group.key

    keys = source.pipe(group_by_stage(), ops.do_action(watch), ops.map(key))
    return inner, keys


def test_group_by_stage_opens_one_group_per_stage() -> None:
    """Each stage_change opens a group; the previous completes at that tick."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Q1")),
        on_next(230, status("awaiting_input")),
        on_next(240, stage(2, "Design")),
        on_next(250, message("Q2")),
        on_completed(260),
    )
    inner, keys = _grouped(scheduler, xs)

    results = scheduler.start(lambda: keys)

    intro, design = Stage(1, "Intro"), Stage(2, "Design")
    assert results.messages == [
        on_next(210, intro),
        on_next(240, design),
        on_completed(260),
    ]
    assert inner[intro].messages == [
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Q1")),
        on_next(230, status("awaiting_input")),
        on_completed(240),
    ]
    assert inner[design].messages == [
        on_next(240, stage(2, "Design")),
        on_next(250, message("Q2")),
        on_completed(260),
    ]


def test_group_by_stage_ignores_repeated_stage_change() -> None:
    """A stage_change to the current stage, as after a reconnect, keeps the group."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, status("active")),
        on_next(220, stage(1, "Intro")),
        on_next(230, stage(1, "Intro")),
        on_completed(240),
    )
    inner, keys = _grouped(scheduler, xs)

    results = scheduler.start(lambda: keys)

    assert results.messages == [
        on_next(210, Stage(None)),
        on_next(220, Stage(1, "Intro")),
        on_completed(240),
    ]
    assert inner[Stage(None)].messages == [
        on_next(210, status("active")),
        on_completed(220),
    ]
    assert inner[Stage(1, "Intro")].messages == [
        on_next(220, stage(1, "Intro")),
        on_next(230, stage(1, "Intro")),
        on_completed(240),
    ]


def test_group_by_stage_sends_errors_to_open_group() -> None:
    """An error reaches the open group and the outer subscriber."""
    scheduler = TestScheduler()
    boom = RuntimeError("boom")
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_error(220, boom),
    )
    inner, keys = _grouped(scheduler, xs)

    results = scheduler.start(lambda: keys)

    assert results.messages == [on_next(210, Stage(1)), on_error(220, boom)]
    assert inner[Stage(1)].messages == [on_next(210, stage(1)), on_error(220, boom)]


def test_group_by_stage_disposal_unsubscribes() -> None:
    """Disposing the outer subscription unsubscribes from the source."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(700, stage(2)),
    )
    _, keys = _grouped(scheduler, xs)

    results = scheduler.start(lambda: keys, disposed=500)

    assert results.messages == [on_next(210, Stage(1))]
    assert xs.subscriptions == [subscribe(200, 500)]


def test_stage_summaries_emit_when_each_stage_ends() -> None:
    """A summary carries the stage's messages, clock times and last status."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Q1")),
        on_next(230, status("awaiting_input")),
        on_next(240, message("A1", role="candidate")),
        on_next(250, token("Bye")),
        on_next(260, stage(2, "Design")),
        on_next(270, message("Q2")),
        on_next(280, status("completed")),
        on_completed(290),
    )
    t = scheduler.to_datetime

    results = scheduler.start(lambda: xs.pipe(stage_summaries(scheduler)))

    intro = StageSummary(
        number=1,
        name="Intro",
        messages=(
            Message("company", "Q1", 1, from_tokens=True),
            Message("candidate", "A1", 1),
            Message("company", "Bye", 1, from_tokens=True),
        ),
        started=t(210),
        ended=t(260),
        status="awaiting_input",
    )
    design = StageSummary(
        number=2,
        name="Design",
        messages=(Message("company", "Q2", 2),),
        started=t(260),
        ended=t(290),
        status="completed",
    )
    assert results.messages == [
        on_next(260, intro),
        on_next(290, design),
        on_completed(290),
    ]
    assert intro.duration.total_seconds() == 50


def test_stage_summaries_use_subscriber_scheduler() -> None:
    """Without a scheduler argument the subscriber's clock times the stages."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(230, stage(3, "Wrap")), on_completed(300)
    )

    results = scheduler.start(lambda: xs.pipe(stage_summaries()))

    wrap = StageSummary(
        3, "Wrap", (), scheduler.to_datetime(230), scheduler.to_datetime(300), None
    )
    assert results.messages == [on_next(300, wrap), on_completed(300)]


def test_stage_summaries_skip_stage_cut_by_error() -> None:
    """An error passes through without a summary of the unfinished stage."""
    scheduler = TestScheduler()
    boom = RuntimeError("boom")
    xs = scheduler.create_hot_observable(on_next(210, stage(1)), on_error(220, boom))

    results = scheduler.start(lambda: xs.pipe(stage_summaries(scheduler)))

    assert results.messages == [on_error(220, boom)]


def test_stage_summaries_keep_late_tokens_in_their_stage() -> None:
    """Tokens ended by the next stage's implicit start stay in the stage they named."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("one", number=1)),
        on_next(220, message("two", number=2)),
        on_completed(230),
    )
    t = scheduler.to_datetime

    results = scheduler.start(lambda: xs.pipe(stage_summaries(scheduler)))

    first = StageSummary(
        1, None, (Message("company", "one", 1, from_tokens=True),), t(210), t(220), None
    )
    second = StageSummary(
        2, None, (Message("company", "two", 2),), t(220), t(230), None
    )
    assert results.messages == [
        on_next(220, first),
        on_next(230, second),
        on_completed(230),
    ]
