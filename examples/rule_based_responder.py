"""Answer an interview with rules: the first rule whose pattern fits wins.

    python examples/rule_based_responder.py

A responder is any function from a ``Prompt`` to the reply (or None to leave
the question to a person). ``auto_reply`` calls it once per question, sends
the reply and reports what became of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re

from _service import connect, role_id
from reactivex import operators as ops

from superme_rx.operators import Prompt, ReplyOutcome, ReplyStatus, auto_reply


@dataclasses.dataclass(frozen=True)
class Rule:
    """Answer questions matching ``pattern`` with ``answer``."""

    name: str
    pattern: re.Pattern[str]
    answer: str


RULES = (
    Rule(
        "scale",
        re.compile(r"\b(load|traffic|scale)\b", re.IGNORECASE),
        "An order service at 3,000 requests a second, behind a queue.",
    ),
    Rule(
        "debugging",
        re.compile(r"\b(performance|fix|bug)\b", re.IGNORECASE),
        "A flame graph showed lock contention; sharding the lock fixed it.",
    ),
    Rule(
        "design",
        re.compile(r"\bdesign\b", re.IGNORECASE),
        "A token bucket per client, kept in a shared store.",
    ),
    Rule(
        "failure",
        re.compile(r"\b(unreachable|fails?|down)\b", re.IGNORECASE),
        "Fall back to a local limit and alert the on-call engineer.",
    ),
    Rule("anything else", re.compile(""), "Could you say more about the context?"),
)


def rule_for(prompt: Prompt) -> Rule:
    """The first rule whose pattern is found in the question."""
    question = prompt.question or ""
    return next(rule for rule in RULES if rule.pattern.search(question))


def respond(prompt: Prompt) -> str:
    """The responder: the matching rule's answer."""
    return rule_for(prompt).answer


def show(outcome: ReplyOutcome) -> None:
    """Print the question, the rule used and the interviewer's response."""
    prompt = outcome.prompt
    print(f"stage {prompt.stage_number}: {prompt.question}")
    print(f"   rule {rule_for(prompt).name!r} -> {outcome.reply}")
    heard = outcome.answer.message if outcome.answer else outcome.error
    print(f"   {outcome.status}; interviewer: {heard}")


async def main() -> None:
    """Start an interview and let the rules answer every question."""
    async with connect() as (client, _):
        interview_id = (await client.start_interview(role_id())).interview_id
        replies = client.stream_interview(interview_id).pipe(
            auto_reply(client, interview_id, respond),
            ops.do_action(show),
            ops.to_list(),
        )
        outcomes: list[ReplyOutcome] = await replies

    sent = sum(outcome.status is ReplyStatus.SENT for outcome in outcomes)
    used = sorted({rule_for(outcome.prompt).name for outcome in outcomes})
    print(f"{sent} of {len(outcomes)} questions answered; rules used: {used}")


if __name__ == "__main__":
    asyncio.run(main())
