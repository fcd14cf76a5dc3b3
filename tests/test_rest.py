"""Every REST endpoint as a cold Observable, against the simulator on loopback."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from aiohttp import web
from reactivex import operators as ops

from superme_rx import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InterviewStatus,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    RxSuperMeClient,
    Timeouts,
    Transcript,
    TransportError,
)
from superme_rx.simulator import FailSpec, Faults, Simulator


def asks_or_ended(status: InterviewStatus) -> bool:
    """Whether a snapshot awaits the candidate or is final."""
    return status.status == "awaiting_input" or status.is_terminal


async def test_start_interview_emits_the_new_interview(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """start_interview emits one typed value with the id and status preparing."""
    started = await client.start_interview(sim.role_ids[0])

    assert started.interview_id
    assert started.status == "preparing"


async def test_endpoint_observable_is_cold(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """Each subscription sends its own request; building the Observable sends none."""
    started = await client.start_interview(sim.role_ids[0])
    before = len(sim.requests)

    status = client.get_interview_status(started.interview_id)
    assert len(sim.requests) == before

    first = await status
    second = await status
    assert first.interview_id == second.interview_id == started.interview_id
    assert len(sim.requests) == before + 2


async def test_whole_interview_through_every_endpoint(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """Status, message, transcript, submit, feedback and list all give typed values."""
    interview_id = (await client.start_interview(sim.role_ids[0])).interview_id

    answered = 0
    while True:
        polled = client.poll_interview_status(interview_id, interval=0.01)
        status = await polled.pipe(ops.first(asks_or_ended))
        if status.is_terminal:
            break
        reply = await client.send_interview_message(
            interview_id, "I would profile first.", stage_number=status.active_stage
        )
        assert reply.message
        answered += 1

    assert status.status == "completed"
    assert answered >= 2

    transcript = await client.get_interview_transcript(interview_id)
    assert isinstance(transcript, Transcript)
    spoken = [m.content for s in transcript.transcript for m in s.messages]
    assert "I would profile first." in spoken

    submitted = await client.submit_interview(interview_id)
    assert submitted.status == "submitted"

    stage = transcript.transcript[0].stage_number
    assert stage is not None
    feedback = await client.send_interview_feedback(interview_id, stage, 5, "clear")
    assert feedback.success is True

    mine = await client.list_my_interviews()
    assert interview_id in [i.interview_id for i in mine]


async def test_unknown_interview_is_not_found(client: RxSuperMeClient) -> None:
    """A 404 answer reaches on_error as NotFoundError with method, path and message."""
    with pytest.raises(NotFoundError) as caught:
        await client.get_interview_status("no-such-interview")

    assert caught.value.status_code == 404
    assert caught.value.method == "GET"
    assert caught.value.path == "/api/v3/interview/no-such-interview/status"
    assert caught.value.detail


async def test_invalid_key_is_an_authentication_error(sim: Simulator) -> None:
    """A key the service refuses gives AuthenticationError, not a generic error."""
    forged = sim.api_key[:-4] + ("AAAA" if not sim.api_key.endswith("AAAA") else "BBBB")

    async with RxSuperMeClient(forged, base_url=sim.base_url) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.start_interview(sim.role_ids[0])

    assert caught.value.status_code == 401
    assert forged not in str(caught.value)


async def test_submitting_twice_is_a_conflict(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """Submitting an interview that is not completed answers 409 as ApiError."""
    interview_id = (await client.start_interview(sim.role_ids[0])).interview_id

    with pytest.raises(ApiError) as caught:
        await client.submit_interview(interview_id)

    assert caught.value.status_code == 409
    assert type(caught.value) is ApiError


async def test_rate_limit_carries_retry_after() -> None:
    """A 429 with Retry-After becomes RateLimitError with those seconds."""
    faults = Faults(fail_requests={"start_interview": FailSpec(1, 429, retry_after=7)})
    async with Simulator(time_scale=0, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            with pytest.raises(RateLimitError) as caught:
                await client.start_interview(sim.role_ids[0])

    assert caught.value.retry_after == 7


async def test_server_error_is_retried_by_the_retry_operator() -> None:
    """retry() resubscribes the cold Observable: one fresh request per attempt."""
    faults = Faults(fail_requests={"start_interview": FailSpec(2, 503)})
    async with Simulator(time_scale=0, faults=faults) as sim:
        async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as client:
            started = await client.start_interview(sim.role_ids[0]).pipe(ops.retry(3))
            statuses = [
                r.status for r in sim.requests if r.endpoint == "start_interview"
            ]

    assert started.interview_id
    assert statuses == [503, 503, 200]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda c: c.get_interview_status(""), "interview_id"),
        (lambda c: c.get_interview_transcript("   "), "interview_id"),
        (lambda c: c.send_interview_message("i1", ""), "message"),
        (lambda c: c.send_interview_feedback("i1", 1, 0, "x"), "rating"),
        (lambda c: c.send_interview_feedback("i1", 1, 6, "x"), "rating"),
        (lambda c: c.start_interview(""), "role_id"),
    ],
)
async def test_arguments_are_checked_before_any_request(
    client: RxSuperMeClient, sim: Simulator, call: object, fragment: str
) -> None:
    """Bad arguments raise InvalidArgumentError at once and send nothing."""
    with pytest.raises(InvalidArgumentError, match=fragment):
        call(client)  # type: ignore[operator]

    assert sim.requests == []


async def test_listing_needs_a_user_id_claim(sim: Simulator) -> None:
    """A key without user_id cannot list interviews: a clear error, no request."""
    async with RxSuperMeClient(sim.make_api_key(None), base_url=sim.base_url) as client:
        with pytest.raises(ConfigurationError, match="user_id"):
            client.list_my_interviews()

    assert sim.requests == []


async def test_unreachable_service_is_a_transport_error() -> None:
    """A refused connection reaches on_error as TransportError marked as never sent."""
    async with Simulator(time_scale=0) as sim:
        base_url, key = sim.base_url, sim.api_key

    async with RxSuperMeClient(key, base_url=base_url) as client:
        with pytest.raises(TransportError) as caught:
            await client.get_interview_status("i1")

    assert caught.value.request_sent is False
    assert isinstance(caught.value, OSError)


async def test_dispose_before_the_answer_cancels_the_request(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """Disposing while the request is in flight cancels its task and its connection."""
    interview_id = (await client.start_interview(sim.role_ids[0])).interview_id
    results: list[object] = []
    baseline = asyncio.all_tasks()

    subscription = client.get_interview_status(interview_id).subscribe(results.append)
    started = [t for t in asyncio.all_tasks() - baseline if not t.done()]
    assert len(started) == 1

    subscription.dispose()
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert started[0].cancelled()
    assert results == []
    connector = cast(Any, client._session).connector
    assert sum(len(c) for c in connector._acquired_per_host.values()) == 0


@pytest.fixture
async def silent_server() -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback server that never answers; it records handler ends."""
    ended: list[str] = []

    async def hang(request: web.Request) -> web.Response:
        try:
            await asyncio.Event().wait()
        finally:
            ended.append(request.path)
        return web.Response()

    app = web.Application(handler_args={"handler_cancellation": True})
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", ended
    await runner.cleanup()


async def test_timeout_operator_cancels_a_slow_request(
    silent_server: tuple[str, list[str]],
) -> None:
    """reactivex's timeout() disposes the request: its task ends, the socket closes."""
    base_url, ended = silent_server
    async with RxSuperMeClient("k", base_url=base_url) as client:
        slow = client.get_interview_status("i1").pipe(ops.timeout(0.2))
        with pytest.raises(Exception, match="Timeout"):
            await slow

        for _ in range(100):
            if ended:
                break
            await asyncio.sleep(0.01)

    assert ended == ["/api/v3/interview/i1/status"]


async def test_read_timeout_is_a_transport_error_that_may_have_been_sent(
    silent_server: tuple[str, list[str]],
) -> None:
    """A read timeout is a TransportError marked as possibly processed."""
    base_url, _ = silent_server
    quick = Timeouts(read=0.2)

    async with RxSuperMeClient("k", base_url=base_url, timeouts=quick) as client:
        with pytest.raises(TransportError, match="ReadTimeout") as caught:
            await client.submit_interview("i1")

    assert caught.value.request_sent is True


async def test_custom_httpx_transport_replaces_the_default(sim: Simulator) -> None:
    """A user's httpx transport carries every REST request instead of aiohttp."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={"interview_id": "m1", "status": "preparing"})

    mock = httpx.MockTransport(answer)
    async with RxSuperMeClient("k", base_url=sim.base_url, transport=mock) as client:
        started = await client.start_interview("any")

    assert started.interview_id == "m1"
    assert seen == ["/api/v3/agent/interview/start"]
    assert sim.requests == []


async def test_subscription_from_another_thread_runs_on_the_home_loop(
    client: RxSuperMeClient, sim: Simulator
) -> None:
    """A subscriber on a thread without a loop gets its value via the client's loop."""
    loop_thread: list[int] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_value(_: object) -> None:
        loop_thread.append(threading.get_ident())
        loop.call_soon_threadsafe(done.set)

    def subscribe_elsewhere() -> None:
        client.start_interview(sim.role_ids[0]).subscribe(on_value)

    await asyncio.to_thread(subscribe_elsewhere)
    await asyncio.wait_for(done.wait(), 5)

    assert loop_thread == [threading.get_ident()]


async def test_api_key_stays_out_of_reprs_errors_and_logs(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The key appears in no repr, error message or log line, even at DEBUG."""
    caplog.set_level(logging.DEBUG)
    key = sim.api_key

    async with RxSuperMeClient(key, base_url=sim.base_url) as client:
        started = await client.start_interview(sim.role_ids[0])
        with pytest.raises(NotFoundError) as caught:
            await client.get_interview_status("missing")
        texts = [repr(client), str(caught.value), repr(caught.value)]

    assert started.interview_id
    assert any("/status" in r.getMessage() for r in caplog.records)
    for text in texts + [r.getMessage() for r in caplog.records]:
        assert key not in text
