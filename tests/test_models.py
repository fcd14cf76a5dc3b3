"""Typed models: tolerant of what the service adds, omits or renames."""

from __future__ import annotations

import pydantic
import pytest

from superme_rx import (
    InterviewStatus,
    MessageEvent,
    StatusEvent,
    TokenEvent,
    Transcript,
    UnknownEvent,
)
from superme_rx.models import Event


def test_event_from_payload_picks_the_model_by_kind() -> None:
    """Each known kind gets its model; an unknown kind passes through untouched."""
    token = Event.from_payload(
        {"event": "token", "token": "Hi", "role": "company"}, "3"
    )
    mystery = Event.from_payload({"event": "mystery", "x": [1, 2]}, None)

    assert isinstance(token, TokenEvent) and token.token == "Hi" and token.id == "3"
    assert isinstance(mystery, UnknownEvent)
    assert mystery.kind == "mystery" and mystery.raw == {
        "event": "mystery",
        "x": [1, 2],
    }


def test_event_envelope_ignores_payload_keys_named_id_or_raw() -> None:
    """A payload's own id or raw keys neither replace nor break the SSE envelope."""
    payload = {"event": "message", "content": "ok", "id": 99, "raw": "text"}

    event = Event.from_payload(payload, "7")

    assert isinstance(event, MessageEvent)
    assert event.id == "7"
    assert event.raw is payload


def test_event_of_known_kind_with_wrong_types_fails_validation() -> None:
    """A status event without its status is a ValidationError (the stream skips it)."""
    with pytest.raises(pydantic.ValidationError):
        Event.from_payload({"event": "status"}, "1")


def test_event_is_frozen_and_terminal_status_is_recognised() -> None:
    """Events cannot be changed, and terminal statuses say so."""
    done = Event.from_payload({"event": "status", "status": "scored"}, "9")

    assert isinstance(done, StatusEvent) and done.is_terminal
    with pytest.raises(pydantic.ValidationError):
        done.status = "active"


def test_status_keeps_extra_fields_and_tolerates_missing_ones() -> None:
    """Unknown fields survive; stages and active stage may be absent."""
    status = InterviewStatus.model_validate(
        {"interview_id": "i", "status": "active", "score_hint": 0.7}
    )

    assert status.stages == () and status.active_stage is None
    assert status.model_extra == {"score_hint": 0.7}


def test_transcript_accepts_each_way_of_naming_a_stage() -> None:
    """stage_number, number, or only a stage name: all three are read."""
    transcript = Transcript.model_validate(
        {
            "transcript": [
                {"stage_number": 1, "messages": [{"role": "company", "content": "a"}]},
                {"number": 2, "messages": [{"role": "candidate", "message": "b"}]},
                {"stage": "Wrap-up", "messages": []},
            ]
        }
    )

    stages = transcript.transcript
    assert [s.stage_number for s in stages] == [1, 2, None]
    assert stages[2].name == "Wrap-up"
    assert stages[1].messages[0].content == "b"
