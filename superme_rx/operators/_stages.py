"""Cut the event stream where the interview changes stage.

A stage's span runs from the event that enters it (see ``_common`` for the
attribution rule) to the event that enters the next, or to the end of the
stream. Events before any stage form a span of ``Stage(None)``. An event
naming an earlier stage after the interview moved on stays in the current
span: that span is the only one still open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from reactivex import GroupedObservable, Observable, abc
from reactivex.subject import Subject

from .._types import Operator
from ..models import Event, StatusEvent
from ._assembly import Assembler
from ._common import StageTracker, deferred, is_new_segment
from ._values import Message, Stage, StageSummary

__all__ = ["group_by_stage_", "stage_entries_", "stage_summaries_"]

logger = logging.getLogger(__name__)


def group_by_stage_() -> Operator[Event, GroupedObservable[Stage, Event]]:
    """Implement ``superme_rx.operators.group_by_stage``."""

    def group(source: Observable[Event]) -> Observable[GroupedObservable[Stage, Event]]:
        def subscribe(
            observer: abc.ObserverBase[GroupedObservable[Stage, Event]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            tracker = StageTracker()
            inner: Subject[Event] | None = None

            def on_next(event: Event) -> None:
                nonlocal inner
                before = tracker.current
                tracker.observe(event)
                if inner is None or is_new_segment(before, tracker.current):
                    if inner is not None:
                        inner.on_completed()
                    inner = Subject()
                    logger.debug("stage group %s opened", tracker.current)
                    observer.on_next(GroupedObservable(tracker.current, inner))
                inner.on_next(event)

            def on_error(error: Exception) -> None:
                if inner is not None:
                    inner.on_error(error)
                observer.on_error(error)

            def on_completed() -> None:
                if inner is not None:
                    inner.on_completed()
                observer.on_completed()

            return source.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return group


class _Span:
    """A stage being summarised."""

    def __init__(self, stage: Stage, started: datetime) -> None:
        self.stage = stage
        self.started = started
        self.messages: list[Message] = []
        self.status: str | None = None

    def close(self, ended: datetime) -> StageSummary:
        return StageSummary(
            number=self.stage.number,
            name=self.stage.name,
            messages=tuple(self.messages),
            started=self.started,
            ended=ended,
            status=self.status,
        )


def stage_summaries_(
    scheduler: abc.SchedulerBase | None = None,
) -> Operator[Event, StageSummary]:
    """Implement ``superme_rx.operators.stage_summaries``."""

    def summarise(source: Observable[Event]) -> Observable[StageSummary]:
        def factory(clock: abc.SchedulerBase) -> Observable[StageSummary]:
            def subscribe(
                observer: abc.ObserverBase[StageSummary],
                scheduler_: abc.SchedulerBase | None = None,
            ) -> abc.DisposableBase:
                on_next, on_completed = _summariser(observer, clock)
                return source.subscribe(
                    on_next, observer.on_error, on_completed, scheduler=scheduler_
                )

            return Observable(subscribe)

        return deferred(factory, scheduler)

    return summarise


def _summariser(
    observer: abc.ObserverBase[StageSummary], clock: abc.SchedulerBase
) -> tuple[Callable[[Event], None], Callable[[], None]]:
    """The ``on_next`` and ``on_completed`` of one ``stage_summaries`` subscription."""
    tracker, assembler = StageTracker(), Assembler()
    span: _Span | None = None

    def on_next(event: Event) -> None:
        nonlocal span
        before = tracker.current
        stage = tracker.observe(event)
        messages = assembler.feed(event, stage)

        if span is None:
            span = _Span(tracker.current, clock.now)
        elif is_new_segment(before, tracker.current):
            # Messages the event ends belong to the span they were said in: the
            # pending tokens of the stage being left stay with it.
            number = tracker.current.number
            span.messages.extend(m for m in messages if m.stage_number != number)
            messages = [m for m in messages if m.stage_number == number]
            observer.on_next(span.close(clock.now))
            span = _Span(tracker.current, clock.now)

        if tracker.current.number == span.stage.number and tracker.current.name:
            span.stage = tracker.current
        span.messages.extend(messages)
        if isinstance(event, StatusEvent):
            span.status = event.status

    def on_completed() -> None:
        if span is not None:
            span.messages.extend(assembler.finish())
            observer.on_next(span.close(clock.now))
        observer.on_completed()

    return on_next, on_completed


def stage_entries_() -> Operator[Event, Stage]:
    """Emit each stage the interview enters, once per entry (for progress)."""

    def entries(source: Observable[Event]) -> Observable[Stage]:
        def subscribe(
            observer: abc.ObserverBase[Stage],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            tracker = StageTracker()

            def on_next(event: Event) -> None:
                before = tracker.current
                tracker.observe(event)
                if is_new_segment(before, tracker.current):
                    observer.on_next(tracker.current)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return entries
