"""One hot, ref-counted, optionally replaying view of a cold source.

reactivex's ``share()`` and ``replay().ref_count()`` subscribe to the source
again when a subscriber arrives after the source completed; for the event
stream that would reopen a finished interview's connection. ``SharedSource``
remembers completion: late subscribers get the replay and ``on_completed``,
and the source is never subscribed again.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Generic, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable, SingleAssignmentDisposable

__all__ = ["REPLAY_ALL", "SharedSource"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

REPLAY_ALL = -1
"""A replay size meaning: keep every item for late subscribers."""


class SharedSource(Generic[_T]):
    """Share one subscription to ``source`` between many subscribers.

    The source emits lists of items (one list per read of a connection, so
    that the chain upstream runs once per read); subscribers get the items
    one by one.

    --a--b--c--|          source (one subscription)
    ^----b--c--|          first subscriber
         ^--c--|          later subscriber, replay 0
         ^b-c--|          later subscriber, replay 1

    The first subscriber connects; the last one leaving disconnects. After
    ``on_completed`` the source is done for good. After ``on_error`` the next
    subscriber connects again, so that ``retry()`` downstream works.

    A subscriber whose callback raises is detached and sent that error; the
    others go on (one broken pipeline must not end everyone's stream).
    """

    def __init__(self, source: Observable[list[_T]], name: str = "shared") -> None:
        self._source = source
        self._name = name
        # NOTE: replaced, never changed in place: a delivery loop reads the
        # current tuple at each item, so subscribers that come or go during a
        # delivery take effect from the next item on, without a copy per item.
        self._observers: tuple[abc.ObserverBase[_T], ...] = ()
        self._connection: abc.DisposableBase | None = None
        self._buffer: deque[_T] = deque(maxlen=0)
        self._completed = False

    @property
    def connected(self) -> bool:
        """Whether the source is subscribed right now."""
        return self._connection is not None

    @property
    def completed(self) -> bool:
        """Whether the source has completed; it is never subscribed again."""
        return self._completed

    def keep(self, replay: int) -> None:
        """Grow the replay buffer to hold ``replay`` items (``REPLAY_ALL``: all)."""
        current = self._buffer.maxlen
        if replay == REPLAY_ALL:
            if current is not None:
                self._buffer = deque(self._buffer, maxlen=None)
        elif current is not None and replay > current:
            self._buffer = deque(self._buffer, maxlen=replay)

    def observe(self, replay: int = 0) -> Observable[_T]:
        """Return an Observable of the shared items, replaying the last ``replay``.

        Args:
            replay: How many past items a subscriber gets first; ``REPLAY_ALL``
                for all that were kept.
        """
        self.keep(replay)

        def subscribe(
            observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            return self._add(observer, replay)

        return reactivex.create(subscribe)

    def fail(self, error: Exception) -> None:
        """Disconnect and send ``error`` to every subscriber (the owner closed)."""
        self._disconnect()
        self._on_error(error)

    def _add(self, observer: abc.ObserverBase[_T], replay: int) -> abc.DisposableBase:
        past = list(self._buffer)
        if replay != REPLAY_ALL:
            past = past[len(past) - replay :] if replay > 0 else []
        for item in past:
            observer.on_next(item)

        if self._completed:
            observer.on_completed()
            return Disposable()

        self._observers += (observer,)
        logger.debug("%s: subscriber added (%d now)", self._name, len(self._observers))
        if self._connection is None:
            logger.debug("%s: connecting", self._name)
            # NOTE: the source may end while subscribe() runs; its callbacks then
            # find this holder already set and clear it.
            holder = SingleAssignmentDisposable()
            self._connection = holder
            holder.disposable = self._source.subscribe(
                self._on_next, self._on_error, self._on_completed
            )

        return Disposable(lambda: self._remove(observer))

    def _remove(self, observer: abc.ObserverBase[_T]) -> None:
        if observer not in self._observers:
            return
        self._observers = tuple(o for o in self._observers if o is not observer)
        logger.debug("%s: subscriber left (%d now)", self._name, len(self._observers))
        if not self._observers:
            self._disconnect()

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            logger.debug("%s: disconnecting", self._name)
            connection.dispose()

    def _on_next(self, items: list[_T]) -> None:
        if self._buffer.maxlen != 0:
            self._buffer.extend(items)
        rest = iter(items)
        observers = self._observers
        if len(observers) == 1:
            # The usual case, one subscriber: delivered without the loop over
            # subscribers, until a subscriber comes or goes.
            sole = observers[0]
            deliver = sole.on_next
            for item in rest:
                try:
                    deliver(item)
                except Exception as exc:
                    self._detach(sole, exc)
                if self._observers is not observers:
                    break
        # NOTE: item by item across subscribers, as a Subject would: side
        # effects of two subscribers interleave in the order of the events.
        for item in rest:
            for observer in self._observers:
                try:
                    observer.on_next(item)
                except Exception as exc:
                    self._detach(observer, exc)
        if not self._observers:
            self._disconnect()

    def _detach(self, observer: abc.ObserverBase[_T], error: Exception) -> None:
        logger.warning(
            "%s: a subscriber raised %s; detaching it", self._name, type(error).__name__
        )
        self._observers = tuple(o for o in self._observers if o is not observer)
        observer.on_error(error)

    def _on_error(self, error: Exception) -> None:
        observers, self._observers = self._observers, ()
        self._connection = None
        for observer in observers:
            try:
                observer.on_error(error)
            except Exception:
                # NOTE: reactivex's default on_error re-raises; a subscriber
                # without a handler must not stop the others from hearing.
                logger.warning(
                    "%s: a subscriber without an error handler got %s",
                    self._name, type(error).__name__,
                )  # fmt: skip

    def _on_completed(self) -> None:
        self._completed = True
        observers, self._observers = self._observers, ()
        self._connection = None
        for observer in observers:
            observer.on_completed()
