"""Retry, timeout and reconnection policies, against injected faults.

    python examples/retry_and_timeout.py

Every endpoint is a cold Observable: each subscription sends one request, so
reactivex's ``retry`` sends it again. The event stream reconnects by itself,
as its ``ReconnectPolicy`` says, resuming after the last event it delivered.
The simulator fails on purpose here: ``Faults`` and ``FailSpec`` say how.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import reactivex
from _service import connect, role_id
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.scheduler.eventloop import AsyncIOScheduler

from superme_rx import (
    Event,
    InterviewStatus,
    ReconnectPolicy,
    StageChangeEvent,
    TransportError,
)
from superme_rx.operators import auto_reply, by_kind
from superme_rx.simulator import ROLE_SLOW, FailSpec, Faults

T = TypeVar("T")

FAULTS = Faults(
    # The first start is refused (429, come back in 0.2 s), the first two
    # status requests fail (503), and every stream drops after 6 events
    # twice per interview.
    fail_requests={
        "start_interview": FailSpec(count=1, status=429, retry_after=0.2),
        "get_interview_status": FailSpec(count=2, status=503),
    },
    drop_stream_after=6,
    drop_stream_times=2,
)
RECONNECT = ReconnectPolicy(max_attempts=4, initial_delay=0.05, max_delay=0.5)


def backoff(
    attempts: int, first_delay: float, clock: abc.SchedulerBase
) -> Callable[[Observable[T]], Observable[T]]:
    """Retry a failed request ``attempts - 1`` more times, waiting longer each time.

    Only failures showing that the service did not take the request are
    retried, so that even a POST cannot happen twice: 429, 503 and connections
    never made. A ``Retry-After`` the service sends wins over the backoff.
    """

    def operator(source: Observable[T]) -> Observable[T]:
        def attempt(number: int) -> Observable[T]:
            def again(error: Exception, _: Observable[T]) -> Observable[T]:
                status = getattr(error, "status_code", 0)
                unsent = isinstance(error, TransportError) and not error.request_sent
                worth = unsent or status in (429, 503)
                if number + 1 >= attempts or not worth:
                    return reactivex.throw(error)
                wait = getattr(error, "retry_after", None) or first_delay * 2**number
                print(
                    f"   attempt {number + 1} failed ({status}); next in {wait:.2f} s"
                )
                later = reactivex.timer(wait, scheduler=clock)
                return later.pipe(ops.flat_map(lambda _: attempt(number + 1)))

            return source.pipe(ops.catch(again))

        return attempt(0)

    return operator


def deadline(
    seconds: float, clock: abc.SchedulerBase
) -> Callable[[Observable[T]], Observable[T]]:
    """Fail with ``TimeoutError`` when nothing arrives within ``seconds``."""

    def operator(source: Observable[T]) -> Observable[T]:
        too_slow: Observable[T] = reactivex.throw(
            TimeoutError(f"nothing within {seconds} s")
        )
        return source.pipe(ops.timeout(seconds, too_slow, clock))

    return operator


async def main() -> None:
    """Show each policy at work, one after the other."""
    clock = AsyncIOScheduler(asyncio.get_running_loop())
    async with connect(faults=FAULTS) as (client, simulator):
        print("start_interview, retried with backoff:")
        began = time.monotonic()
        started = await client.start_interview(role_id()).pipe(backoff(3, 0.05, clock))
        interview_id = started.interview_id
        print(f"   started after {time.monotonic() - began:.2f} s")

        print("get_interview_status, retried by reactivex's retry():")
        sent = 0

        def fetch(_: abc.SchedulerBase | None) -> Observable[InterviewStatus]:
            nonlocal sent
            sent += 1  # counted here; retry() alone would resubscribe just the same
            return client.get_interview_status(interview_id)

        status = await reactivex.defer(fetch).pipe(ops.retry(3))
        print(f"   status {status.status} after {sent} requests")

        print("the event stream, reconnecting after drops:")
        events = client.stream_interview(interview_id, reconnect=RECONNECT)
        answering = auto_reply(client, interview_id, lambda p: "A short answer.")
        results = await reactivex.fork_join(
            events.pipe(ops.to_list()), events.pipe(answering, ops.to_list())
        )
        received: list[Event] = results[0]
        ids = [int(event.id or 0) for event in received]
        whole = ids == list(range(1, len(ids) + 1))
        print(
            f"   {len(ids)} events, ids 1 to {ids[-1]}, none lost or repeated: {whole}"
        )
        if simulator is None:
            return  # what follows needs the simulator's records and slow role
        opened = [r for r in simulator.requests if r.endpoint == "stream_interview"]
        resumed = [r.last_event_id for r in opened if r.last_event_id]
        print(f"   {len(opened)} connections, resumed after event ids {resumed}")

        print("a timeout on the first stage of a slow interview:")
        slow = await client.start_interview(ROLE_SLOW)
        stage_changes = client.stream_interview(slow.interview_id).pipe(
            by_kind(StageChangeEvent), deadline(0.3, clock)
        )
        try:
            await stage_changes.pipe(ops.first())
        except TimeoutError as error:
            print(f"   gave up: {error}; the stream was closed")


if __name__ == "__main__":
    # The library logs each reconnection as a warning: show them in line.
    logging.basicConfig(stream=sys.stdout, format="   %(levelname)s %(message)s")
    asyncio.run(main())
