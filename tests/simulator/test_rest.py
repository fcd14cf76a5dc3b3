"""The REST endpoints of the simulator: answers and refusals."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from superme_rx.simulator import (
    ROLE_FAILED,
    ROLE_ORDINARY,
    FeedbackRecord,
    ReceivedMessage,
    Simulator,
)

from ._helpers import client_for, read_stream, start

START = "/api/v3/agent/interview/start"


def _message(interview_id: str) -> str:
    return f"/api/v3/agent/interview/{interview_id}/message"


async def _awaiting(sim: Simulator, interview_id: str) -> None:
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("awaiting_input")


async def test_start_answers_id_and_preparing(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """start_interview answers the new id with status preparing."""
    response = await client.post(START, json={"role_id": ROLE_ORDINARY})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "preparing"
    assert sim.interview_ids == (body["interview_id"],)
    assert sim.interview(body["interview_id"]).role_id == ROLE_ORDINARY


async def test_start_unknown_role_is_404(client: httpx.AsyncClient) -> None:
    """An unknown role id gets 404 with a JSON error naming it."""
    response = await client.post(START, json={"role_id": "role-astronaut"})

    assert response.status_code == 404
    assert "role-astronaut" in response.json()["error"]


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b"", b'{"role_id": 7}', b"{}"]
)
async def test_start_bad_body_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    """A body that is not JSON, not an object, or lacks a string role_id gets 422."""
    response = await client.post(
        START, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"]


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    """A path no endpoint serves gets a JSON 404 too."""
    response = await client.get("/api/v3/nowhere")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]


async def test_status_lists_stages_and_active_stage(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """get_interview_status names every stage, the active one awaiting input."""
    interview_id = await start(client)
    await _awaiting(sim, interview_id)

    body = (await client.get(f"/api/v3/interview/{interview_id}/status")).json()

    assert body["interview_id"] == interview_id
    assert body["status"] == "awaiting_input"
    assert body["active_stage"] == 2
    assert [(s["stage_number"], s["status"]) for s in body["stages"]] == [
        (1, "COMPLETED"),
        (2, "AWAITING_INPUT"),
        (3, "PENDING"),
        (4, "PENDING"),
    ]
    assert all(isinstance(s["name"], str) and s["name"] for s in body["stages"])


async def test_transcript_holds_stages_started_so_far(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """The transcript lists the started stages with the interviewer's messages."""
    interview_id = await start(client)
    await _awaiting(sim, interview_id)

    body = (await client.get(f"/api/v3/interview/{interview_id}/transcript")).json()

    stages = body["transcript"]
    assert [s["stage_number"] for s in stages] == [1, 2]
    assert [m["role"] for m in stages[0]["messages"]] == ["company", "company"]
    assert stages[1]["messages"][-1]["content"].endswith("?")


async def test_list_answers_own_interviews_only(sim: Simulator) -> None:
    """list_my_interviews lists the caller's interviews and nobody else's."""
    async with (
        client_for(sim) as mine,
        client_for(sim, sim.make_api_key("u2")) as theirs,
    ):
        first = await start(mine)
        second = await start(mine, ROLE_FAILED)
        await start(theirs)
        body = (await mine.get("/api/v3/interview/by-user/sim-user")).json()

    assert [i["interview_id"] for i in body["interviews"]] == [first, second]
    assert [i["role_id"] for i in body["interviews"]] == [ROLE_ORDINARY, ROLE_FAILED]
    assert all("status" in i for i in body["interviews"])


async def test_list_other_user_is_403(client: httpx.AsyncClient) -> None:
    """Listing another user's interviews gets 403."""
    response = await client.get("/api/v3/interview/by-user/someone-else")

    assert response.status_code == 403
    assert response.json()["error"]


async def test_message_answers_reply_and_next_stage(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """An answer while awaiting input gets the interviewer's reply and next stage."""
    interview_id = await start(client)
    await _awaiting(sim, interview_id)
    attachment = {
        "gcs_path": "gs://b/cv.pdf",
        "filename": "cv.pdf",
        "content_type": "a/b",
    }

    response = await client.post(
        _message(interview_id),
        json={
            "message": "I built a queue.",
            "stage_number": 2,
            "attachments": [attachment],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["interview_id"] == interview_id
    assert body["stage_name"] == "Technical Experience"
    assert body["message"]
    assert body["next_manual_stage"] == 2
    assert sim.interview(interview_id).messages == (
        ReceivedMessage(2, "I built a queue.", (attachment,)),
    )


async def test_message_when_not_awaiting_is_409(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """A message while the interview does not await input gets 409."""
    interview_id = await start(client, ROLE_FAILED)
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("failed")

    response = await client.post(_message(interview_id), json={"message": "hello?"})

    assert response.status_code == 409
    assert "failed" in response.json()["error"]


async def test_message_wrong_stage_is_409(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """A message naming another stage than the one awaiting input gets 409."""
    interview_id = await start(client)
    await _awaiting(sim, interview_id)

    response = await client.post(
        _message(interview_id), json={"message": "hi", "stage_number": 3}
    )

    assert response.status_code == 409
    assert sim.interview(interview_id).messages == ()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"message": ""},
        {"message": "   "},
        {"message": 42},
        {"message": "hi", "stage_number": "2"},
        {"message": "hi", "attachments": "cv.pdf"},
        {"message": "hi", "attachments": [{"filename": "cv.pdf"}]},
    ],
)
async def test_message_bad_body_is_422(
    sim: Simulator, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    """An empty or missing message, or malformed stage or attachments, gets 422."""
    interview_id = await start(client)
    await _awaiting(sim, interview_id)

    response = await client.post(_message(interview_id), json=body)

    assert response.status_code == 422
    assert response.json()["error"]
    assert sim.interview(interview_id).status == "awaiting_input"


async def test_submit_before_completion_is_409(client: httpx.AsyncClient) -> None:
    """Submitting an interview that has not completed gets 409."""
    interview_id = await start(client)

    response = await client.post(f"/api/v3/interview/{interview_id}/submit")

    assert response.status_code == 409


async def test_submit_twice_is_409(sim: Simulator, client: httpx.AsyncClient) -> None:
    """The first submit of a completed interview succeeds, the second gets 409."""
    interview_id = await start(client)
    await read_stream(client, interview_id, answer="Yes.")
    path = f"/api/v3/interview/{interview_id}/submit"

    first = await client.post(path)
    second = await client.post(path)

    assert first.status_code == 200
    assert first.json() == {"status": "submitted", "interview_id": interview_id}
    assert second.status_code == 409
    async with asyncio.timeout(5):
        assert await sim.interview(interview_id).wait_for_status("scored") == "scored"


async def test_feedback_is_recorded(sim: Simulator, client: httpx.AsyncClient) -> None:
    """Valid feedback answers success and is kept for the interview."""
    interview_id = await start(client)

    response = await client.post(
        f"/api/v3/agent/interview/{interview_id}/feedback",
        json={"stage_number": 1, "rating": 5, "comments": "Clear questions."},
    )

    assert response.status_code == 200
    assert response.json()["success"] is True
    assert sim.interview(interview_id).feedback == (
        FeedbackRecord(1, 5, "Clear questions."),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"stage_number": 1, "rating": 0, "comments": ""},
        {"stage_number": 1, "rating": 6, "comments": ""},
        {"stage_number": 1, "rating": True, "comments": ""},
        {"stage_number": 9, "rating": 3, "comments": ""},
        {"stage_number": 1, "rating": 3},
        {"rating": 3, "comments": ""},
    ],
)
async def test_feedback_bad_values_are_422(
    sim: Simulator, client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    """A rating outside 1..5, an unknown stage or a missing field gets 422."""
    interview_id = await start(client)

    response = await client.post(
        f"/api/v3/agent/interview/{interview_id}/feedback", json=body
    )

    assert response.status_code == 422
    assert sim.interview(interview_id).feedback == ()
