"""The ways to read an interview's event stream that the scenarios compare.

Each contender follows one stream per ``follow`` call and hands every event's
payload, as a dict, to a callback, until the terminal status (or the end of
the body). What each does per event is what its user would write:

- ``stream_interview``: superme_rx, typed pydantic events through Rx; the
  callback gets the typed event. No task per stream: a subscription.
- ``stream_interview + raw``: the same, the callback getting ``event.raw``,
  the payload as a dict, which the library parses on first use.
- ``httpx text-split``: the vendor SDK's approach, ``aiter_lines`` on an
  httpx stream, ``data:`` lines given to ``json.loads``; one task per stream.
- ``httpx-sse``: ``aconnect_sse`` and ``aiter_sse``, then ``json.loads``.
- ``aiohttp-sse-client``: ``EventSource``, then ``json.loads``; it reconnects
  whenever a body ends, so it is left at the terminal event.
- ``bytes only``: aiohttp reading the same body without parsing, the ceiling;
  its callback is never called, and ``received`` counts the bytes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

__all__ = ["CONTENDERS", "Contender", "OnPayload", "make", "stream_path"]

OnPayload = Callable[[Any], None]
"""Receives each event: its payload as a dict, or for ``stream_interview`` the
typed event; the contender stops after a terminal one."""

_TERMINAL = frozenset({"completed", "scoring", "scored", "failed", "withdrawn"})

CONTENDERS = {
    "rx": "stream_interview",
    "rx_raw": "stream_interview + raw",
    "httpx_split": "httpx text-split",
    "httpx_sse": "httpx-sse",
    "aiohttp_sse": "aiohttp-sse-client",
    "bytes": "bytes only (aiohttp)",
}
"""Contender keys and the names the results show."""


def stream_path(interview_id: str) -> str:
    """The event stream's path for one interview (API.md)."""
    return f"/api/v3/agent/interview/{interview_id}/stream"


def _is_terminal(payload: dict[str, Any]) -> bool:
    return payload.get("event") == "status" and payload.get("status") in _TERMINAL


class Contender:
    """One way of following streams; open once per run, then ``follow`` each.

    Args:
        base_url: The server.
        api_key: Sent as the bearer token.
    """

    key = ""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.headers = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
            "Cache-Control": "no-cache",
        }
        self._tasks: set[asyncio.Future[Any]] = set()

    async def open(self) -> None:
        """Create the shared client or session."""

    async def aclose(self) -> None:
        """Stop every stream still followed and close the client."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def follow(self, interview_id: str, on_payload: OnPayload) -> asyncio.Future[Any]:
        """Start following one stream; the future ends with it."""
        task = asyncio.get_running_loop().create_task(
            self._read(self.base_url + stream_path(interview_id), on_payload)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _read(self, url: str, on_payload: OnPayload) -> None:
        raise NotImplementedError

    @staticmethod
    def sent_at(item: Any) -> float | None:
        """The server's send time (``ts``) of an item given to ``on_payload``."""
        ts: float | None = item.get("ts")
        return ts


class _Rx(Contender):
    key = "rx"

    async def open(self) -> None:
        from superme_rx import RxSuperMeClient

        self._client = RxSuperMeClient(self.api_key, base_url=self.base_url)
        await self._client.__aenter__()
        self._subscriptions: list[Any] = []

    async def aclose(self) -> None:
        for subscription in self._subscriptions:
            subscription.dispose()
        self._subscriptions.clear()
        await self._client.aclose()
        await super().aclose()

    def follow(self, interview_id: str, on_payload: OnPayload) -> asyncio.Future[Any]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        on_next = self._deliver(on_payload)

        def on_error(error: Exception) -> None:
            if not done.done():
                done.set_exception(error)

        def on_completed() -> None:
            if not done.done():
                done.set_result(None)

        self._subscriptions.append(
            self._client.stream_interview(interview_id).subscribe(
                on_next, on_error, on_completed
            )
        )
        return done

    @staticmethod
    def _deliver(on_payload: OnPayload) -> OnPayload:
        return on_payload

    @staticmethod
    def sent_at(item: Any) -> float | None:
        """Read ``ts``, which no event model declares, from the raw payload."""
        ts: float | None = item.raw.get("ts")
        return ts


class _RxRaw(_Rx):
    key = "rx_raw"

    @staticmethod
    def _deliver(on_payload: OnPayload) -> OnPayload:
        def on_next(event: Any) -> None:
            on_payload(event.raw)

        return on_next

    sent_at = Contender.sent_at


class _HttpxSplit(Contender):
    key = "httpx_split"

    async def open(self) -> None:
        import httpx

        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, read=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        )

    async def aclose(self) -> None:
        await super().aclose()
        await self._client.aclose()

    async def _read(self, url: str, on_payload: OnPayload) -> None:
        loads = json.loads
        async with self._client.stream("GET", url, headers=self.headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    payload = loads(line[5:].strip())
                    on_payload(payload)
                    if _is_terminal(payload):
                        return


class _HttpxSse(_HttpxSplit):
    key = "httpx_sse"

    async def open(self) -> None:
        # Imported here, not on the first read, so no run times an import.
        from httpx_sse import aconnect_sse

        self._connect = aconnect_sse
        await super().open()

    async def _read(self, url: str, on_payload: OnPayload) -> None:
        loads = json.loads
        async with self._connect(
            self._client, "GET", url, headers=self.headers
        ) as source:
            source.response.raise_for_status()
            async for sse in source.aiter_sse():
                payload = loads(sse.data)
                on_payload(payload)
                if _is_terminal(payload):
                    return


class _AiohttpBase(Contender):
    async def open(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
            timeout=aiohttp.ClientTimeout(total=None),
            auto_decompress=False,
        )

    async def aclose(self) -> None:
        await super().aclose()
        await self._session.close()


class _AiohttpSse(_AiohttpBase):
    key = "aiohttp_sse"

    async def open(self) -> None:
        # No type hints in aiohttp-sse-client (no py.typed marker).
        from aiohttp_sse_client.client import (  # type: ignore[import-untyped]
            EventSource,
        )

        self._source = EventSource
        await super().open()

    async def _read(self, url: str, on_payload: OnPayload) -> None:
        loads = json.loads
        async with self._source(
            url, session=self._session, headers=dict(self.headers)
        ) as source:
            async for event in source:
                payload = loads(event.data)
                on_payload(payload)
                if _is_terminal(payload):
                    return


class _Bytes(_AiohttpBase):
    key = "bytes"
    received = 0

    async def _read(self, url: str, on_payload: OnPayload) -> None:
        async with self._session.get(url, headers=self.headers) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_any():
                self.received += len(chunk)


_CLASSES: dict[str, type[Contender]] = {
    cls.key: cls for cls in (_Rx, _RxRaw, _HttpxSplit, _HttpxSse, _AiohttpSse, _Bytes)
}


def make(key: str, base_url: str, api_key: str) -> Contender:
    """Create the contender named ``key`` (see ``CONTENDERS``); then ``open`` it."""
    return _CLASSES[key](base_url, api_key)
