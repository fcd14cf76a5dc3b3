"""Scenario 1: one long stream, events per second to the subscriber.

Issues #3 and #6.1. One stream of about 100,000 token events, read to its
terminal status by each contender in turn (A B C D E, then again, the order
rotating), in one client process per event loop, twice as many rounds as
the other scenarios. Two servers offer it:

- ``bare``: a pre-built body of events of about 200 bytes (the size issue #3
  names), written in 64 KiB pieces, so that the server's own cost does not
  cap the clients; on every loop asked for;
- ``simulator``: ``role-large`` with ``manual=False`` and no pauses; the
  interview is played to ``completed`` first, so that each connection replays
  the whole log as fast as the simulator can write it (about 110 B events);
  on one loop only (the recommended asyncio when asked for), as a check of
  the bare figures (and not with ``--quick``).

The bytes-only contender shows each server's ceiling; a contender close to it
is limited by the server, not by its parsing.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import httpx

from ._contenders import make
from ._proc import ForeignLoad, loop_name, run_worker, wait_quiet
from ._server import ServerProcess, bare_body
from ._settings import Settings
from ._stats import summary
from .targets import RECOMMENDED_LOOP

__all__ = ["ORDER", "measure", "work"]

ORDER = ("rx", "rx_raw", "httpx_split", "httpx_sse", "aiohttp_sse", "bytes")
"""The contenders, in the order of the first round."""

_TOKEN_CHARS = 96


def measure(settings: Settings) -> dict[str, Any]:
    """Run the scenario on both servers and every loop; return the summaries."""
    events = 20_000 if settings.quick else 100_000
    # A run takes under a second and runs vary by 20 to 40% on a shared
    # machine: twice the rounds of the other scenarios steady the medians.
    reps = settings.reps if settings.quick else 2 * settings.reps
    results: dict[str, Any] = {"events": events, "servers": {}, "reps": reps}
    for source in ("bare",) if settings.quick else ("bare", "simulator"):
        spec = _server_spec(source, events)
        # The simulator is a check of the bare figures, on one loop only: the
        # recommended one when it is measured.
        loops = settings.loops if source == "bare" else _check_loop(settings.loops)
        with ServerProcess(spec) as server:
            interview_id = _prepare(server, source)
            for loop in loops:
                settings.log(f"throughput: {source} server, {loop} clients")
                wait_quiet(patience=3 * settings.patience)
                with ForeignLoad(server.pid) as foreign:
                    raw = run_worker(
                        {
                            "task": "throughput",
                            "loop": loop,
                            "base_url": server.base_url,
                            "api_key": server.api_key,
                            "interview_id": interview_id,
                            "reps": reps,
                        },
                        timeout=600,
                    )
                node = _summarize(raw)
                node["foreign"] = foreign.share
                results["servers"].setdefault(source, {})[loop] = node
    if "bare" in results["servers"]:
        results["bare_event_bytes"] = bare_body(events, _TOKEN_CHARS)[1]
    return results


def _check_loop(loops: tuple[str, ...]) -> tuple[str, ...]:
    return (RECOMMENDED_LOOP,) if RECOMMENDED_LOOP in loops else loops[-1:]


def _server_spec(source: str, events: int) -> dict[str, Any]:
    if source == "bare":
        return {"kind": "body", "events": events, "token_chars": _TOKEN_CHARS}
    return {
        "kind": "simulator",
        "time_scale": 0,
        "keepalive_interval": None,
        "large": {
            "stages": 10,
            "questions_per_stage": 10,
            "tokens_per_message": events // 100,
            "token_interval": 0,
            "manual": False,
        },
    }


def _prepare(server: ServerProcess, source: str) -> str:
    """Return the interview to stream; on the simulator, play it to the end."""
    if source == "bare":
        return "iv-bare"
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers) as http:
        started = http.post(
            "/api/v3/agent/interview/start", json={"role_id": "role-large"}
        )
        interview_id: str = started.raise_for_status().json()["interview_id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = http.get(f"/api/v3/interview/{interview_id}/status").json()
            if status["status"] == "completed":
                return interview_id
            time.sleep(0.2)
    raise RuntimeError("the role-large interview did not complete in 120 s")


def _summarize(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"loop": raw["loop"], "contenders": {}}
    for key, runs in raw["runs"].items():
        out["contenders"][key] = {
            "events_per_s": summary([r["events"] / r["seconds"] for r in runs]),
            "events": runs[0]["events"],
            "bytes": runs[0]["bytes"],
        }
    return out


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: read the stream with each contender, ``reps`` rounds."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in ORDER}
    expected = None
    for round_ in range(spec["reps"] + 1):
        shift = round_ % len(ORDER)
        for key in ORDER[shift:] + ORDER[:shift]:
            gc.collect()
            result = await _once(key, spec)
            if key == "rx":
                expected = result["events"]
            if round_ > 0:  # round 0 warms up every contender
                runs[key].append(result)

    size = runs["bytes"][0]["bytes"]
    for key, results in runs.items():
        for result in results:
            if key == "bytes":
                result["events"] = expected
                continue
            if result["events"] != expected:
                raise RuntimeError(
                    f"{key} delivered {result['events']} events, rx {expected}"
                )
            result["bytes"] = size
    return {"loop": loop_name(), "runs": runs}


async def _once(key: str, spec: dict[str, Any]) -> dict[str, Any]:
    contender = make(key, spec["base_url"], spec["api_key"])
    await contender.open()
    count = 0

    def on_payload(item: Any) -> None:
        nonlocal count
        count += 1

    try:
        started = time.perf_counter()
        await contender.follow(spec["interview_id"], on_payload)
        seconds = time.perf_counter() - started
    finally:
        await contender.aclose()
    size = getattr(contender, "received", 0)
    return {"events": count, "seconds": seconds, "bytes": size}
