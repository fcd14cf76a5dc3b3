"""Processes of the harness: event loops, limits, workers and their results.

Every measurement runs in a client process of its own (a "worker"), apart
from the server's process, so that the client's CPU time and peak RSS are its
own and the two sides do not share one core's time slices. A worker is
``python -m benchmarks._worker``: it reads a JSON spec on stdin and prints one
JSON result as the last line of its stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = [
    "LOOPS",
    "WorkerError",
    "loop_name",
    "peak_rss_mb",
    "raise_fd_limit",
    "rss_mb",
    "run",
    "run_worker",
]

_T = TypeVar("_T")

LOOPS = ("asyncio", "uvloop")
"""The event loops a scenario can run its clients on."""


class WorkerError(RuntimeError):
    """A worker process failed; the message ends with its stderr."""


def raise_fd_limit() -> int:
    """Raise the soft limit of open files to the hard one; return the new limit.

    Thousands of streams hold one socket each, beyond the usual soft 1024.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def run(main: Callable[[], Coroutine[Any, Any, _T]], loop: str) -> _T:
    """Run ``main()`` to completion on a fresh loop of the named kind."""
    if loop == "uvloop":
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    elif loop == "asyncio":
        factory = asyncio.new_event_loop
    else:
        raise ValueError(f"unknown event loop {loop!r}; use one of {LOOPS}")
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


def loop_name() -> str:
    """Name the running loop's kind, as the results report it."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"


def rss_mb() -> float:
    """The resident set size of this process now, in MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far, in MiB (Linux KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one worker process on ``spec`` and return its JSON result.

    Raises:
        WorkerError: It failed, printed no result, or outlived ``timeout``.
    """
    command = [sys.executable, "-m", "benchmarks._worker"]
    try:
        done = subprocess.run(
            command,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WorkerError(
            f"worker {spec.get('task')} outlived {timeout:.0f} s; stderr:\n"
            f"{_text(exc.stderr)[-2000:]}"
        ) from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise WorkerError(
            f"worker {spec.get('task')} exited {done.returncode}; stderr:\n"
            f"{done.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode(errors="replace")
