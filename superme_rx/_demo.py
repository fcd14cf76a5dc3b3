"""``superme-rx demo``: one whole interview against the embedded simulator.

The run is ``operators.run_interview``; the view follows the same shared event
stream (``stream_interview`` gives every subscriber one connection), and a
candidate made of keyword rules answers each question.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Final

from reactivex import Observable
from reactivex import operators as ops
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ._client import RxSuperMeClient
from ._commands import Output, follow
from ._live import InterviewView, print_summary
from .operators import (
    Progress,
    ProgressKind,
    Prompt,
    ReplyStatus,
    StageSummary,
    run_interview,
)
from .simulator import ROLE_ORDINARY, Simulator

__all__ = ["demo", "rule_based_answer"]

logger = logging.getLogger(__name__)

# Seconds between status polls while the simulator scores the interview.
_POLL_INTERVAL = 0.25

_RULES: Final = (
    (
        re.compile(r"\bload\b", re.IGNORECASE),
        "A payments API peaking at 4,000 requests a second; a queue in front "
        "of the ledger kept it steady.",
    ),
    (
        re.compile(r"\bperformance\b", re.IGNORECASE),
        "Profiling showed one query per line item; batching them cut the p99 "
        "latency from 900 ms to 120 ms.",
    ),
    (
        re.compile(r"\brate limiter\b", re.IGNORECASE),
        "A token bucket per client in a shared Redis, refilled and spent by "
        "one atomic script.",
    ),
    (
        re.compile(r"\bunreachable\b", re.IGNORECASE),
        "Each server falls back to a local bucket with a tenth of the quota, "
        "and raises an alert.",
    ),
)
_FALLBACK: Final = "I would start by measuring, then change one thing at a time."


def rule_based_answer(prompt: Prompt) -> str:
    """Answer a question with the first rule whose keyword it contains."""
    question = prompt.question or ""
    for pattern, answer in _RULES:
        if pattern.search(question):
            return answer
    return _FALLBACK


async def demo(out: Output, time_scale: float) -> None:
    """Run one interview of the ordinary role in-process and summarise it.

    Raises:
        SupermeError: A step of the run failed.
        OSError: The simulator could not listen on loopback.
    """
    clock = AsyncIOScheduler(asyncio.get_running_loop())
    async with (
        Simulator(time_scale=time_scale) as simulator,
        RxSuperMeClient(simulator.api_key, base_url=simulator.base_url) as client,
    ):
        out.console.print(
            f"simulator on {simulator.base_url}; "
            f"interviewing for {ROLE_ORDINARY} at time scale {time_scale:g}"
        )
        view = InterviewView(out.console, live=out.interactive)
        # Filled when the stream completes, long before the run does (it then
        # still submits, waits for the score and fetches the transcript).
        summaries: list[StageSummary] = []

        def show(progress: Progress) -> None:
            if progress.kind is ProgressKind.STARTED:
                iid = progress.interview_id
                view.interview_id = iid
                view.note(f"interview {iid} started")
                client.get_interview_status(iid).subscribe(
                    lambda snapshot: view.set_stages(snapshot.stages),
                    lambda error: logger.debug("no stage list: %r", error),
                    scheduler=clock,
                )
                # Subscribed before run_interview's own subscription, with a
                # replay, so the view sees every event of the shared stream.
                events = client.stream_interview(iid, replay=True)
                follow(events, view, clock).subscribe(
                    summaries.extend,
                    # The run fails with the same error, and reports it.
                    lambda error: logger.debug("view stopped: %r", error),
                    scheduler=clock,
                )
            elif progress.kind is ProgressKind.REPLY and progress.outcome:
                outcome = progress.outcome
                if outcome.status is not ReplyStatus.SENT:
                    view.note(f"reply {outcome.status}: {outcome.error or ''}")
            elif progress.kind is ProgressKind.SUBMITTED:
                view.note("submitted for scoring")
            elif progress.kind is ProgressKind.SCORED:
                view.note(f"scoring over: {progress.status}", style="bold")

        run: Observable[Progress] = run_interview(
            client,
            ROLE_ORDINARY,
            rule_based_answer,
            poll_interval=_POLL_INTERVAL * max(time_scale, 0.1),
            scheduler=clock,
        )
        with view:
            steps = await run.pipe(ops.do_action(show), ops.to_list())

    final = steps[-1]
    scored = next((p.status for p in steps if p.kind is ProgressKind.SCORED), None)
    print_summary(
        out.console,
        summaries,
        status=scored or view.status,
        elapsed=view.elapsed,
        table=out.interactive,
        transcript=final.transcript,
    )
