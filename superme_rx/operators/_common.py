"""Stage tracking and scheduler choice, shared by the operator modules.

Stage attribution, the one rule every operator follows:

- a ``stage_change`` belongs to the stage it enters and makes it current;
- a ``token`` or ``message`` naming a ``stage_number`` belongs to that stage,
  and makes it current when it is ahead of the current one (a service that
  skips ``stage_change``) or when no stage is current yet (a stream joined
  mid-stage); a lower number, a late message, leaves the current stage alone;
- every other event (``status``, unknown kinds, tokens and messages without a
  number) belongs to the current stage, which is ``Stage(None)`` at first.

A ``stage_change`` to the stage already current is not a change: a stream that
reconnects may announce the stage again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from .._aio import default_scheduler
from ..models import Event, MessageEvent, StageChangeEvent, TokenEvent
from ._values import Stage

__all__ = ["StageTracker", "deferred", "elapsed", "is_new_segment"]

_T = TypeVar("_T")


class StageTracker:
    """Follows the current stage through a stream, one event at a time."""

    def __init__(self) -> None:
        self.current = Stage(None)
        self._names: dict[int, str] = {}

    def name_of(self, number: int | None) -> str | None:
        """The name a ``stage_change`` gave stage ``number``, if any."""
        return None if number is None else self._names.get(number)

    def observe(self, event: Event) -> Stage:
        """Update the current stage from ``event``; return the stage it belongs to."""
        if isinstance(event, StageChangeEvent):
            number, name = event.stage_number, event.stage_name
            if number is None and not name:
                # Names no stage at all: nothing to move to.
                return self.current
            if number is not None and name:
                self._names[number] = name
            self.current = Stage(number, name or self.name_of(number))
            return self.current

        if (
            isinstance(event, TokenEvent | MessageEvent)
            and event.stage_number is not None
        ):
            number = event.stage_number
            ahead = self.current.number is None or number > self.current.number
            if ahead:
                self.current = Stage(number, self.name_of(number))
            return Stage(number, self.name_of(number))

        return self.current


def is_new_segment(before: Stage, after: Stage) -> bool:
    """Whether moving from ``before`` to ``after`` enters another stage."""
    if before.number != after.number:
        return True
    return after.number is None and before.name != after.name


def deferred(
    factory: Callable[[abc.SchedulerBase], Observable[_T]],
    scheduler: abc.SchedulerBase | None,
) -> Observable[_T]:
    """Build the observable at subscribe time, with the scheduler to time it by.

    The scheduler is the one given, else the subscriber's, else the running
    asyncio loop's, else the timeout scheduler. Unlike ``reactivex.operators``,
    which fall back on timer threads, this keeps the library's own work (the
    client and the shared stream are not thread-safe) on the loop's thread.
    """

    def subscribe(
        observer: abc.ObserverBase[_T], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        chosen = scheduler or scheduler_ or default_scheduler()
        try:
            source = factory(chosen)
        except Exception as exc:
            observer.on_error(exc)
            return Disposable()
        return source.subscribe(observer, scheduler=scheduler_)

    return Observable(subscribe)


def elapsed(scheduler: abc.SchedulerBase, since: datetime) -> float:
    """Seconds on ``scheduler``'s clock since ``since``."""
    return (scheduler.now - since).total_seconds()
