"""Decoding SSE events into typed events, the fast path and the logged skips."""

from __future__ import annotations

import logging

import pytest

from superme_rx import StatusEvent, TokenEvent, UnknownEvent
from superme_rx._events import decode_batch
from superme_rx._sse import ServerSentEvent


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

    events, final = decode_batch(batch, "iv-1")

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

    events, final = decode_batch(batch, "iv-1")

    assert final
    assert [e.id for e in events] == ["1", "2"]


def test_decode_batch_without_a_terminal_status_is_not_final() -> None:
    """A batch of ordinary events reports that the stream goes on."""
    batch = [ServerSentEvent('{"event":"status","status":"in_progress"}', id="1")]

    events, final = decode_batch(batch, "iv-1")

    assert not final and len(events) == 1
