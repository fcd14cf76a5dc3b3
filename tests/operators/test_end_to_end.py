"""Operators composed with the real client against the simulator on loopback."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import reactivex
from reactivex import operators as ops

from superme_rx import ReconnectPolicy, RxSuperMeClient, Transcript
from superme_rx.operators import (
    Progress,
    ProgressKind,
    Prompt,
    ReplyOutcome,
    ReplyStatus,
    auto_reply,
    live_transcript,
    run_interviews,
)
from superme_rx.simulator import ROLE_ORDINARY, FailSpec, Faults, Simulator

QUESTIONS_OF_ORDINARY_ROLE = 4
QUICK = ReconnectPolicy(initial_delay=0.01, max_delay=0.05)


def answer(prompt: Prompt) -> str:
    """A responder that names the question it answers, so replies can be matched."""
    return f"answer to stage {prompt.stage_number}: {(prompt.question or '')[:30]}"


def shape(transcript: Transcript) -> list[tuple[Any, ...]]:
    """A transcript as comparable tuples: stage number, name, (role, text) pairs."""
    return [
        (s.stage_number, s.name, tuple((m.role, m.content) for m in s.messages))
        for s in transcript.transcript
    ]


async def follow_and_answer(
    client: RxSuperMeClient,
    interview_id: str,
    reconnect: ReconnectPolicy | None = None,
) -> tuple[list[ReplyOutcome], Transcript]:
    """Auto-reply on the shared stream while folding it into a live transcript."""
    events = client.stream_interview(interview_id, reconnect=reconnect)
    replied: reactivex.Observable[ReplyOutcome] = events.pipe(
        auto_reply(client, interview_id, answer)
    )
    outcomes = replied.pipe(ops.to_list())
    folded: reactivex.Observable[Transcript] = events.pipe(live_transcript())
    transcript = folded.pipe(ops.last())
    replies, live = await asyncio.gather(
        asyncio.ensure_future(_awaited(outcomes)),
        asyncio.ensure_future(_awaited(transcript)),
    )
    return replies, live


async def _awaited(source: reactivex.Observable[Any]) -> Any:
    return await source


async def test_auto_reply_answers_each_prompt_exactly_once(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """Every question of the manual stages gets one reply, seen by the service once."""
    interview_id = (await client.start_interview(ROLE_ORDINARY)).interview_id

    outcomes, _ = await follow_and_answer(client, interview_id)

    assert [o.status for o in outcomes] == [
        ReplyStatus.SENT
    ] * QUESTIONS_OF_ORDINARY_ROLE
    received = [m.content for m in sim.interview(interview_id).messages]
    assert received == [o.reply for o in outcomes]
    assert len(set(received)) == QUESTIONS_OF_ORDINARY_ROLE


async def test_live_transcript_ends_equal_to_the_service_transcript(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """The transcript folded from the stream equals get_interview_transcript's."""
    interview_id = (await client.start_interview(ROLE_ORDINARY)).interview_id

    _, live = await follow_and_answer(client, interview_id)
    served = await client.get_interview_transcript(interview_id)

    assert shape(live) == shape(served)
    assert sum(len(s.messages) for s in served.transcript) > QUESTIONS_OF_ORDINARY_ROLE


async def test_auto_reply_survives_drops_and_an_unavailable_message_endpoint() -> None:
    """Stream drops and one 503 with Retry-After still give one reply per prompt."""
    faults = Faults(
        drop_stream_after=3,
        fail_requests={"send_interview_message": FailSpec(1, 503, retry_after=0)},
    )
    async with Simulator(time_scale=0, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = (await client.start_interview(ROLE_ORDINARY)).interview_id
            outcomes, live = await follow_and_answer(client, interview_id, QUICK)
            served = await client.get_interview_transcript(interview_id)

    received = [m.content for m in sim.interview(interview_id).messages]
    assert received == [o.reply for o in outcomes]
    assert len(received) == QUESTIONS_OF_ORDINARY_ROLE
    assert max(o.attempts for o in outcomes) == 2
    assert shape(live) == shape(served)
    message_posts = [
        r.status for r in sim.requests if r.endpoint == "send_interview_message"
    ]
    assert message_posts == [503] + [200] * QUESTIONS_OF_ORDINARY_ROLE


async def test_client_run_interview_goes_from_start_to_score(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """run_interview reports each step in order and ends with the final transcript."""
    progress: list[Progress] = await client.run_interview(
        ROLE_ORDINARY, answer, poll_interval=0.01
    ).pipe(ops.to_list())

    kinds = [p.kind for p in progress]
    assert kinds[0] is ProgressKind.STARTED
    assert kinds[-3:] == [
        ProgressKind.SUBMITTED,
        ProgressKind.SCORED,
        ProgressKind.TRANSCRIPT,
    ]
    assert kinds.count(ProgressKind.REPLY) == QUESTIONS_OF_ORDINARY_ROLE
    scored = progress[-2]
    assert scored.status == "scored"
    interview_id = progress[0].interview_id
    assert sim.interview(interview_id).status == "scored"
    final = progress[-1].transcript
    assert final is not None and final.transcript


async def test_hundred_interviews_at_once_all_end_scored(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """A hundred concurrent run_interview pipelines each end scored, one reply each."""
    runs = run_interviews(client, [ROLE_ORDINARY] * 100, answer, poll_interval=0.02)

    progress: list[Progress] = await runs.pipe(ops.to_list())

    scored = {p.interview_id for p in progress if p.kind is ProgressKind.SCORED}
    assert len(scored) == 100
    assert all(sim.interview(i).status == "scored" for i in scored)
    replies = Counter(p.interview_id for p in progress if p.kind is ProgressKind.REPLY)
    assert set(replies.values()) == {QUESTIONS_OF_ORDINARY_ROLE}
    assert all(
        len(sim.interview(i).messages) == QUESTIONS_OF_ORDINARY_ROLE for i in scored
    )
