"""Scenario 3: ten thousand idle streams, memory per stream and CPU per second.

Issue #6.3. The ``live`` server sends each stream four opening events (an
interview that now awaits the candidate), then only ``: keep-alive`` comments,
one per stream per second. A client process opens 10,000 streams with one
contender, in batches (each delivering its opening events before the next
connects), turns the keep-alives on (they wait until every stream is open, so
that opening stays quick), waits one keep-alive period, then measures:

- memory per open stream: RSS with every stream open minus RSS before the
  first, after a garbage collection each time, divided by the stream count;
- CPU per second: ``time.process_time()`` over a window, divided by its
  length, while every stream receives one keep-alive per second.

Each run has a fresh client process; the contenders take turns run by run.
It runs on every loop asked for: the issue sets its target on the loop the
README recommends for many streams (asyncio). Opening 10,000 streams takes 10
to 15 seconds per run, so aiohttp-sse-client is measured only on request
(``--idle-baseline``). httpx is left out: its pool does work in
proportion to the open connections at each request, and 10,000 streams did
not open within three minutes.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from ._contenders import make
from ._proc import (
    ForeignLoad,
    loop_name,
    peak_rss_mb,
    rss_mb,
    run_worker,
    wait_quiet,
)
from ._server import ServerProcess
from ._settings import Settings
from ._stats import summary

__all__ = ["ORDER", "measure", "work"]

ORDER = ("rx", "aiohttp_sse")
"""The contenders, in the order of the first round; the second only with
``--idle-baseline`` (or ``--quick``), as 10,000 streams take a while to open."""

_KEEPALIVE_SECONDS = 1.0
_BATCH = 2500
_OPENING_EVENTS = 4


def measure(settings: Settings) -> dict[str, Any]:
    """Run every contender ``reps`` times per loop, interleaved."""
    streams = 1000 if settings.quick else 10_000
    window = 1.0 if settings.quick else 3.0
    loops = settings.loops
    order = ORDER if settings.idle_baseline else ORDER[:1]
    results: dict[str, Any] = {
        "streams": streams,
        "keepalive_s": _KEEPALIVE_SECONDS,
        "window": window,
        "loops": {},
        "measured_loops": list(loops),
    }
    server_spec = {"kind": "live", "keepalive": _KEEPALIVE_SECONDS, "gated": True}
    for loop in loops:
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key in order}
        with ServerProcess(server_spec) as server:
            for rep in range(settings.reps):
                shift = rep % len(order)
                for key in order[shift:] + order[:shift]:
                    spec = {
                        "task": "idle",
                        "loop": loop,
                        "contender": key,
                        "base_url": server.base_url,
                        "api_key": server.api_key,
                        "streams": streams,
                        "window": window,
                        "settle": 0.5,
                    }
                    wait_quiet(patience=settings.patience)
                    with ForeignLoad(server.pid) as foreign:
                        result = run_worker(spec, timeout=180)
                    result["foreign"] = foreign.share
                    runs[key].append(result)
                    settings.log(
                        f"idle: {loop} {key} run {rep + 1}: "
                        f"{result['kb_per_stream']:.1f} KB/stream, "
                        f"{result['cpu_per_s']:.3f} CPU s/s, "
                        f"opened in {result['open_s']:.1f} s, "
                        f"other load {result['foreign']:.0%}"
                    )
        results["loops"][loop] = {key: _summarize(r) for key, r in runs.items()}
    return results


def _summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    names = (
        "kb_per_stream", "cpu_per_s", "peak_rss_mb", "base_rss_mb", "open_s",
        "foreign",
    )  # fmt: skip
    return {name: summary([r[name] for r in runs]) for name in names}


async def _keepalives(base_url: str, state: str) -> None:
    """Turn the live server's keep-alives on or off (see ``_server``)."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base_url}/_bench/keepalive/{state}") as response,
    ):
        response.raise_for_status()


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: open ``streams`` streams with one contender and hold them."""
    count = spec["streams"]
    contender = make(spec["contender"], spec["base_url"], spec["api_key"])
    await contender.open()
    loop = asyncio.get_running_loop()
    opened = 0
    batch_done = loop.create_future()
    batch_end = 0

    def callback() -> Any:
        seen = 0

        def on_payload(item: Any) -> None:
            nonlocal seen, opened
            seen += 1
            if seen == _OPENING_EVENTS:
                opened += 1
                if opened == batch_end and not batch_done.done():
                    batch_done.set_result(None)

        return on_payload

    gc.collect()
    base_rss = rss_mb()
    started = time.perf_counter()
    try:
        for first in range(0, count, _BATCH):
            batch_end = min(first + _BATCH, count)
            batch_done = loop.create_future()
            for index in range(first, batch_end):
                contender.follow(f"iv-{index:05d}", callback())
            await asyncio.wait_for(batch_done, 60)
        open_s = time.perf_counter() - started

        await _keepalives(spec["base_url"], "on")
        # One whole period, so that every stream has had keep-alives.
        await asyncio.sleep(_KEEPALIVE_SECONDS + spec["settle"])
        gc.collect()
        open_rss = rss_mb()
        cpu = time.process_time()
        await asyncio.sleep(spec["window"])
        cpu = time.process_time() - cpu
    finally:
        await _keepalives(spec["base_url"], "off")
        await contender.aclose()

    return {
        "loop": loop_name(),
        "contender": spec["contender"],
        "kb_per_stream": (open_rss - base_rss) * 1024 / count,
        "cpu_per_s": cpu / spec["window"],
        "peak_rss_mb": peak_rss_mb(),
        "base_rss_mb": base_rss,
        "open_s": open_s,
    }
