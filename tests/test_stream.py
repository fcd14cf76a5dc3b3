"""The interview's event stream against the simulator, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import reactivex
from aiohttp import web
from reactivex import operators as ops

import superme_rx._events
from superme_rx import (
    NO_RECONNECT,
    AuthenticationError,
    Event,
    EventTooLarge,
    MessageEvent,
    NotFoundError,
    ReconnectPolicy,
    RxSuperMeClient,
    StageChangeEvent,
    StatusEvent,
    StreamError,
    TokenEvent,
    UnknownEvent,
)
from superme_rx.simulator import FailSpec, Faults, LargeScript, Simulator

ROLE_LARGE = "role-large"
SCRIPT = LargeScript(
    stages=3,
    questions_per_stage=2,
    tokens_per_message=4,
    token_interval=0,
    manual=False,
)
FAST = ReconnectPolicy(max_attempts=5, initial_delay=0.01, max_delay=0.05)


@pytest.fixture(autouse=True, params=["push", "task"])
def read_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with bodies decoded where they arrive, and by the task."""
    monkeypatch.setattr(superme_rx._events, "_PUSH", request.param == "push")
    return cast(str, request.param)


@pytest.fixture
async def large_sim() -> AsyncIterator[Simulator]:
    """A simulator whose large role runs to completion without any input."""
    async with Simulator(time_scale=0, large=SCRIPT) as simulator:
        yield simulator


async def collect(stream: reactivex.Observable[Event]) -> list[Event]:
    """Subscribe and gather every event until the stream completes."""
    return await stream.pipe(ops.to_list())


def expected_payloads(sim: Simulator, interview_id: str) -> list[dict[str, Any]]:
    """The payloads the simulator produced up to its first terminal status."""
    out: list[dict[str, Any]] = []
    for payload in sim.interview(interview_id).events:
        out.append(payload)
        if payload.get("event") == "status" and payload.get("status") in (
            "completed", "failed", "withdrawn", "scoring", "scored",
        ):  # fmt: skip
            break
    return out


def without_ts(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload minus the simulator's send timestamp, which replays renew."""
    return {k: v for k, v in payload.items() if k != "ts"}


def stream_requests(sim: Simulator) -> list[int]:
    return [r.status for r in sim.requests if r.endpoint == "stream_interview"]


def reading_tasks() -> list[asyncio.Task[Any]]:
    """The client's stream-reading tasks still alive in this loop."""
    return [
        t for t in asyncio.all_tasks()
        if "InterviewStream._read" in repr(t.get_coro()) and not t.done()
    ]  # fmt: skip


def asks_the_candidate(event: Event) -> bool:
    """Whether an event is the status that awaits the candidate's answer."""
    return isinstance(event, StatusEvent) and event.status == "awaiting_input"


async def start(client: RxSuperMeClient, role: str = ROLE_LARGE) -> str:
    return (await client.start_interview(role)).interview_id


async def test_stream_emits_typed_events_and_completes_at_the_terminal_status(
    large_sim: Simulator,
) -> None:
    """Every payload arrives as its model, with raw and id, ending with completed."""
    async with RxSuperMeClient(
        large_sim.api_key, base_url=large_sim.base_url
    ) as client:
        interview_id = await start(client)
        events = await collect(client.stream_interview(interview_id))

    assert [without_ts(e.raw) for e in events] == expected_payloads(
        large_sim, interview_id
    )
    assert all(isinstance(e.raw["ts"], float) for e in events)
    kinds = {type(e) for e in events}
    assert {StageChangeEvent, TokenEvent, MessageEvent, StatusEvent} <= kinds
    last = events[-1]
    assert isinstance(last, StatusEvent) and last.status == "completed"
    assert all(e.id for e in events)
    assert [int(e.id or 0) for e in events] == sorted(int(e.id or 0) for e in events)


async def test_stream_is_shared_by_concurrent_subscribers(large_sim: Simulator) -> None:
    """Two subscribers of the same interview share one connection and its events."""
    async with RxSuperMeClient(
        large_sim.api_key, base_url=large_sim.base_url
    ) as client:
        interview_id = await start(client)
        first, second = await asyncio.gather(
            collect(client.stream_interview(interview_id)),
            collect(client.stream_interview(interview_id)),
        )

    assert first == second
    assert stream_requests(large_sim) == [200]


async def test_stream_is_not_reopened_after_completion(large_sim: Simulator) -> None:
    """A late subscriber of a finished stream completes at once, with no request."""
    async with RxSuperMeClient(
        large_sim.api_key, base_url=large_sim.base_url
    ) as client:
        interview_id = await start(client)
        stream = client.stream_interview(interview_id, replay=2)
        await collect(stream)
        late = await collect(client.stream_interview(interview_id, replay=2))

    assert len(late) == 2 and isinstance(late[-1], StatusEvent)
    assert stream_requests(large_sim) == [200]


async def test_last_subscriber_leaving_closes_the_connection(sim: Simulator) -> None:
    """Disposing the only subscription ends the read task and closes the socket."""
    async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
        interview_id = await start(client, sim.role_ids[0])
        first = asyncio.Event()

        subscription = client.stream_interview(interview_id).subscribe(
            lambda _: first.set()
        )
        await asyncio.wait_for(first.wait(), 5)
        assert len(reading_tasks()) == 1

        subscription.dispose()
        for _ in range(50):
            if not reading_tasks():
                break
            await asyncio.sleep(0.01)

        assert reading_tasks() == []
        assert superme_rx._events._SINKS == {}
        connector = cast(Any, client._session).connector
        assert len(connector._conns) == 0
        assert sum(len(v) for v in connector._acquired_per_host.values()) == 0


async def test_dropped_stream_delivers_every_event_once_in_order() -> None:
    """With the stream dropped every four events, each event arrives exactly once."""
    faults = Faults(drop_stream_after=4)
    async with Simulator(time_scale=0, large=SCRIPT, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client)
            events = await collect(
                client.stream_interview(interview_id, reconnect=FAST)
            )

    assert [without_ts(e.raw) for e in events] == expected_payloads(sim, interview_id)
    assert len(stream_requests(sim)) == -(-len(events) // 4)


async def test_server_ignoring_last_event_id_causes_no_duplicate() -> None:
    """A server replaying from the start after each drop yields each event once."""
    faults = Faults(drop_stream_after=5, drop_stream_times=3, ignore_last_event_id=True)
    async with Simulator(time_scale=0, large=SCRIPT, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client)
            events = await collect(
                client.stream_interview(interview_id, reconnect=FAST)
            )

    assert [without_ts(e.raw) for e in events] == expected_payloads(sim, interview_id)
    assert [
        r.last_event_id for r in sim.requests if r.endpoint == "stream_interview"
    ] == [None, "5", "5", "5"]


async def test_stream_retries_server_errors_and_rate_limits() -> None:
    """503 and 429 answers are retried as the policy says, then the stream flows."""
    fail = FailSpec(count=2, status=503, retry_after=0)
    async with (
        Simulator(
            time_scale=0,
            large=SCRIPT,
            faults=Faults(fail_requests={"stream_interview": fail}),
        ) as sim,
        RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client,
    ):
        interview_id = await start(client)
        events = await collect(client.stream_interview(interview_id, reconnect=FAST))

    assert stream_requests(sim) == [503, 503, 200]
    assert isinstance(events[-1], StatusEvent)


async def test_stream_does_not_retry_authentication_or_not_found(
    sim: Simulator,
) -> None:
    """401 and 404 end the stream with their error after a single request."""
    async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
        with pytest.raises(NotFoundError):
            await collect(client.stream_interview("nobody", reconnect=FAST))
        interview_id = await start(client, sim.role_ids[0])

    forged = sim.make_api_key("sim-user")[:-3] + "xyz"
    async with RxSuperMeClient(forged, base_url=sim.base_url) as client:
        with pytest.raises(AuthenticationError):
            await collect(client.stream_interview(interview_id, reconnect=FAST))

    assert stream_requests(sim) == [404, 401]


async def test_malformed_payloads_are_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Non-JSON data is logged with the interview and event id; unknown kinds pass."""
    faults = Faults(malformed_every=5, unknown_kind_every=7)
    async with Simulator(time_scale=0, large=SCRIPT, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client)
            events = await collect(client.stream_interview(interview_id))

    skipped = [r for r in caplog.records if "not JSON" in r.getMessage()]
    assert skipped and all(r.levelno == logging.WARNING for r in skipped)
    assert all(interview_id in r.getMessage() for r in skipped)
    assert any(isinstance(e, UnknownEvent) and e.kind == "mystery" for e in events)
    assert isinstance(events[-1], StatusEvent) and events[-1].status == "completed"


async def test_oversized_event_is_a_clear_error() -> None:
    """An event past max_event_bytes ends the stream with EventTooLarge; the
    event before it is delivered first."""
    faults = Faults(oversized_event_bytes=3_000_000)
    seen: list[Event] = []
    async with Simulator(time_scale=0, large=SCRIPT, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client)
            stream = client.stream_interview(interview_id)
            with pytest.raises(EventTooLarge):
                await stream.pipe(ops.do_action(seen.append))
            first = sim.interview(interview_id).events[0]

    assert [without_ts(event.raw) for event in seen] == [first]
    assert len(stream_requests(sim)) == 1


async def test_stream_without_reconnection_fails_on_a_drop() -> None:
    """NO_RECONNECT turns a drop before the terminal status into a StreamError."""
    faults = Faults(drop_stream_after=3)
    async with Simulator(time_scale=0, large=SCRIPT, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client)
            with pytest.raises(StreamError, match="reconnection is off"):
                await collect(
                    client.stream_interview(interview_id, reconnect=NO_RECONNECT)
                )


async def test_no_content_answer_on_reconnect_completes_the_stream() -> None:
    """A 204 to the resumed request ends the stream: subscribers complete."""
    seen_last_ids: list[str | None] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        seen_last_ids.append(request.headers.get("Last-Event-ID"))
        if len(seen_last_ids) > 1:
            return web.Response(status=204)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(
            b'id: 1\ndata: {"event":"token","token":"a"}\n\n'
            b'id: 2\ndata: {"event":"token","token":"b"}\n\n'
        )
        assert request.transport is not None
        request.transport.close()  # a drop before any terminal status
        return response

    app = web.Application()
    app.router.add_get("/api/v3/agent/interview/{interview_id}/stream", stream)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with RxSuperMeClient("key", base_url=base_url) as client:
            events = await asyncio.wait_for(
                collect(client.stream_interview("iv-1", reconnect=FAST)), 10
            )
    finally:
        await runner.cleanup()

    assert [cast(TokenEvent, e).token for e in events] == ["a", "b"]
    assert seen_last_ids == [None, "2"]


async def test_idle_timeout_reconnects_a_silent_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream quiet for longer than idle_timeout is reconnected, with a warning."""
    async with Simulator(time_scale=1.0, keepalive_interval=30) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client, sim.role_ids[0])
            stream = client.stream_interview(
                interview_id, idle_timeout=0.2, reconnect=ReconnectPolicy(
                    max_attempts=1, initial_delay=0.01
                ),
            )  # fmt: skip
            with pytest.raises(StreamError, match="idle timeout"):
                await collect(stream)

    assert any("reconnecting" in r.getMessage() for r in caplog.records)


async def test_keepalive_comments_count_as_activity() -> None:
    """Keep-alive comments faster than idle_timeout keep the connection open."""
    async with Simulator(time_scale=0.2, keepalive_interval=0.05) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            interview_id = await start(client, sim.role_ids[0])
            stream = client.stream_interview(
                interview_id, idle_timeout=0.3, reconnect=NO_RECONNECT
            )
            prompt = await stream.pipe(ops.first(asks_the_candidate))

    assert isinstance(prompt, StatusEvent)
    assert stream_requests(sim) == [200]


async def test_closing_the_client_errors_open_streams(sim: Simulator) -> None:
    """aclose() ends every open stream with StreamError, leaving none hanging."""
    client = RxSuperMeClient(sim.api_key, base_url=sim.base_url)
    interview_id = await start(client, sim.role_ids[0])
    errors: list[Exception] = []
    got_first = asyncio.Event()

    client.stream_interview(interview_id).subscribe(
        lambda _: got_first.set(), errors.append
    )
    await asyncio.wait_for(got_first.wait(), 5)
    await client.aclose()

    assert len(errors) == 1 and isinstance(errors[0], StreamError)
