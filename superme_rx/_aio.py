"""Bridges from asyncio coroutines to cold Observables.

reactivex has no converter from a coroutine that starts on subscription:
``from_future`` wraps a future that already runs, so a second subscriber would
share the first one's request. ``from_coroutine`` starts one task per
subscription and cancels it on dispose.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOScheduler

__all__ = ["LoopGetter", "cancel", "default_scheduler", "from_coroutine"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

LoopGetter = Callable[[], asyncio.AbstractEventLoop | None]
"""Returns the loop to run on when a subscriber has no running loop."""

_Future = asyncio.Future[_T] | concurrent.futures.Future[_T]


def from_coroutine(
    factory: Callable[[], Coroutine[Any, Any, _T]],
    *,
    home_loop: LoopGetter | None = None,
) -> Observable[_T]:
    """Make a cold Observable that runs ``factory()`` once per subscription.

    ---(subscribe)----------(result)|

    The coroutine runs as a task on the subscriber's running loop. A subscriber
    on another thread (no running loop there) gets a task on ``home_loop()``,
    scheduled thread-safely; emissions then arrive on that loop's thread.
    Disposing the subscription before the result cancels the task.

    Args:
        factory: Makes a fresh coroutine; called once per subscription.
        home_loop: The loop to fall back on outside a running loop.

    Returns:
        An Observable emitting the coroutine's result and completing, or
        sending its exception to ``on_error``.
    """

    def subscribe(
        observer: abc.ObserverBase[_T], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        future = _start(factory, home_loop)
        if future is None:
            observer.on_error(
                RuntimeError(
                    "no running asyncio event loop: subscribe inside a coroutine "
                    "(or a notebook cell), or open the client in a running loop "
                    "first so that other threads can use it"
                )
            )
            return Disposable()

        def on_done(done: _Future[_T]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                observer.on_error(error)  # type: ignore[arg-type]
                return
            observer.on_next(done.result())
            observer.on_completed()

        future.add_done_callback(on_done)
        return Disposable(lambda: cancel(future))

    return reactivex.create(subscribe)


def cancel(future: asyncio.Future[Any] | concurrent.futures.Future[Any]) -> None:
    """Cancel ``future`` from any thread.

    Operators such as ``timeout`` dispose from a timer thread by default, and
    an asyncio task may only be cancelled on its own loop's thread.
    """
    if isinstance(future, concurrent.futures.Future):
        future.cancel()
        return

    loop = future.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        future.cancel()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(future.cancel)


def _start(
    factory: Callable[[], Coroutine[Any, Any, _T]], home_loop: LoopGetter | None
) -> _Future[_T] | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None

    if loop is not None:
        return loop.create_task(factory())

    fallback = home_loop() if home_loop is not None else None
    if fallback is None or fallback.is_closed() or not fallback.is_running():
        return None
    return asyncio.run_coroutine_threadsafe(factory(), fallback)


def default_scheduler() -> abc.SchedulerBase:
    """Time on the running asyncio loop when there is one, else on timer threads."""
    try:
        return AsyncIOScheduler(asyncio.get_running_loop())
    except RuntimeError:
        return TimeoutScheduler.singleton()
