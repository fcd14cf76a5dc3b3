"""Scenario 4: auto-reply latency and whole interviews per second.

Issues #4 and #6.4. The simulator (``time_scale=0``, so the ordinary
interview runs without pauses: four questions in two manual stages) serves
``operators.run_interview`` pipelines with an instant responder:

- ``1``: ten interviews one after another, one pipeline at a time;
- ``100``: a hundred pipelines at once.

For each prompt, with ``ts`` the simulator's ``time.time()`` when it wrote the
``awaiting_input`` status event (read by a second subscriber to the same
shared stream):

- send -> server: ``ts`` to the moment the simulator accepted the reply
  POST (the ``created`` time of the candidate's message in its log, asked of
  the server process after the run);
- send -> answer: ``ts`` to the moment the pipeline emitted the reply's
  outcome, which follows the POST's answer.

Beside them, in the same client process and rounds, the bare round trip: one
httpx ``AsyncClient`` POSTing ``/feedback`` to the same server, one request
at a time (``rtt``) and from 100 tasks at once (``rtt x100``). Interviews per
second: 100 divided by the time from subscribing the 100 pipelines to the
last one completing (start, replies, submit, score, transcript).
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from ._proc import ForeignLoad, loop_name, run_worker, wait_quiet
from ._server import ServerProcess
from ._settings import Settings
from ._stats import percentile, summary

__all__ = ["measure", "work"]

_ROLE = "role-backend-engineer"
_FEEDBACK = {"stage_number": 1, "rating": 5, "comments": "ok"}


def measure(settings: Settings) -> dict[str, Any]:
    """Run the rounds on each loop; join client and server times; summarize."""
    sizes = {
        "sequential": 3 if settings.quick else 10,
        "concurrent": 20 if settings.quick else 100,
    }
    results: dict[str, Any] = {"sizes": sizes, "loops": {}}
    server_spec = {"kind": "simulator", "time_scale": 0, "keepalive_interval": None}
    for loop in settings.loops:
        settings.log(f"autoreply: {loop} clients")
        with ServerProcess(server_spec) as server:
            wait_quiet(patience=3 * settings.patience)
            with ForeignLoad(server.pid) as foreign:
                raw = run_worker(
                    {
                        "task": "autoreply",
                        "loop": loop,
                        "base_url": server.base_url,
                        "api_key": server.api_key,
                        "reps": settings.reps,
                        **sizes,
                    },
                    timeout=600,
                )
            ids = sorted({p[0] for r in raw["rounds"] for p in _prompts(r)})
            received = server.ask({"op": "replies", "ids": ids})
        results["loops"][loop] = _summarize(raw, received)
        results["loops"][loop]["foreign"] = foreign.share
    return results


def _prompts(round_: dict[str, Any]) -> list[list[Any]]:
    return [*round_["sequential"]["prompts"], *round_["concurrent"]["prompts"]]


def _summarize(raw: dict[str, Any], received: dict[str, Any]) -> dict[str, Any]:
    arrival = {
        (iid, event_id): created
        for iid, pairs in received.items()
        for event_id, created in pairs
    }
    out: dict[str, Any] = {"loop": raw["loop"]}
    per_run: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        per_run.setdefault(name, []).append(value)

    for round_ in raw["rounds"]:
        for name in ("rtt", "rtt_x100"):
            add(f"{name}_p50_ms", percentile(round_[name], 50) * 1000)
            add(f"{name}_p99_ms", percentile(round_[name], 99) * 1000)
        for case in ("sequential", "concurrent"):
            prompts = round_[case]["prompts"]
            server = [
                arrival[(i, e)] - ts for i, e, ts, _ in prompts if (i, e) in arrival
            ]
            answer = [done - ts for _, _, ts, done in prompts]
            if len(server) != len(prompts):
                raise RuntimeError(
                    f"{len(prompts) - len(server)} replies of {case} not found "
                    "in the simulator's logs"
                )
            for name, values in (("server", server), ("answer", answer)):
                add(f"{case}_{name}_p50_ms", percentile(values, 50) * 1000)
                add(f"{case}_{name}_p99_ms", percentile(values, 99) * 1000)
            add(f"{case}_prompts", len(prompts))
            add(f"{case}_interviews_per_s", round_[case]["interviews_per_s"])
    for name, values in per_run.items():
        out[name] = summary(values)
    return out


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker side: rounds of round trips, sequential and concurrent runs."""
    import httpx

    headers = {"Authorization": f"Bearer {spec['api_key']}"}
    rounds = []
    async with httpx.AsyncClient(
        base_url=spec["base_url"],
        headers=headers,
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
    ) as http:
        started = await http.post(
            "/api/v3/agent/interview/start", json={"role_id": _ROLE}
        )
        path = f"/api/v3/agent/interview/{started.json()['interview_id']}/feedback"
        for round_ in range(spec["reps"] + 1):
            gc.collect()
            result = {
                "rtt": await _round_trips(http, path, 200, 1),
                "sequential": await _pipelines(spec, spec["sequential"], 1),
                "concurrent": await _pipelines(
                    spec, spec["concurrent"], spec["concurrent"]
                ),
                "rtt_x100": await _round_trips(http, path, 5, 100),
            }
            if round_ > 0:  # round 0 warms up both sides
                rounds.append(result)
    return {"loop": loop_name(), "rounds": rounds}


async def _round_trips(http: Any, path: str, each: int, tasks: int) -> list[float]:
    """POST ``each`` times from each of ``tasks`` tasks; return the seconds."""
    times: list[float] = []

    async def one() -> None:
        for _ in range(each):
            started = time.perf_counter()
            response = await http.post(path, json=_FEEDBACK)
            times.append(time.perf_counter() - started)
            response.raise_for_status()

    await asyncio.gather(*(one() for _ in range(tasks)))
    return times


async def _pipelines(spec: dict[str, Any], count: int, at_once: int) -> dict[str, Any]:
    """Run ``count`` interviews, ``at_once`` at a time, on one fresh client."""
    from superme_rx import RxSuperMeClient, StatusEvent
    from superme_rx.operators import ProgressKind, run_interview

    prompts: list[list[Any]] = []
    sent_at: dict[tuple[str, str | None], float] = {}
    taps: list[Any] = []

    def answer(prompt: Any) -> str:
        return "I would put a queue in front of it and measure."

    async with RxSuperMeClient(spec["api_key"], base_url=spec["base_url"]) as client:

        def tap(interview_id: str) -> None:
            # Subscribed before run_interview's own subscription, so the
            # connection is shared and no awaiting_input event is missed.
            def on_next(event: Any) -> None:
                if isinstance(event, StatusEvent) and event.status == "awaiting_input":
                    sent_at[(interview_id, event.id)] = event.raw["ts"]

            taps.append(client.stream_interview(interview_id).subscribe(on_next))

        async def one() -> None:
            done = asyncio.get_running_loop().create_future()

            def on_next(progress: Any) -> None:
                if progress.kind == ProgressKind.STARTED:
                    tap(progress.interview_id)
                elif progress.kind == ProgressKind.REPLY:
                    now = time.time()
                    iid, event_id = (
                        progress.interview_id,
                        progress.outcome.prompt.event_id,
                    )
                    prompts.append([iid, event_id, sent_at[(iid, event_id)], now])

            def on_error(error: Exception) -> None:
                if not done.done():
                    done.set_exception(error)

            def on_completed() -> None:
                if not done.done():
                    done.set_result(None)

            run_interview(client, _ROLE, answer, poll_interval=0.02).subscribe(
                on_next, on_error, on_completed
            )
            await done

        started = time.perf_counter()
        for first in range(0, count, at_once):
            await asyncio.gather(*(one() for _ in range(min(at_once, count - first))))
        seconds = time.perf_counter() - started
        for subscription in taps:
            subscription.dispose()
    return {"prompts": prompts, "interviews_per_s": count / seconds}
