"""Reconnection of the event stream: when, how long to wait, what to skip.

The WHATWG standard (HTML, 9.2.3 "Processing model") has the client reconnect
after a connection ends, sending ``Last-Event-ID``, waiting the server's
``retry:`` time. This module adds what the standard leaves to the client:
backoff with full jitter when the server names no time, ``Retry-After`` on
429 and 503, a bound on attempts that make no progress, and the removal of
events that a server replays although the client has them.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from array import array
from collections import Counter
from collections.abc import Callable
from operator import eq
from typing import Protocol, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, SerialDisposable

from ._aio import default_scheduler
from ._sse import EventBatch, EventTooLarge
from .errors import ApiError, StreamError

__all__ = [
    "NO_RECONNECT",
    "Batch",
    "Decode",
    "ReconnectPolicy",
    "ResumeState",
    "resumable",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# Statuses after which reconnecting cannot help (issue #3, "Resumption").
_FINAL_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 410, 422})


class Uniform(Protocol):
    """A source of jitter, such as ``random.Random``."""

    def uniform(self, a: float, b: float, /) -> float:
        """Return a number between ``a`` and ``b``."""
        ...


@dataclasses.dataclass(frozen=True)
class ReconnectPolicy:
    """How the event stream reconnects after a drop.

    Attributes:
        max_attempts: Attempts in a row that deliver no new event before the
            stream gives up with ``StreamError``; 0 turns reconnection off.
        initial_delay: Seconds of the first backoff step.
        max_delay: The cap of the backoff, in seconds.
        min_server_retry: The lowest ``retry:`` (seconds) honoured; lower
            values are raised to it, so that a server cannot make us spin.
        max_server_retry: The highest ``retry:`` or ``Retry-After`` honoured.
    """

    max_attempts: int = 8
    initial_delay: float = 0.5
    max_delay: float = 30.0
    min_server_retry: float = 0.1
    max_server_retry: float = 300.0

    @property
    def enabled(self) -> bool:
        """Whether the stream reconnects at all."""
        return self.max_attempts > 0

    def delay(
        self,
        attempt: int,
        server_retry_ms: int | None = None,
        retry_after: float | None = None,
        rng: Uniform | None = None,
    ) -> float:
        """Seconds to wait before reconnection ``attempt`` (1 for the first).

        ``Retry-After`` wins, then the server's ``retry:``, both clamped; else
        full jitter: uniform between 0 and ``initial * 2**(attempt-1)``, capped.
        """
        low, high = self.min_server_retry, self.max_server_retry
        if retry_after is not None:
            return min(max(retry_after, 0.0), high)
        if server_retry_ms is not None:
            return min(max(server_retry_ms / 1000, low), high)

        ceiling = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)


NO_RECONNECT = ReconnectPolicy(max_attempts=0)
"""A policy that never reconnects: the first drop ends the stream in error."""


@dataclasses.dataclass
class ResumeState:
    """What one stream remembers between its connections."""

    last_event_id: str = ""
    retry_ms: int | None = None
    no_content: bool = False
    connections: int = 0
    # The hash of each id that came on an event's own id line: 8 bytes an
    # event, where a set of the ids took about 95, and appending a read's ids
    # costs one C call. A set is built from it only on reconnecting.
    own_ids: array[int] = dataclasses.field(default_factory=lambda: array("q"))
    # The hash of (id, data) of each event that kept the previous id, once per
    # delivery, in 8 bytes as well; they are counted only on reconnecting.
    inherited: array[int] = dataclasses.field(default_factory=lambda: array("q"))


Batch = EventBatch
"""The events one read of the connection completed, handled together: the cost
of the chain is paid once per read, not once per event."""

Connect = Callable[[ResumeState], Observable[Batch]]
"""Opens one connection, sending ``state.last_event_id``; may set ``retry_ms``
and ``no_content`` on the state."""

Decode = Callable[[Batch], tuple[list[_T], bool]]
"""Turns the new events of one read into the items to deliver, stopping after
the first final event (a terminal status); returns them and whether it
stopped there."""


def resumable(
    connect: Connect,
    policy: ReconnectPolicy,
    decode: Decode[_T],
    *,
    name: str = "stream",
    rng: Uniform | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[list[_T]]:
    """Chain connections into one stream without loss or repetition.

    --a--b--X   (drop)   ....wait....   --b--c--d(final)|
    --a--b-------------------------------------c--d|

    On a reconnection, events already delivered are skipped until the first
    new one: an event that came with its own id is a replay when that id was
    delivered before; one without an ``id:`` line keeps the previous id, so it
    is a replay only when that id came with the same data as often before. A
    server that ignores ``Last-Event-ID`` and replays from the start, even
    with fields stamped afresh, causes no duplicate.

    Args:
        connect: Opens one connection.
        policy: When and how long to wait before reconnecting.
        decode: Turns new events into items and finds the final one.
        name: For log lines.
        rng: The randomness of the jitter (seed it in tests).
        scheduler: Where the waits run; the subscriber's by default.

    Returns:
        The items of all connections, in lists of one read, completing after
        a final event or a 204 answer, or erroring with a final ``ApiError``,
        ``EventTooLarge``, or ``StreamError`` once the policy gives up.
    """

    def subscribe(
        observer: abc.ObserverBase[list[_T]],
        subscribe_scheduler: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        sched = scheduler or subscribe_scheduler or default_scheduler()
        state = ResumeState()
        current = SerialDisposable()
        failures = 0
        done = False

        def open_connection() -> None:
            catching_up = state.connections > 0
            previous_id = state.last_event_id
            seen: Counter[int] = Counter()
            delivered: set[int] = set(state.own_ids) if catching_up else set()
            inherited = Counter(state.inherited) if catching_up else Counter[int]()
            state.connections += 1
            state.no_content = False

            def is_replay(event_id: str, data: str) -> bool:
                # An id that differs from the one before came on its own id
                # line, and such ids name one event each; an event that kept
                # the previous id is told apart by its data.
                if event_id != previous_id:
                    return hash(event_id) in delivered
                key = hash((event_id, data))
                seen[key] += 1
                return seen[key] <= inherited[key]

            def skip_replays(batch: Batch) -> Batch:
                nonlocal catching_up, previous_id
                pairs = zip(batch.id, batch.data, strict=True)
                for index, (event_id, data) in enumerate(pairs):
                    if not is_replay(event_id, data):
                        catching_up = False
                        return batch.since(index)
                    previous_id = event_id
                    logger.debug("%s: skipped replay id=%s", name, event_id)
                return EventBatch()

            def remember(batch: Batch) -> None:
                nonlocal previous_id
                ids = batch.id
                last_id = ids[-1]
                if len(ids) == 1 and last_id != previous_id:
                    # A read of one event, the usual case of a paced stream.
                    state.own_ids.append(hash(last_id))
                    previous_id = state.last_event_id = last_id
                    return

                if ids[0] != previous_id and not any(map(eq, ids, ids[1:])):
                    # The usual shape, every event on an id line of its own:
                    # no id repeats the one before it.
                    state.own_ids.extend(map(hash, ids))
                else:
                    for event_id, data in zip(ids, batch.data, strict=True):
                        if event_id != previous_id:
                            state.own_ids.append(hash(event_id))
                        else:
                            state.inherited.append(hash((event_id, data)))
                        previous_id = event_id
                previous_id = state.last_event_id = last_id

            def on_next(batch: Batch) -> None:
                nonlocal failures, done
                if done:
                    return
                if catching_up:
                    batch = skip_replays(batch)
                if not batch.data:
                    return

                items, final = decode(batch)
                remember(batch)
                failures = 0
                if items:
                    observer.on_next(items)
                if final:
                    done = True
                    current.dispose()
                    observer.on_completed()

            def on_error(error: Exception) -> None:
                retry_or_fail(error)

            def on_completed() -> None:
                nonlocal done
                if state.no_content:
                    done = True
                    logger.info("%s: server has nothing more (204)", name)
                    observer.on_completed()
                    return
                retry_or_fail(None)

            current.disposable = connect(state).subscribe(
                on_next, on_error, on_completed
            )

        def retry_or_fail(error: Exception | None) -> None:
            nonlocal failures, done
            if isinstance(error, EventTooLarge) or (
                isinstance(error, ApiError) and error.status_code in _FINAL_STATUSES
            ):
                done = True
                observer.on_error(error)
                return

            failures += 1
            what = "ended before a terminal status" if error is None else str(error)
            if failures > policy.max_attempts:
                done = True
                reason = (
                    f"{name}: {what}; gave up after {policy.max_attempts} "
                    "reconnection attempts without a new event"
                    if policy.enabled
                    else f"{name}: {what}; reconnection is off"
                )
                failure = StreamError(
                    f"{reason} (last event id {state.last_event_id!r})"
                )
                failure.__cause__ = error
                observer.on_error(failure)
                return

            retry_after = error.retry_after if isinstance(error, ApiError) else None
            wait = policy.delay(failures, state.retry_ms, retry_after, rng)
            logger.warning(
                "%s: %s; reconnecting in %.2f s (attempt %d of %d, last id %r)",
                name, what, wait, failures, policy.max_attempts, state.last_event_id,
            )  # fmt: skip
            current.disposable = sched.schedule_relative(
                wait, lambda _s, _st: open_connection()
            )

        open_connection()
        return CompositeDisposable(current)

    return reactivex.create(subscribe)
