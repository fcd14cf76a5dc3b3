"""Helpers of the simulator's protocol tests, among them a minimal SSE reader.

They use plain httpx, not the library's client, so that the tests check the
wire format itself.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from superme_rx.simulator import ROLE_ORDINARY, Simulator

STREAM = "/api/v3/agent/interview/{}/stream"


def client_for(sim: Simulator, api_key: str | None = None) -> httpx.AsyncClient:
    """A client of ``sim`` sending ``api_key`` (its own by default)."""
    key = sim.api_key if api_key is None else api_key
    return httpx.AsyncClient(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


@dataclasses.dataclass
class Frame:
    """One dispatched SSE event: its id and its data lines joined."""

    id: str | None
    data: str

    @property
    def payload(self) -> dict[str, Any] | None:
        """The decoded data, or None when it is not a JSON object."""
        try:
            value = json.loads(self.data)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclasses.dataclass
class Stream:
    """What one stream connection delivered; ``cut`` if its body broke off."""

    status: int
    headers: httpx.Headers
    frames: list[Frame] = dataclasses.field(default_factory=list)
    comments: list[str] = dataclasses.field(default_factory=list)
    retry: list[str] = dataclasses.field(default_factory=list)
    cut: bool = False

    @property
    def payloads(self) -> list[dict[str, Any]]:
        """The JSON payloads, in order, malformed frames left out."""
        return [p for f in self.frames if (p := f.payload) is not None]


def without_ts(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the ``ts`` field, which differs between runs."""
    return [{k: v for k, v in p.items() if k != "ts"} for p in payloads]


async def start(client: httpx.AsyncClient, role_id: str = ROLE_ORDINARY) -> str:
    """Start an interview and return its id."""
    response = await client.post(
        "/api/v3/agent/interview/start", json={"role_id": role_id}
    )
    assert response.status_code == 200, response.text
    interview_id: str = response.json()["interview_id"]
    return interview_id


async def _answer(
    client: httpx.AsyncClient, interview_id: str, frame: Frame, answer: str | None
) -> None:
    payload = frame.payload or {}
    if answer is not None and payload.get("status") == "awaiting_input":
        reply = await client.post(
            f"/api/v3/agent/interview/{interview_id}/message", json={"message": answer}
        )
        assert reply.status_code == 200, reply.text


async def read_stream(
    client: httpx.AsyncClient,
    interview_id: str,
    *,
    last_event_id: str | None = None,
    answer: str | None = None,
    stop_after: int | None = None,
    on_open: Callable[[], Awaitable[None]] | None = None,
) -> Stream:
    """Read one stream connection to its end.

    Args:
        client: An authenticated client.
        interview_id: The interview to follow.
        last_event_id: Sent as ``Last-Event-ID`` when given.
        answer: When given, sent as the candidate's message at each
            ``awaiting_input`` status, so the interview goes on.
        stop_after: Leave after this many frames.
        on_open: Awaited once the answer's headers have arrived.
    """
    headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id

    async with client.stream("GET", STREAM.format(interview_id), headers=headers) as r:
        result = Stream(r.status_code, r.headers)
        if on_open is not None:
            await on_open()
        event_id: str | None = None
        data: list[str] = []
        try:
            async for line in r.aiter_lines():
                if line.startswith(":"):
                    result.comments.append(line[1:].strip())
                elif line.startswith("retry:"):
                    result.retry.append(line[6:].strip())
                elif line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif line == "" and data:
                    frame = Frame(event_id, "\n".join(data))
                    data = []
                    result.frames.append(frame)
                    await _answer(client, interview_id, frame, answer)
                    if stop_after is not None and len(result.frames) >= stop_after:
                        break
        except httpx.RemoteProtocolError:
            # The connection closed without the body's final chunk.
            result.cut = True
    return result
