"""Decoding SSE events into typed events, the fast path and the logged skips."""

from __future__ import annotations

import logging

import pytest

from superme_rx import StatusEvent, TokenEvent, UnknownEvent
from superme_rx._events import decode_batch
from superme_rx._sse import EventBatch, ServerSentEvent


def one(data: str, sse_id: str) -> EventBatch:
    """A batch of one event."""
    return EventBatch.of([ServerSentEvent(data, id=sse_id)])


def test_decode_batch_types_good_events_and_skips_bad_ones_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Malformed events are logged and dropped; the rest keep their order and ids."""
    batch = [
        ServerSentEvent('{"event":"token","token":"Hi","stage_number":1}', id="1"),
        ServerSentEvent("not json", id="2"),
        ServerSentEvent("[1, 2]", id="3"),
        ServerSentEvent('{"event":"status"}', id="4"),
        ServerSentEvent('{"no_kind":true}', id="5"),
        ServerSentEvent('{"event":7}', id="6"),
        ServerSentEvent('{"event":"status","status":"completed"}', id=""),
    ]

    events, final = decode_batch(EventBatch.of(batch), "iv-1")

    assert final
    assert [type(e) for e in events] == [TokenEvent, UnknownEvent, StatusEvent]
    assert [e.id for e in events] == ["1", "5", None]
    assert events[1].raw == {"no_kind": True} and events[1].kind == ""
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all("iv-1" in w for w in warnings)
    assert ["id='2'" in w for w in warnings] == [True, False, False, False]


def test_decode_batch_stops_after_the_first_terminal_status() -> None:
    """Events after a terminal status are left out; other statuses go on."""
    batch = [
        ServerSentEvent('{"event":"status","status":"awaiting_input"}', id="1"),
        ServerSentEvent('{"event":"status","status":"scored"}', id="2"),
        ServerSentEvent('{"event":"token","token":"late"}', id="3"),
    ]

    events, final = decode_batch(EventBatch.of(batch), "iv-1")

    assert final
    assert [e.id for e in events] == ["1", "2"]


def test_decode_batch_without_a_terminal_status_is_not_final() -> None:
    """A batch of ordinary events reports that the stream goes on."""
    batch = [ServerSentEvent('{"event":"status","status":"in_progress"}', id="1")]

    events, final = decode_batch(EventBatch.of(batch), "iv-1")

    assert not final and len(events) == 1


def test_events_validated_from_text_parse_raw_on_first_use() -> None:
    """``raw`` equals the payload, unknown keys included, and is parsed once."""
    data = '{"event":"token","token":"Hi","stage_number":2,"ts":1.5}'

    (event,), _ = decode_batch(one(data, "4"), "iv-1")

    assert isinstance(event, TokenEvent) and event.token == "Hi"
    assert event.raw == {"event": "token", "token": "Hi", "stage_number": 2, "ts": 1.5}
    assert event.raw is event.raw


@pytest.mark.parametrize(
    "data",
    [
        '{"event": "status", "status": "scored"}',
        '{"status":"scored","event":"status"}',
        '{"event":"token","token":"x","event":"status","status":"scored"}',
        ' {"event":"status","status":"scored"}',
    ],
    ids=["spaced", "kind-last", "kind-twice", "leading-space"],
)
def test_events_of_any_layout_get_the_model_of_their_parsed_kind(data: str) -> None:
    """The kind read off the text is only a guess; the parsed kind decides."""
    (event,), final = decode_batch(one(data, "1"), "iv-1")

    assert isinstance(event, StatusEvent) and event.status == "scored"
    assert final
    assert event.raw["status"] == "scored"


def test_raw_keeps_values_that_only_the_standard_parser_reads() -> None:
    """A NaN that pydantic accepts still gives a ``raw`` (via the stdlib parser)."""
    data = '{"event":"token","token":"a","score":NaN}'

    (event,), _ = decode_batch(one(data, "1"), "iv-1")

    assert event.raw["token"] == "a" and event.raw["score"] != event.raw["score"]


def test_a_batch_of_mixed_kinds_gives_each_event_its_own_model() -> None:
    """Runs of one kind and changes of kind within one read are both typed right."""
    batch = [
        ServerSentEvent('{"event":"token","token":"a"}', id="1"),
        ServerSentEvent('{"event":"token","token":"b"}', id="2"),
        ServerSentEvent('{"event":"message","content":"ab"}', id="3"),
        ServerSentEvent('{"event": "token", "token": "c"}', id="4"),
        ServerSentEvent('{"event":"tokens","token":"d"}', id="5"),
        ServerSentEvent('{"event":"stage_change","stage_number":2}', id="6"),
    ]

    events, final = decode_batch(EventBatch.of(batch), "iv-1")

    kinds = [(type(e).__name__, e.kind) for e in events]
    assert kinds == [
        ("TokenEvent", "token"),
        ("TokenEvent", "token"),
        ("MessageEvent", "message"),
        ("TokenEvent", "token"),
        ("UnknownEvent", "tokens"),
        ("StageChangeEvent", "stage_change"),
    ]
    assert not final
