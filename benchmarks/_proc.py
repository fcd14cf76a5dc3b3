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
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

# psutil ships no type hints; types-psutil is not a dependency of the harness.
import psutil  # type: ignore[import-untyped]

__all__ = [
    "LOOPS",
    "ForeignLoad",
    "WorkerError",
    "loop_name",
    "peak_rss_mb",
    "raise_fd_limit",
    "rss_mb",
    "run",
    "run_worker",
    "wait_quiet",
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
    """The peak resident set size of this process so far, in MiB.

    Read from ``VmHWM`` rather than ``ru_maxrss``: Linux carries the latter
    over ``execve``, so a worker would report its parent's peak when larger.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
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


def wait_quiet(threshold: float = 0.15, patience: float = 20.0) -> float:
    """Wait until the machine is nearly idle, at most ``patience`` seconds.

    Other sessions share the two cores; starting a run while they compute
    would measure them. Returns the last busy share seen (0 to 1).
    """
    if patience <= 0:
        return 0.0
    deadline = time.monotonic() + patience
    while True:
        busy = float(psutil.cpu_percent(interval=0.5)) / 100
        if busy <= threshold or time.monotonic() >= deadline:
            return busy


class ForeignLoad:
    """The CPU other processes took while a measurement ran, as a share.

    System-wide busy CPU time minus this process, its waited-for children
    (the worker) and the server process, over the wall time times the cores.

    Args:
        server_pid: The server process to count as ours.
    """

    def __init__(self, server_pid: int) -> None:
        self._server = psutil.Process(server_pid)
        self.share = 0.0

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def _ours(self) -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = self._server.cpu_times()
        return float(
            own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
            + server.user + server.system
        )  # fmt: skip

    def __enter__(self) -> ForeignLoad:
        self._start = (time.monotonic(), self._busy(), self._ours())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        wall = time.monotonic() - self._start[0]
        foreign = (self._busy() - self._start[1]) - (self._ours() - self._start[2])
        self.share = max(0.0, foreign) / (wall * (os.cpu_count() or 1))
