"""The harness's command line; ``python -m benchmarks --help`` lists the options."""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from ._proc import LOOPS, raise_fd_limit
from ._settings import Settings
from .report import library_state, load, write

SCENARIOS = ("throughput", "paced", "idle", "autoreply")
RESULTS = Path(__file__).parent / "results"


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure superme_rx beside the alternatives; write "
        "benchmarks/results/latest.md and latest.png.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and 2 runs each, on uvloop unless --loop says otherwise "
        "(about a minute); for checking the harness, not for figures",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SCENARIOS,
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}; the "
        "other sections of the last results are kept",
    )
    parser.add_argument(
        "--loop",
        choices=(*LOOPS, "both"),
        help="client event loop (default: both; uvloop with --quick)",
    )
    parser.add_argument(
        "--reps", type=int, help="measured runs per contender (default 5; 2 quick)"
    )
    parser.add_argument(
        "--idle-baseline",
        action="store_true",
        help="also measure aiohttp-sse-client in the idle scenario (about 1.5 "
        "minutes more)",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where to write the results"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the chosen scenarios, then write the results."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    loop = args.loop or ("uvloop" if args.quick else "both")
    settings = Settings(
        quick=args.quick,
        reps=args.reps or (2 if args.quick else 5),
        loops=LOOPS if loop == "both" else (loop,),
        idle_baseline=args.idle_baseline or args.quick,
    )
    raise_fd_limit()
    command = shlex.join(["python", "-m", "benchmarks", *(argv or sys.argv[1:])])
    sections: dict[str, Any] = load(args.out)
    began = time.perf_counter()

    for name in args.only or SCENARIOS:
        started = time.perf_counter()
        # Taken before the runs: other sessions may change superme_rx/ meanwhile.
        library = library_state()
        load_before = os.getloadavg()[0]
        module = importlib.import_module(f"benchmarks.{name}")
        results = module.measure(settings)
        sections[name] = {
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "command": command,
            "library": library,
            "quick": settings.quick,
            "reps": results.get("reps", settings.reps),
            "loops": list(results.get("measured_loops", settings.loops)),
            "seconds": round(time.perf_counter() - started, 1),
            # Other work on the machine skews every figure; the load shows it.
            "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "results": results,
        }
        settings.log(f"{name}: done in {time.perf_counter() - started:.0f} s")
        # Written after each scenario, so that a long run leaves what it has.
        paths = write(args.out, sections)

    settings.log(f"all done in {time.perf_counter() - began:.0f} s")
    for path in paths:
        print(path)


if __name__ == "__main__":
    main()
