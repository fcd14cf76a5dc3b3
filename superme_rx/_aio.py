"""Bridges from asyncio coroutines to cold Observables.

reactivex has no converter from a coroutine that starts on subscription:
``from_future`` wraps a future that already runs, so a second subscriber would
share the first one's request. ``from_coroutine`` starts one task per
subscription and cancels it on dispose.
"""

from __future__ import annotations

import asyncio
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
        loop = _loop_for_subscriber(home_loop)
        if loop is None:
            observer.on_error(
                RuntimeError(
                    "no running asyncio event loop: subscribe inside a coroutine "
                    "(or a notebook cell), or open the client in a running loop "
                    "first so that other threads can use it"
                )
            )
            return Disposable()

        def on_done(done: asyncio.Task[_T]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                observer.on_error(error)  # type: ignore[arg-type]
                return
            observer.on_next(done.result())
            observer.on_completed()

        tasks: list[asyncio.Task[_T]] = []
        disposed = False

        def start() -> None:
            if disposed:
                return
            task = loop.create_task(factory())
            # Done callbacks run on the loop's thread, so every emission does,
            # whichever thread subscribed.
            task.add_done_callback(on_done)
            tasks.append(task)
            if disposed:  # disposed from another thread meanwhile
                task.cancel()

        def dispose() -> None:
            nonlocal disposed
            disposed = True
            for task in tasks:
                cancel(task)

        if _running_loop() is loop:
            start()
        else:
            loop.call_soon_threadsafe(start)
        return Disposable(dispose)

    return reactivex.create(subscribe)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _loop_for_subscriber(
    home_loop: LoopGetter | None,
) -> asyncio.AbstractEventLoop | None:
    """The subscriber's running loop, else the home loop while it runs."""
    running = _running_loop()
    if running is not None:
        return running

    fallback = home_loop() if home_loop is not None else None
    if fallback is None or fallback.is_closed() or not fallback.is_running():
        return None
    return fallback


def cancel(future: asyncio.Future[Any]) -> None:
    """Cancel ``future`` from any thread.

    Operators such as ``timeout`` dispose from a timer thread by default, and
    an asyncio task may only be cancelled on its own loop's thread.
    """
    loop = future.get_loop()
    if _running_loop() is loop:
        future.cancel()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(future.cancel)


def default_scheduler() -> abc.SchedulerBase:
    """Time on the running asyncio loop when there is one, else on timer threads."""
    try:
        return AsyncIOScheduler(asyncio.get_running_loop())
    except RuntimeError:
        return TimeoutScheduler.singleton()
