"""Whole interviews played by the simulator's scripts."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx

from superme_rx.simulator import (
    ROLE_FAILED,
    ROLE_LARGE,
    ROLE_ORDINARY,
    ROLE_SLOW,
    ROLE_WITHDRAWN,
    LargeScript,
    Simulator,
)

from ._helpers import client_for, read_stream, start, without_ts

_QUESTION = [
    ("message", "company"),
    ("status", "awaiting_input"),
    ("message", "candidate"),
    ("message", "company"),
    ("status", "in_progress"),
]

ORDINARY_OUTLINE = [
    ("status", "preparing"),
    ("status", "in_progress"),
    ("stage_change", 1),
    ("message", "company"),
    ("message", "company"),
    ("stage_change", 2),
    *_QUESTION,
    *_QUESTION,
    ("stage_change", 3),
    *_QUESTION,
    *_QUESTION,
    ("stage_change", 4),
    ("message", "company"),
    ("status", "completed"),
]


def outline(payloads: list[dict[str, Any]]) -> list[tuple[str, object]]:
    """Each event but tokens, as its kind and its telling field."""
    key = {"status": "status", "stage_change": "stage_number", "message": "role"}
    return [(p["event"], p[key[p["event"]]]) for p in payloads if p["event"] in key]


def check_tokens_spell_messages(payloads: list[dict[str, Any]]) -> None:
    """Assert that every run of tokens joins into the message that follows it."""
    pending: list[str] = []
    for payload in payloads:
        if payload["event"] == "token":
            assert payload["role"] == "company"
            pending.append(payload["token"])
        elif payload["event"] == "message" and payload["role"] == "company" and pending:
            assert "".join(pending) == payload["content"]
            pending = []
    assert pending == []


async def test_ordinary_interview_runs_to_scored(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """Answering each question drives the ordinary role to completed, then scored."""
    assert sim.role_ids[0] == ROLE_ORDINARY
    interview_id = await start(client)

    stream = await read_stream(client, interview_id, answer="A careful answer.")

    payloads = stream.payloads
    assert outline(payloads) == ORDINARY_OUTLINE
    check_tokens_spell_messages(payloads)
    assert {p["stage_number"] for p in payloads if p["event"] == "token"} == {
        1,
        2,
        3,
        4,
    }
    assert all(isinstance(p["ts"], float) for p in payloads)
    assert [f.id for f in stream.frames] == [
        str(n) for n in range(1, len(payloads) + 1)
    ]
    assert len(sim.interview(interview_id).messages) == 4

    submitted = await client.post(f"/api/v3/interview/{interview_id}/submit")
    assert submitted.json()["status"] == "submitted"
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("scored")
    status = await client.get(f"/api/v3/interview/{interview_id}/status")
    assert status.json()["status"] == "scored"
    assert sim.interview(interview_id).events[-2:] == [
        {"event": "status", "status": "scoring"},
        {"event": "status", "status": "scored"},
    ]


async def test_transcript_equals_stream_messages(client: httpx.AsyncClient) -> None:
    """The transcript holds exactly the stream's message events, stage by stage."""
    interview_id = await start(client)
    stream = await read_stream(client, interview_id, answer="Here is my answer.")

    transcript = (
        await client.get(f"/api/v3/interview/{interview_id}/transcript")
    ).json()

    messages = [p for p in stream.payloads if p["event"] == "message"]
    by_stage = {
        stage: [{"role": m["role"], "content": m["content"]} for m in group]
        for stage, group in itertools.groupby(messages, key=lambda m: m["stage_number"])
    }
    assert {
        s["stage_number"]: s["messages"] for s in transcript["transcript"]
    } == by_stage
    assert [s["name"] for s in transcript["transcript"]] == [
        "Introduction",
        "Technical Experience",
        "System Design",
        "Wrap-up",
    ]


async def test_scripts_are_deterministic() -> None:
    """Two runs of a role give the same events, ids and timestamps aside."""
    runs = []
    for _ in range(2):
        async with Simulator(time_scale=0) as sim, client_for(sim) as client:
            interview_id = await start(client)
            stream = await read_stream(client, interview_id, answer="Same answer.")
            runs.append(without_ts(stream.payloads))

    assert runs[0] == runs[1]
    assert len(runs[0]) > 100


async def test_failed_role_ends_failed_after_first_stage(
    client: httpx.AsyncClient,
) -> None:
    """The failed role plays its introduction, then ends with status failed."""
    interview_id = await start(client, ROLE_FAILED)

    stream = await read_stream(client, interview_id)

    assert outline(stream.payloads) == [
        ("status", "preparing"),
        ("status", "in_progress"),
        ("stage_change", 1),
        ("message", "company"),
        ("status", "failed"),
    ]
    status = (await client.get(f"/api/v3/interview/{interview_id}/status")).json()
    assert status["status"] == "failed"
    assert [s["status"] for s in status["stages"]][:2] == ["COMPLETED", "PENDING"]


async def test_withdrawn_role_ends_withdrawn(client: httpx.AsyncClient) -> None:
    """The withdrawn role ends with status withdrawn, which closes the stream."""
    interview_id = await start(client, ROLE_WITHDRAWN)

    stream = await read_stream(client, interview_id)

    assert stream.payloads[-1]["status"] == "withdrawn"
    assert outline(stream.payloads)[-2:] == [
        ("message", "company"),
        ("status", "withdrawn"),
    ]


async def test_large_role_follows_its_shape() -> None:
    """role-large emits stages x questions x tokens token events, automatically."""
    shape = LargeScript(
        stages=3,
        questions_per_stage=4,
        tokens_per_message=200,
        token_interval=0,
        manual=False,
    )
    async with Simulator(time_scale=0, large=shape) as sim, client_for(sim) as client:
        interview_id = await start(client, ROLE_LARGE)
        stream = await read_stream(client, interview_id)

    payloads = stream.payloads
    assert sum(p["event"] == "token" for p in payloads) == 3 * 4 * 200
    assert sum(p["event"] == "message" for p in payloads) == 3 * 4
    assert [p["stage_number"] for p in payloads if p["event"] == "stage_change"] == [
        1,
        2,
        3,
    ]
    assert payloads[-1]["status"] == "completed"
    check_tokens_spell_messages(payloads)


async def test_large_manual_role_awaits_each_question() -> None:
    """With manual=True, each generated message is a question awaiting input."""
    shape = LargeScript(
        stages=2, questions_per_stage=2, tokens_per_message=3, token_interval=0
    )
    async with Simulator(time_scale=0, large=shape) as sim, client_for(sim) as client:
        interview_id = await start(client, ROLE_LARGE)
        stream = await read_stream(client, interview_id, answer="ok")

    statuses = [p["status"] for p in stream.payloads if p["event"] == "status"]
    assert statuses.count("awaiting_input") == 4
    assert statuses[-1] == "completed"


async def test_large_role_paces_events_at_token_interval() -> None:
    """A token_interval of 20 ms spaces the script's events 20 ms apart on average."""
    shape = LargeScript(
        stages=1,
        questions_per_stage=1,
        tokens_per_message=12,
        token_interval=0.02,
        manual=False,
    )
    async with Simulator(large=shape) as sim, client_for(sim) as client:
        interview_id = await start(client, ROLE_LARGE)
        await read_stream(client, interview_id)
        created = [r.created for r in sim.interview(interview_id).records]

    # From in_progress to completed: 1 + 1 + 12 + 1 + 1 pauses of 20 ms each.
    span = created[-1] - created[0]
    assert len(created) == 17
    assert 16 * 0.02 <= span < 16 * 0.02 + 0.1


async def test_slow_role_sends_keepalive_comments() -> None:
    """While the slow role is silent, the stream sends keep-alive comments."""
    async with (
        Simulator(time_scale=0.01, keepalive_interval=0.02) as sim,
        client_for(sim) as client,
    ):
        interview_id = await start(client, ROLE_SLOW)
        stream = await read_stream(client, interview_id)

    assert "keep-alive" in stream.comments
    assert len(stream.comments) >= 5
    assert stream.payloads[-1]["status"] == "completed"
