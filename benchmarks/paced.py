"""Scenario 2: a thousand paced streams, latency from send to delivery.

Issue #6.2. The ``live`` server (see ``_server``) sends each stream a few
opening events, then one token event per 50 ms, 20 events per second, the
1,000 streams spread over 50 phases of the period; each payload carries
``ts``, the server's ``time.time()`` when it wrote the event. (The simulator
itself spent about 90 µs of server CPU per paced event sent, 10,000 events
per second filling one core, so it cannot offer 20,000 per second.) A client
process follows every stream with one contender, waits until each has
delivered an event, then warms up until the backlog of that connection storm
has drained (events no later than 20 ms; at most 1.5 s), then measures for a
window of four seconds (so that every stream has sent for more than five):

- latency: delivery time (``time.time()`` in the subscriber's callback)
  minus the payload's ``ts``, for events sent inside the window; p50 and p99;
- client CPU seconds: ``time.process_time()`` over the window;
- peak RSS: the client process's ``VmHWM`` at the end of the window;
- the garbage collector's pauses in the window (``gc.callbacks``).

Each run has a fresh client process; the contenders take
turns run by run. The server's CPU over each run is reported too, to show
that it kept up, and the rate of events delivered in the window.
"""

from __future__ import annotations

import array
import asyncio
import gc
import time
from typing import Any

# psutil ships no type hints; types-psutil is not a dependency of the harness.
import psutil  # type: ignore[import-untyped]

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
from ._stats import percentile, summary

__all__ = ["ORDER", "measure", "work"]

ORDER = ("rx", "aiohttp_sse", "httpx_split")
"""The contenders, in the order of the first round."""

_RATE = 20.0
# Each stream sends this long beyond warm-up and window, counted from its own
# connection, so that no stream ends inside the window however long the
# others take to connect.
_SETUP_SECONDS = 15.0
_WARMUP_CAP = 1.5


def measure(settings: Settings) -> dict[str, Any]:
    """Run every contender ``reps`` times per loop, interleaved."""
    streams = 200 if settings.quick else 1000
    window = 1.0 if settings.quick else 4.0
    warmup = 0.5
    server_spec = {
        "kind": "live",
        "rate": _RATE,
        "events": int(_RATE * (_SETUP_SECONDS + warmup + window)),
    }
    results: dict[str, Any] = {
        "streams": streams,
        "rate": _RATE,
        "window": window,
        "loops": {},
    }
    for loop in settings.loops:
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key in ORDER}
        # The live server keeps nothing between streams: one serves every run.
        with ServerProcess(server_spec) as server:
            server_cpu = psutil.Process(server.pid)
            for rep in range(settings.reps):
                shift = rep % len(ORDER)
                for key in ORDER[shift:] + ORDER[:shift]:
                    wait_quiet(patience=settings.patience)
                    before = server_cpu.cpu_times()
                    with ForeignLoad(server.pid) as foreign:
                        result = run_worker(
                            {
                                "task": "paced",
                                "loop": loop,
                                "contender": key,
                                "base_url": server.base_url,
                                "api_key": server.api_key,
                                "streams": streams,
                                "warmup": warmup,
                                "window": window,
                            },
                            timeout=120,
                        )
                    after = server_cpu.cpu_times()
                    result["foreign"] = foreign.share
                    result["server_cpu_s"] = sum(after[:2]) - sum(before[:2])
                    runs[key].append(result)
                    settings.log(
                        f"paced: {loop} {key} run {rep + 1}: "
                        f"p50 {result['p50_ms']:.1f} ms, "
                        f"p99 {result['p99_ms']:.1f} ms, "
                        f"{result['events_per_s']:.0f} ev/s, "
                        f"peak RSS {result['peak_rss_mb']:.0f} MB, "
                        f"other load {result['foreign']:.0%}"
                    )
        results["loops"][loop] = {key: _summarize(r) for key, r in runs.items()}
    return results


def _summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    names = (
        "p50_ms", "p99_ms", "max_ms", "cpu_s", "peak_rss_mb", "base_rss_mb",
        "events_per_s", "server_cpu_s", "connect_s", "foreign",
        "gc_full", "gc_max_ms", "gc_total_ms", "warmup_s", "cpu_us_per_event",
    )  # fmt: skip
    return {name: summary([r[name] for r in runs]) for name in names}


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: follow ``streams`` interviews with one contender."""
    ids = [f"iv-{index:05d}" for index in range(spec["streams"])]
    gc.collect()
    base_rss = rss_mb()
    contender = make(spec["contender"], spec["base_url"], spec["api_key"])
    await contender.open()

    latencies = array.array("d")
    record = latencies.append
    clock = time.time
    sent_at = contender.sent_at
    window = [float("inf"), float("inf")]
    worst = [0.0]  # the largest lag seen since the warm-up last looked
    live = 0
    all_live = asyncio.get_running_loop().create_future()

    def callback() -> Any:
        first = True

        def on_payload(item: Any) -> None:
            nonlocal first, live
            now = clock()
            ts = sent_at(item)
            if ts is not None:
                late = now - ts
                if late > worst[0]:
                    worst[0] = late
                if window[0] <= ts < window[1]:
                    record(late)
            if first:
                first = False
                live += 1
                if live == len(ids) and not all_live.done():
                    all_live.set_result(None)

        return on_payload

    pauses = _GcPauses()
    connecting = time.perf_counter()
    for interview_id in ids:
        contender.follow(interview_id, callback())
    try:
        await asyncio.wait_for(all_live, 60)
        connect_s = time.perf_counter() - connecting
        warmup_s = await _warm_up(worst, spec["warmup"])
        window[:] = [clock(), clock() + spec["window"]]
        pauses.start()
        cpu = time.process_time()
        await asyncio.sleep(spec["window"])
        # Events sent just before the window's end are still on their way.
        cpu = time.process_time() - cpu
        pauses.stop()
        await asyncio.sleep(0.3)
    finally:
        await contender.aclose()

    samples = sorted(latencies)
    return {
        "loop": loop_name(),
        "contender": spec["contender"],
        "samples": len(samples),
        "events_per_s": len(samples) / spec["window"],
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "max_ms": samples[-1] * 1000 if samples else float("nan"),
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss_mb(),
        "base_rss_mb": base_rss,
        "connect_s": connect_s,
        "warmup_s": warmup_s,
        "cpu_us_per_event": cpu / len(samples) * 1e6 if samples else float("nan"),
        "gc_full": pauses.full,
        "gc_max_ms": pauses.longest * 1000,
        "gc_total_ms": pauses.total * 1000,
    }


async def _warm_up(worst: list[float], least: float) -> float:
    """Wait until the backlog of the connection storm has drained.

    At least ``least`` seconds, then until no event in a quarter second came
    later than 20 ms, but no longer than ``_WARMUP_CAP`` in all: a client that
    cannot keep up is measured with its backlog. Returns the seconds waited.
    """
    started = time.perf_counter()
    await asyncio.sleep(least)
    while time.perf_counter() - started < _WARMUP_CAP:
        worst[0] = 0.0
        await asyncio.sleep(0.25)
        if worst[0] < 0.020:
            break
    return time.perf_counter() - started


class _GcPauses:
    """Time the garbage collector's pauses while started (``gc.callbacks``).

    A full collection walks every object of every stream, and the events that
    arrive meanwhile wait: it shows as latency.
    """

    def __init__(self) -> None:
        self.full = 0
        self.longest = 0.0
        self.total = 0.0
        self._began = 0.0

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        pause = time.perf_counter() - self._began
        self.total += pause
        self.longest = max(self.longest, pause)
        if info["generation"] == 2:
            self.full += 1
