"""Spread interviews over worker processes, each with its own loop and client.

    python examples/many_processes.py [INTERVIEWS] [WORKERS]

One process saturates one core (see the README's scale figures). The standard
library's ``ProcessPoolExecutor`` runs a shard of the interviews in each worker,
each with its own event loop and client; the parent only hands out shards and
adds up the results. The simulator runs in the parent's loop meanwhile. Across
machines, the same shard function fits any job queue (Celery, RQ, a Kubernetes
Job per shard): it needs only the base URL, the key and a count.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from reactivex import operators as ops

from superme_rx import RxSuperMeClient
from superme_rx.operators import Progress, ProgressKind, Prompt, run_interviews
from superme_rx.simulator import ROLE_ORDINARY, Simulator


def answer(prompt: Prompt) -> str:
    """Answer every question alike."""
    return "I would measure, then fix the largest cost first."


def is_scored(progress: Progress) -> bool:
    """Whether a step is an interview's final score."""
    return progress.kind is ProgressKind.SCORED


def run_shard(base_url: str, api_key: str, count: int) -> tuple[int, int, float]:
    """Run ``count`` interviews in this process; return pid, scored, seconds."""
    started = time.perf_counter()
    scored = asyncio.run(_shard(base_url, api_key, count))
    return os.getpid(), scored, time.perf_counter() - started


async def _shard(base_url: str, api_key: str, count: int) -> int:
    async with RxSuperMeClient(api_key, base_url=base_url) as client:
        runs = run_interviews(
            client,
            [ROLE_ORDINARY] * count,
            answer,
            max_concurrent=50,
            poll_interval=0.05,
        )
        scores: list[Progress] = await runs.pipe(ops.filter(is_scored), ops.to_list())
    return len(scores)


async def main(interviews: int, workers: int) -> None:
    """Serve a simulator here and run the interviews in worker processes."""
    shards = [
        interviews // workers + (i < interviews % workers) for i in range(workers)
    ]
    # NOTE: "spawn" gives each worker a clean interpreter; forking a process
    # whose event loop is running copies that loop's state into the child.
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()

    async with Simulator(time_scale=0) as sim:
        started = time.perf_counter()
        # One single-worker pool per shard: a shared pool may hand both shards
        # to the worker that started first while the other is still starting.
        pools = [ProcessPoolExecutor(1, mp_context=context) for _ in shards]
        try:
            results = await asyncio.gather(
                *(
                    loop.run_in_executor(pool, run_shard, sim.base_url, sim.api_key, n)
                    for pool, n in zip(pools, shards, strict=True)
                )
            )
        finally:
            for pool in pools:
                pool.shutdown()
        elapsed = time.perf_counter() - started

    for pid, scored, seconds in results:
        print(f"worker {pid}: {scored} interviews scored in {seconds:.1f} s")
    total = sum(scored for _, scored, _ in results)
    print(f"{total} of {interviews} interviews scored by {workers} processes")
    print(f"wall time {elapsed:.1f} s")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    asyncio.run(main(count, processes))
