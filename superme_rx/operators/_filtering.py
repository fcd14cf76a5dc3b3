"""Keep the events of some kinds, of one role, or of one stage."""

from __future__ import annotations

import reactivex
from reactivex import Observable
from reactivex import operators as ops

from .._types import Operator
from ..errors import InvalidArgumentError
from ..models import Event
from ._common import StageTracker

__all__ = ["by_kind_", "by_role_", "by_stage_"]


def by_kind_(*kinds: str | type[Event]) -> Operator[Event, Event]:
    """Implement ``superme_rx.operators.by_kind``."""
    if not kinds:
        raise InvalidArgumentError("by_kind needs at least one kind or event class")
    for kind in kinds:
        if not isinstance(kind, str) and not (
            isinstance(kind, type) and issubclass(kind, Event)
        ):
            raise InvalidArgumentError(
                f"by_kind takes kind names or Event classes, not {kind!r}"
            )

    names = frozenset(kind for kind in kinds if isinstance(kind, str))
    classes = tuple(kind for kind in kinds if isinstance(kind, type))

    def matches(event: Event) -> bool:
        return event.kind in names or isinstance(event, classes)

    return ops.filter(matches)


def by_role_(role: str) -> Operator[Event, Event]:
    """Implement ``superme_rx.operators.by_role``."""

    def matches(event: Event) -> bool:
        return getattr(event, "role", None) == role

    return ops.filter(matches)


def by_stage_(stage_number: int | None) -> Operator[Event, Event]:
    """Implement ``superme_rx.operators.by_stage``."""

    def keep(source: Observable[Event]) -> Observable[Event]:
        def factory(_: object) -> Observable[Event]:
            # One tracker per subscription: the attribution depends on the
            # events this subscriber has seen.
            tracker = StageTracker()

            def matches(event: Event) -> bool:
                return tracker.observe(event).number == stage_number

            return source.pipe(ops.filter(matches))

        return reactivex.defer(factory)

    return keep
