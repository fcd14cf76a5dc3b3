"""The simulator's event stream: framing, replay, end, 204 and shutdown."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from superme_rx.simulator import ROLE_FAILED, ROLE_ORDINARY, Simulator

from ._helpers import STREAM, client_for, read_stream, start, without_ts


async def _finished(client: httpx.AsyncClient, role_id: str = ROLE_FAILED) -> str:
    interview_id = await start(client, role_id)
    await read_stream(client, interview_id, answer="fine")
    return interview_id


async def test_stream_headers_and_framing(client: httpx.AsyncClient) -> None:
    """The stream is uncompressed text/event-stream of id and data lines."""
    interview_id = await start(client, ROLE_FAILED)

    async with client.stream("GET", STREAM.format(interview_id)) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert "Content-Encoding" not in response.headers
    first = raw.split(b"\n\n")[0].split(b"\n")
    assert first[0] == b"id: 1"
    assert first[1].startswith(b'data: {"event":"status","status":"preparing","ts":')


async def test_stream_ends_after_first_terminal_status(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """A stream stops at the first terminal status, though scoring events follow."""
    interview_id = await _finished(client, ROLE_ORDINARY)
    await client.post(f"/api/v3/interview/{interview_id}/submit")
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("scored")

    stream = await read_stream(client, interview_id)

    assert stream.payloads[-1]["status"] == "completed"
    assert [p.get("status") for p in stream.payloads].count("completed") == 1
    assert len(stream.frames) == len(sim.interview(interview_id).records) - 2


async def test_stream_resumes_after_last_event_id(client: httpx.AsyncClient) -> None:
    """With Last-Event-ID, the stream replays only the events after that id."""
    interview_id = await _finished(client)
    whole = await read_stream(client, interview_id)

    resumed = await read_stream(client, interview_id, last_event_id="3")

    assert resumed.frames[0].id == "4"
    assert without_ts(resumed.payloads) == without_ts(whole.payloads[3:])


async def test_stream_unknown_last_event_id_replays_all(
    client: httpx.AsyncClient,
) -> None:
    """An id the log never gave replays the stream from its first event."""
    interview_id = await _finished(client)

    for bogus in ("abc", "-4", "99999"):
        stream = await read_stream(client, interview_id, last_event_id=bogus)
        assert stream.frames[0].id == "1", bogus


async def test_stream_after_terminal_is_204(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """Resuming at or past the terminal event gets 204 and no body."""
    interview_id = await _finished(client)
    terminal = str(len(sim.interview(interview_id).records))

    response = await client.get(
        STREAM.format(interview_id), headers={"Last-Event-ID": terminal}
    )

    assert response.status_code == 204
    assert response.content == b""


async def test_stream_live_follows_new_events(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """A stream waiting at the end of the log delivers events appended later."""
    interview_id = await start(client)
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("awaiting_input")
    seen = str(len(sim.interview(interview_id).records))

    async def answer_late() -> None:
        await client.post(
            f"/api/v3/agent/interview/{interview_id}/message", json={"message": "Late."}
        )

    stream = await read_stream(
        client, interview_id, last_event_id=seen, stop_after=3, on_open=answer_late
    )

    assert stream.frames[0].id == str(int(seen) + 1)
    assert [(p["event"], p.get("role"), p.get("status")) for p in stream.payloads] == [
        ("message", "candidate", None),
        ("message", "company", None),
        ("status", None, "in_progress"),
    ]
    assert stream.payloads[0]["content"] == "Late."


async def test_stream_request_recorded_once(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    """Each stream connection is one RequestRecord, with its Last-Event-ID."""
    interview_id = await _finished(client)
    sim.requests.clear()

    await read_stream(client, interview_id, last_event_id="2")

    assert [(r.endpoint, r.status, r.last_event_id) for r in sim.requests] == [
        ("stream_interview", 200, "2")
    ]


async def test_stream_client_disconnect_is_quiet(
    sim: Simulator, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A client leaving mid-stream logs no error and keeps the server serving."""
    interview_id = await start(client)
    async with asyncio.timeout(5):
        await sim.interview(interview_id).wait_for_status("awaiting_input")

    with caplog.at_level(logging.INFO):
        partial = await read_stream(client, interview_id, stop_after=3)
        await asyncio.sleep(0.05)  # let the server see the disconnect
        status = await client.get(f"/api/v3/interview/{interview_id}/status")

    assert len(partial.frames) == 3
    assert status.status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("stream" in r.getMessage() for r in caplog.records)


async def test_stop_ends_open_streams_and_tasks() -> None:
    """stop() ends a waiting stream promptly and leaves no task behind."""
    before = asyncio.all_tasks()
    sim = Simulator(time_scale=0)
    await sim.start()
    async with client_for(sim) as client:
        interview_id = await start(client)
        reader = asyncio.create_task(read_stream(client, interview_id))
        async with asyncio.timeout(5):
            await sim.interview(interview_id).wait_for_status("awaiting_input")
        await asyncio.sleep(0.05)  # let the stream reach its wait

        # Well under the 1 s aiohttp would wait before cancelling handlers.
        async with asyncio.timeout(0.5):
            await sim.stop()
            stream = await reader

    assert stream.payloads[-1]["status"] == "awaiting_input"
    assert asyncio.all_tasks() == before


async def test_serve_forever_stops_when_cancelled() -> None:
    """serve_forever answers until cancelled, then stops the server."""
    sim = Simulator(time_scale=0)
    await sim.start()
    url = sim.base_url
    serving = asyncio.create_task(sim.serve_forever())
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{url}/api/v3/nowhere")).status_code == 404

    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving

    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{url}/api/v3/nowhere")
