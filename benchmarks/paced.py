"""Scenario 2: a thousand paced streams, latency from send to delivery.

Issue #6.2. The simulator plays ``role-large`` without manual stages at one
event per 50 ms, so each interview streams 20 events per second. A client
process starts 1,000 interviews, follows every stream with one contender,
waits until each has delivered an event plus a warm-up, then measures for a
window of at least five seconds:

- latency: delivery time (``time.time()`` in the subscriber's callback)
  minus the payload's ``ts`` (the simulator's ``time.time()`` when it wrote
  the event), for events sent inside the window; p50 and p99;
- client CPU seconds: ``time.process_time()`` over the window;
- peak RSS: the client process's ``ru_maxrss`` at the end of the window.

Each run has a fresh server and a fresh client process; the contenders take
turns run by run. The server's CPU over each run is reported too, to show
that it kept up.
"""

from __future__ import annotations

import array
import asyncio
import gc
import time
from typing import Any

import psutil

from ._contenders import make
from ._proc import loop_name, peak_rss_mb, rss_mb, run_worker
from ._server import ServerProcess
from ._settings import Settings
from ._stats import percentile, summary

__all__ = ["ORDER", "measure", "start_interviews", "work"]

ORDER = ("rx", "aiohttp_sse", "httpx_split")
"""The contenders, in the order of the first round."""

_RATE = 20.0
_SETUP_SECONDS = 3.0


def measure(settings: Settings) -> dict[str, Any]:
    """Run every contender ``reps`` times per loop, interleaved."""
    streams = 200 if settings.quick else 1000
    window = 2.0 if settings.quick else 5.0
    warmup = 0.5 if settings.quick else 1.0
    tokens = int(_RATE * (_SETUP_SECONDS + warmup + window))
    server_spec = {
        "kind": "simulator",
        "time_scale": 1.0,
        "keepalive_interval": None,
        "large": {
            "stages": 1,
            "questions_per_stage": 1,
            "tokens_per_message": tokens,
            "token_interval": 1 / _RATE,
            "manual": False,
        },
    }
    results: dict[str, Any] = {
        "streams": streams,
        "rate": _RATE,
        "window": window,
        "loops": {},
    }
    for loop in settings.loops:
        runs: dict[str, list[dict[str, Any]]] = {key: [] for key in ORDER}
        for rep in range(settings.reps):
            shift = rep % len(ORDER)
            for key in ORDER[shift:] + ORDER[:shift]:
                with ServerProcess(server_spec) as server:
                    server_cpu = psutil.Process(server.pid)
                    before = server_cpu.cpu_times()
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
                result["server_cpu_s"] = (after.user + after.system) - (
                    before.user + before.system
                )
                runs[key].append(result)
                settings.log(
                    f"paced: {loop} {key} run {rep + 1}: "
                    f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                    f"{result['events_per_s']:.0f} ev/s, "
                    f"peak RSS {result['peak_rss_mb']:.0f} MB"
                )
        results["loops"][loop] = {key: _summarize(r) for key, r in runs.items()}
    return results


def _summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    names = (
        "p50_ms", "p99_ms", "max_ms", "cpu_s", "peak_rss_mb", "base_rss_mb",
        "events_per_s", "server_cpu_s", "connect_s",
    )  # fmt: skip
    return {name: summary([r[name] for r in runs]) for name in names}


async def start_interviews(
    base_url: str, api_key: str, count: int, role_id: str, concurrency: int = 64
) -> list[str]:
    """Start ``count`` interviews over plain aiohttp; return their ids."""
    import aiohttp

    headers = {"Authorization": f"Bearer {api_key}"}
    url = base_url + "/api/v3/agent/interview/start"
    ids: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def start(session: aiohttp.ClientSession) -> None:
        async with gate, session.post(url, json={"role_id": role_id}) as response:
            response.raise_for_status()
            ids.append((await response.json())["interview_id"])

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        await asyncio.gather(*(start(session) for _ in range(count)))
    return ids


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: follow ``streams`` interviews with one contender."""
    ids = await start_interviews(
        spec["base_url"], spec["api_key"], spec["streams"], "role-large"
    )
    gc.collect()
    base_rss = rss_mb()
    contender = make(spec["contender"], spec["base_url"], spec["api_key"])
    await contender.open()

    latencies = array.array("d")
    record = latencies.append
    clock = time.time
    window = [float("inf"), float("inf")]
    live = 0
    all_live = asyncio.get_running_loop().create_future()

    def callback() -> Any:
        first = True

        def on_payload(payload: dict[str, Any]) -> None:
            nonlocal first, live
            now = clock()
            ts = payload.get("ts")
            if ts is not None and window[0] <= ts < window[1]:
                record(now - ts)
            if first:
                first = False
                live += 1
                if live == len(ids) and not all_live.done():
                    all_live.set_result(None)

        return on_payload

    connecting = time.perf_counter()
    for interview_id in ids:
        contender.follow(interview_id, callback())
    try:
        await asyncio.wait_for(all_live, 60)
        connect_s = time.perf_counter() - connecting
        await asyncio.sleep(spec["warmup"])
        window[:] = [clock(), clock() + spec["window"]]
        cpu = time.process_time()
        await asyncio.sleep(spec["window"])
        # Events sent just before the window's end are still on their way.
        cpu = time.process_time() - cpu
        await asyncio.sleep(0.5)
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
    }
