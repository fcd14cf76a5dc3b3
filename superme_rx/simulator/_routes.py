"""The REST endpoints of API.md, and the table naming every route.

Checks run in this order: injected faults, authentication (401), the
interview's existence for this user (404), the body (422), then the
interview's state (409).
"""

from __future__ import annotations

import logging
from typing import Any, TypeGuard

from aiohttp import web

from ._core import CORE, Reject, exchange
from ._http import json_response, read_json
from ._runner import accept_answer, score
from ._state import FeedbackRecord, Interview
from ._stream import stream_interview

__all__ = ["add_routes"]

logger = logging.getLogger(__name__)

_ATTACHMENT_FIELDS = ("gcs_path", "filename", "content_type")


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but true is no stage number.
    return isinstance(value, int) and not isinstance(value, bool)


def _interview(request: web.Request) -> Interview:
    core = request.app[CORE]
    return core.lookup(request.match_info["interview_id"], exchange().user_id)


async def start_interview(request: web.Request) -> web.Response:
    """``POST /api/v3/agent/interview/start``: start a role's script."""
    core = request.app[CORE]
    body = await read_json(request)
    role_id = body.get("role_id")
    if not isinstance(role_id, str) or not role_id:
        raise Reject(422, "role_id must be a non-empty string")

    script = core.scripts.get(role_id)
    if script is None:
        raise Reject(
            404, f"role {role_id} not found; try one of {sorted(core.scripts)}"
        )
    if core.closing:
        raise Reject(503, "the simulator is stopping")

    interview = core.start_interview(exchange().user_id, script)
    logger.debug("started interview %s of %s", interview.interview_id, role_id)
    return json_response(
        {"interview_id": interview.interview_id, "status": "preparing"}
    )


async def get_interview_status(request: web.Request) -> web.Response:
    """``GET /api/v3/interview/{id}/status``: status, stages, active stage."""
    interview = _interview(request)
    stages = [
        {"stage_number": number, "name": stage.name, "status": status}
        for number, (stage, status) in enumerate(
            zip(interview.script.stages, interview.stage_statuses, strict=True), start=1
        )
    ]
    return json_response(
        {
            "interview_id": interview.interview_id,
            "status": interview.status,
            "stages": stages,
            "active_stage": interview.stage,
            "role_id": interview.script.role_id,
        }
    )


async def get_interview_transcript(request: web.Request) -> web.Response:
    """``GET /api/v3/interview/{id}/transcript``: the stages started so far."""
    interview = _interview(request)
    stages = [
        {
            "stage_number": number,
            "name": interview.script.stages[number - 1].name,
            "messages": list(messages),
        }
        for number, messages in enumerate(interview.transcript, start=1)
    ]
    return json_response({"transcript": stages})


async def list_my_interviews(request: web.Request) -> web.Response:
    """``GET /api/v3/interview/by-user/{user_id}``: the caller's interviews."""
    core = request.app[CORE]
    user_id = request.match_info["user_id"]
    if exchange().user_id is None or exchange().user_id != user_id:
        raise Reject(403, "an API key may list its own user's interviews only")

    interviews = [
        {
            "interview_id": interview.interview_id,
            "status": interview.status,
            "role_id": interview.script.role_id,
            "created_at": interview.created,
        }
        for interview in core.interviews.values()
        if interview.user_id == user_id
    ]
    return json_response({"interviews": interviews})


def _attachments(value: object) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Reject(422, "attachments must be a list")

    checked = []
    for item in value:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(field), str) and item[field]
            for field in _ATTACHMENT_FIELDS
        ):
            raise Reject(422, f"each attachment needs the strings {_ATTACHMENT_FIELDS}")
        checked.append({field: item[field] for field in _ATTACHMENT_FIELDS})
    return tuple(checked)


async def send_interview_message(request: web.Request) -> web.Response:
    """``POST /api/v3/agent/interview/{id}/message``: answer a question."""
    interview = _interview(request)
    body = await read_json(request)
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        raise Reject(422, "message must be a non-empty string")
    stage_number = body.get("stage_number")
    if stage_number is not None and not _is_int(stage_number):
        raise Reject(422, "stage_number must be an integer")
    attachments = _attachments(body.get("attachments"))

    if interview.status != "awaiting_input" or interview.answer is None:
        raise Reject(
            409, f"interview is not awaiting input (status {interview.status})"
        )
    expected = interview.question[0]
    if stage_number is not None and stage_number != expected:
        raise Reject(
            409, f"interview awaits input in stage {expected}, not {stage_number}"
        )

    answer: dict[str, Any] = accept_answer(interview, message, attachments)
    return json_response(answer)


async def submit_interview(request: web.Request) -> web.Response:
    """``POST /api/v3/interview/{id}/submit``: send a completed one to scoring."""
    core = request.app[CORE]
    interview = _interview(request)
    if interview.status != "completed":
        raise Reject(
            409,
            f"only a completed interview can be submitted (status {interview.status})",
        )

    interview.emit({"event": "status", "status": "scoring"})
    core.spawn(score(interview, core.time_scale), interview)
    return json_response(
        {"status": "submitted", "interview_id": interview.interview_id}
    )


async def send_interview_feedback(request: web.Request) -> web.Response:
    """``POST /api/v3/agent/interview/{id}/feedback``: rate one stage."""
    interview = _interview(request)
    body = await read_json(request)
    stage_number = body.get("stage_number")
    rating = body.get("rating")
    comments = body.get("comments")
    stages = len(interview.script.stages)
    if not _is_int(stage_number) or not 1 <= stage_number <= stages:
        raise Reject(422, f"stage_number must be an integer from 1 to {stages}")
    if not _is_int(rating) or not 1 <= rating <= 5:
        raise Reject(422, "rating must be an integer from 1 to 5")
    if not isinstance(comments, str):
        raise Reject(422, "comments must be a string")

    interview.feedback.append(FeedbackRecord(stage_number, rating, comments))
    return json_response(
        {
            "success": True,
            "interview_id": interview.interview_id,
            "stage_number": stage_number,
        }
    )


def add_routes(app: web.Application) -> None:
    """Add every endpoint of API.md to ``app``, named by its vendor method."""
    agent = "/api/v3/agent/interview"
    interview = "/api/v3/interview"
    app.router.add_post(f"{agent}/start", start_interview, name="start_interview")
    app.router.add_get(
        f"{interview}/{{interview_id}}/status",
        get_interview_status,
        name="get_interview_status",
    )
    app.router.add_get(
        f"{interview}/{{interview_id}}/transcript",
        get_interview_transcript,
        name="get_interview_transcript",
    )
    app.router.add_get(
        f"{interview}/by-user/{{user_id}}",
        list_my_interviews,
        name="list_my_interviews",
    )
    app.router.add_post(
        f"{agent}/{{interview_id}}/message",
        send_interview_message,
        name="send_interview_message",
    )
    app.router.add_post(
        f"{interview}/{{interview_id}}/submit",
        submit_interview,
        name="submit_interview",
    )
    app.router.add_post(
        f"{agent}/{{interview_id}}/feedback",
        send_interview_feedback,
        name="send_interview_feedback",
    )
    app.router.add_get(
        f"{agent}/{{interview_id}}/stream", stream_interview, name="stream_interview"
    )
