"""Every script in examples/ runs as written and prints what it promises."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from superme_rx.simulator import Simulator

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))

Runs = dict[str, "subprocess.Popen[str]"]


def example_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of an example: no ambient service, key or token file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERME_")}
    return {**env, "HOME": str(home), **extra}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """Every example, started at once: they mostly wait on their simulator."""
    env = example_env(tmp_path_factory.mktemp("home"))
    started = {
        name: subprocess.Popen(
            [sys.executable, str(EXAMPLES / f"{name}.py")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in SCRIPTS
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


def output(runs: Runs, name: str) -> str:
    """Wait for one example to end; return what it printed, checking it succeeded."""
    out, err = runs[name].communicate(timeout=30)
    assert runs[name].returncode == 0, err
    assert "Traceback" not in err
    return out


def test_examples_are_the_seven_tested_here() -> None:
    """The examples are exactly those this module checks; a new one needs a test."""
    assert SCRIPTS == [
        "async_responder",
        "follow_interview",
        "many_interviews",
        "many_processes",
        "retry_and_timeout",
        "rule_based_responder",
        "stage_timings",
    ]


def test_follow_interview_prints_every_stage_and_message(runs: Runs) -> None:
    """follow_interview prints stages, statuses, both speakers and event counts."""
    out = output(runs, "follow_interview")
    stages = re.findall(r"^-- stage (\d): ", out, re.MULTILINE)
    assert stages == ["1", "2", "3", "4"]
    assert out.count("   candidate: I would measure first") == 4
    assert "   interviewer: Thank you for your time today." in out
    assert out.rstrip().splitlines()[-2] == "   status: completed"
    assert re.search(
        r"^events: 15 message, 4 stage_change, 11 status, \d+ token$", out, re.M
    )


def test_many_processes_spreads_interviews_over_two_workers(runs: Runs) -> None:
    """many_processes scores every interview, half in each of two processes."""
    out = output(runs, "many_processes")
    workers = re.findall(r"^worker (\d+): (\d+) interviews scored", out, re.M)
    assert len({pid for pid, _ in workers}) == 2
    assert [int(n) for _, n in workers] == [10, 10]
    assert "20 of 20 interviews scored by 2 processes" in out


def test_rule_based_responder_prints_the_rule_for_each_question(runs: Runs) -> None:
    """rule_based_responder answers the four questions, each by its own rule."""
    out = output(runs, "rule_based_responder")
    assert "   rule 'scale' -> An order service" in out
    assert "   sent; interviewer: Thank you, that was the last question." in out
    assert out.rstrip().endswith(
        "4 of 4 questions answered; rules used: "
        "['debugging', 'design', 'failure', 'scale']"
    )


def test_async_responder_prints_the_time_each_answer_took(runs: Runs) -> None:
    """async_responder's replies each took the slow service's 0.3 s, then scored."""
    out = output(runs, "async_responder")
    thought = [float(s) for s in re.findall(r"thought (\d+\.\d+) s", out)]
    assert len(thought) == 4 and min(thought) >= 0.29
    assert "scored: scored" in out
    assert re.search(
        r"^4 replies, slowest 0\.\d\d s; transcript: 15 messages$", out, re.M
    )


def test_stage_timings_prints_a_row_per_stage(runs: Runs) -> None:
    """stage_timings prints each stage's events, messages and seconds."""
    out = output(runs, "stage_timings")
    rows = re.findall(r"^\s+(\S)  (.{26})\s*(\d+)\s+(\d+)\s+(\d+\.\d\d)$", out, re.M)
    assert [(r[0], r[1].strip(), r[3]) for r in rows] == [
        ("-", "(before the first stage)", "0"),
        ("1", "Introduction", "2"),
        ("2", "Technical Experience", "6"),
        ("3", "System Design", "6"),
        ("4", "Wrap-up", "1"),
    ]
    assert all(float(r[4]) > 0 for r in rows[1:])
    assert re.search(r"^5 spans in \d+\.\d\d s; longest: ", out, re.M)


def test_many_interviews_prints_no_more_running_than_the_bound(runs: Runs) -> None:
    """many_interviews runs eight interviews, never more than three at once."""
    out = output(runs, "many_interviews")
    running = [int(n) for n in re.findall(r"running: (\d+)$", out, re.M)]
    assert len(running) == 16 and max(running) == 3 and running[-1] == 0
    assert "at most 3 at once" in out
    assert "final statuses: {'failed': 1, 'scored': 6, 'withdrawn': 1}" in out


def test_retry_and_timeout_prints_each_recovery(runs: Runs) -> None:
    """retry_and_timeout recovers from a 429, two 503s and two drops, then times out."""
    out = output(runs, "retry_and_timeout")
    assert "   attempt 1 failed (429); next in 0.20 s" in out
    assert re.search(r"^   status \w+ after 3 requests$", out, re.M)
    assert re.search(r"\d+ events, ids 1 to \d+, none lost or repeated: True", out)
    assert "   3 connections, resumed after event ids ['6', '12']" in out
    assert out.count("WARNING stream") == 2
    assert "   gave up: nothing within 0.3 s; the stream was closed" in out


async def test_examples_use_the_service_named_by_the_environment(
    sim: Simulator, tmp_path: Path
) -> None:
    """With SUPERME_BASE_URL set, an example talks to that service, not its own."""
    env = example_env(
        tmp_path, SUPERME_BASE_URL=sim.base_url, SUPERME_API_KEY=sim.api_key
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLES / "follow_interview.py"), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, err.decode()
    assert f"interview {sim.interview_ids[0]} started" in out.decode()
    assert sim.interview(sim.interview_ids[0]).status == "completed"
