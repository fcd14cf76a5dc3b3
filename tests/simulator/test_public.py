"""The simulator's public surface, its logging and its unexpected errors."""

from __future__ import annotations

import inspect
import logging

import httpx
import pytest

import superme_rx.simulator as simulator
from superme_rx.simulator import ROLE_FAILED, RequestRecord, Simulator

from ._helpers import read_stream, start


def test_all_is_sorted_and_documented() -> None:
    """__all__ is sorted, names every public attribute, and each has a docstring."""
    public = {
        name
        for name, value in vars(simulator).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and name != "annotations"
    }

    assert simulator.__all__ == sorted(
        simulator.__all__, key=lambda n: (not n.isupper(), n)
    )
    assert set(simulator.__all__) == public
    for name in simulator.__all__:
        value = getattr(simulator, name)
        if inspect.isclass(value):
            assert inspect.getdoc(value), name


def test_simulator_signature_is_keyword_only() -> None:
    """Simulator takes keyword arguments only, with the documented defaults."""
    parameters = inspect.signature(Simulator).parameters

    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert {name: p.default for name, p in parameters.items()} == {
        "host": "127.0.0.1",
        "port": 0,
        "faults": None,
        "time_scale": 1.0,
        "user_id": "sim-user",
        "large": None,
        "keepalive_interval": 15.0,
        "record_requests": True,
    }


async def test_simulator_base_url_has_no_trailing_slash(sim: Simulator) -> None:
    """base_url is the loopback root with the bound port and no trailing slash."""
    assert sim.base_url.startswith("http://127.0.0.1:")
    assert not sim.base_url.endswith("/")
    assert int(sim.base_url.rsplit(":", 1)[1]) > 0
    assert sim.role_ids == (
        "role-backend-engineer",
        "role-failed",
        "role-withdrawn",
        "role-slow",
        "role-large",
    )


async def test_simulator_not_started_has_no_url() -> None:
    """Reading base_url before start raises a RuntimeError that says why."""
    with pytest.raises(RuntimeError, match="not started"):
        _ = Simulator().base_url


async def test_requests_log_one_line_without_token(
    sim: Simulator, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Each request logs one INFO line with method, path and status, never the key."""
    with caplog.at_level(logging.DEBUG, logger="superme_rx.simulator"):
        interview_id = await start(client, ROLE_FAILED)
        await client.get("/api/v3/nowhere")

    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines[0].startswith("POST /api/v3/agent/interview/start -> 200 (")
    assert lines[1].startswith("GET /api/v3/nowhere -> 404 (")
    assert all(sim.api_key not in r.getMessage() for r in caplog.records)
    assert sim.requests[-1] == RequestRecord("GET", "/api/v3/nowhere", None, 404)
    assert sim.requests[0].endpoint == "start_interview"
    assert interview_id in sim.interview_ids


async def test_ts_is_set_when_sent(sim: Simulator, client: httpx.AsyncClient) -> None:
    """A replayed event carries the time of its replay, not of its creation."""
    interview_id = await start(client, ROLE_FAILED)
    first = await read_stream(client, interview_id)

    again = await read_stream(client, interview_id)

    created = sim.interview(interview_id).records[0].created
    assert created <= first.payloads[0]["ts"] < again.payloads[0]["ts"]


async def test_unexpected_error_is_json_500_logged_once(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A handler bug answers a JSON 500 and logs one ERROR with its traceback."""

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("superme_rx.simulator._routes._interview", broken)
    with caplog.at_level(logging.INFO):
        response = await client.get("/api/v3/interview/iv-1/status")

    assert response.status_code == 500
    assert response.json() == {"error": "internal simulator error"}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
