"""Each fault the simulator can inject."""

from __future__ import annotations

import httpx
import pytest

from superme_rx.simulator import (
    ENDPOINTS,
    ROLE_FAILED,
    ROLE_ORDINARY,
    FailSpec,
    Faults,
    Simulator,
)

from ._helpers import STREAM, client_for, read_stream, start, without_ts

START = "/api/v3/agent/interview/start"


async def test_fail_requests_fails_first_requests_only() -> None:
    """A FailSpec answers the first count requests of its endpoint with its status."""
    faults = Faults(
        fail_requests={"start_interview": FailSpec(2, 429, retry_after=1.5)}
    )
    async with Simulator(time_scale=0, faults=faults) as sim, client_for(sim) as client:
        answers = [
            await client.post(START, json={"role_id": ROLE_ORDINARY}) for _ in range(3)
        ]
        listing = await client.get("/api/v3/interview/by-user/sim-user")

    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1.5"
    assert answers[0].json()["error"]
    assert len(listing.json()["interviews"]) == 1
    assert [(r.endpoint, r.status) for r in sim.requests] == [
        ("start_interview", 429),
        ("start_interview", 429),
        ("start_interview", 200),
        ("list_my_interviews", 200),
    ]


async def test_fail_requests_precedes_authentication() -> None:
    """An injected failure answers before the key is even checked."""
    faults = Faults(fail_requests={"stream_interview": FailSpec(1)})
    async with (
        Simulator(time_scale=0, faults=faults) as sim,
        httpx.AsyncClient(base_url=sim.base_url) as anonymous,
    ):
        first = await anonymous.get(STREAM.format("iv-x"))
        second = await anonymous.get(STREAM.format("iv-x"))

    assert (first.status_code, second.status_code) == (503, 401)
    assert "Retry-After" not in first.headers


async def test_drop_stream_after_cuts_each_connection() -> None:
    """Each connection breaks off after N events; resuming loses nothing."""
    faults = Faults(drop_stream_after=4)
    async with Simulator(time_scale=0, faults=faults) as sim, client_for(sim) as client:
        interview_id = await start(client, ROLE_FAILED)
        streams = [await read_stream(client, interview_id)]
        while streams[-1].cut and len(streams) < 50:
            last = streams[-1].frames[-1].id
            streams.append(await read_stream(client, interview_id, last_event_id=last))
        whole = [r.id for r in sim.interview(interview_id).records]

    assert [len(s.frames) for s in streams[:-1]] == [4] * (len(streams) - 1)
    assert not streams[-1].cut
    assert [f.id for s in streams for f in s.frames] == whole
    assert streams[-1].payloads[-1]["status"] == "failed"
    assert len(sim.requests) == 1 + len(streams)


async def test_malformed_every_inserts_non_json_data() -> None:
    """After every N script events comes one whose data is not JSON, with an id."""
    async with (
        Simulator(time_scale=0, faults=Faults(malformed_every=3)) as sim,
        client_for(sim) as client,
    ):
        interview_id = await start(client, ROLE_FAILED)
        stream = await read_stream(client, interview_id)

    bad = [i for i, f in enumerate(stream.frames) if f.payload is None]
    assert bad[:3] == [3, 7, 11]
    assert all(stream.frames[i].id == str(i + 1) for i in bad)
    assert stream.payloads[-1]["status"] == "failed"
    assert without_ts(stream.payloads) == sim.interview(interview_id).events


async def test_unknown_kind_every_inserts_mystery_events() -> None:
    """After every N script events comes an event of the unknown kind mystery."""
    async with (
        Simulator(time_scale=0, faults=Faults(unknown_kind_every=2)) as sim,
        client_for(sim) as client,
    ):
        interview_id = await start(client, ROLE_FAILED)
        stream = await read_stream(client, interview_id)

    kinds = [p["event"] for p in stream.payloads]
    assert kinds[2] == kinds[5] == "mystery"
    assert stream.payloads[2]["after"] == 2
    injected = [r for r in sim.interview(interview_id).records if r.injected]
    assert {r.kind for r in injected} == {"mystery"}


async def test_oversized_event_has_exact_size() -> None:
    """The oversized event's data line is exactly the size asked for."""
    size = 100_000
    async with (
        Simulator(time_scale=0, faults=Faults(oversized_event_bytes=size)) as sim,
        client_for(sim) as client,
    ):
        interview_id = await start(client, ROLE_FAILED)
        stream = await read_stream(client, interview_id)

    assert len(stream.frames[1].data.encode()) == size
    assert stream.payloads[1]["event"] == "oversized"
    assert sum(p["event"] == "oversized" for p in stream.payloads) == 1


async def test_ignore_last_event_id_replays_from_start() -> None:
    """With ignore_last_event_id, a resumed stream starts again at id 1."""
    faults = Faults(ignore_last_event_id=True)
    async with Simulator(time_scale=0, faults=faults) as sim, client_for(sim) as client:
        interview_id = await start(client, ROLE_FAILED)
        whole = await read_stream(client, interview_id)
        again = await read_stream(client, interview_id, last_event_id="5")

    assert again.frames[0].id == "1"
    assert without_ts(again.payloads) == without_ts(whole.payloads)


async def test_retry_ms_is_sent_first() -> None:
    """With retry_ms, every stream starts with a retry field."""
    async with (
        Simulator(time_scale=0, faults=Faults(retry_ms=250)) as sim,
        client_for(sim) as client,
    ):
        interview_id = await start(client, ROLE_FAILED)
        async with client.stream("GET", STREAM.format(interview_id)) as response:
            first = await response.aiter_lines().__anext__()

    assert first == "retry: 250"


async def test_no_faults_by_default(sim: Simulator, client: httpx.AsyncClient) -> None:
    """A default simulator injects nothing into its streams."""
    interview_id = await start(client, ROLE_FAILED)
    stream = await read_stream(client, interview_id)

    assert all(f.payload is not None for f in stream.frames)
    assert not any(r.injected for r in sim.interview(interview_id).records)
    assert stream.retry == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fail_requests": {"start": FailSpec(1)}},
        {"drop_stream_after": 0},
        {"malformed_every": -1},
        {"retry_ms": -5},
    ],
)
def test_faults_refuse_bad_values(kwargs: dict[str, object]) -> None:
    """Faults refuses unknown endpoint names and non-positive counts."""
    with pytest.raises(ValueError):
        Faults(**kwargs)  # type: ignore[arg-type]


def test_failspec_refuses_success_status() -> None:
    """A FailSpec status must be an error status."""
    with pytest.raises(ValueError):
        FailSpec(1, status=200)
    assert "stream_interview" in ENDPOINTS
