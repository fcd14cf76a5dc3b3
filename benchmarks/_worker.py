"""Entry point of a client process: ``python -m benchmarks._worker < SPEC``.

The spec names the scenario module (``task``) and the event loop (``loop``);
the module's ``work(spec)`` coroutine runs on that loop, and its result is
printed as one JSON line, the last of stdout.
"""

from __future__ import annotations

import importlib
import json
import sys

from ._proc import raise_fd_limit, run

_TASKS = ("throughput", "paced", "idle", "autoreply")


def main() -> None:
    """Run the spec read from stdin and print its result."""
    spec = json.loads(sys.stdin.read())
    task = spec["task"]
    if task not in _TASKS:
        raise SystemExit(f"unknown task {task!r}; use one of {_TASKS}")
    raise_fd_limit()
    module = importlib.import_module(f"benchmarks.{task}")
    result = run(lambda: module.work(spec), spec["loop"])
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
