"""Push-mode body reading: aiohttp's reader handing bytes to the decoder directly.

A real aiohttp server on a loopback port writes a chunked body in steps that the
test releases one by one, so that each step arrives in a read of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web

from superme_rx._events import _SINKS, _push_reads


class Body:
    """A server whose one route writes the pieces put in ``pieces``."""

    def __init__(self) -> None:
        self.pieces: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        while (piece := await self.pieces.get()) is not None:
            await response.write(piece)
        await response.write_eof()
        return response


@pytest.fixture
async def body() -> AsyncIterator[Body]:
    server = Body()
    app = web.Application()
    app.router.add_get("/", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}/"
    try:
        yield server
    finally:
        await runner.cleanup()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait, a few milliseconds at a time, until ``condition()`` holds."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError(f"timed out waiting for {what}")


async def test_buffered_bytes_come_first_then_each_read_as_it_arrives(
    body: Body,
) -> None:
    """What the reader held is fed at once, later pieces in order, then the end."""
    got: list[bytes] = []
    async with aiohttp.ClientSession() as session:
        await body.pieces.put(b"held ")
        async with session.get(body.url) as response:
            await until(lambda: response.content.total_bytes == 5, "the first piece")

            assert _push_reads(response.content, got.append)
            assert got == [b"held "]

            await body.pieces.put(b"one ")
            await until(lambda: len(got) == 2, "the second piece")
            await body.pieces.put(b"two")
            await body.pieces.put(None)
            await asyncio.wait_for(response.content.wait_eof(), 5)
            _SINKS.pop(response.content, None)

    assert b"".join(got) == b"held one two"
    assert got[1] == b"one "


async def test_an_error_of_the_sink_reaches_the_reading_task_and_stops_pushing(
    body: Body,
) -> None:
    """The sink's exception ends ``wait_eof``; later bytes are buffered as usual."""

    def refuse(chunk: bytes) -> None:
        raise ValueError(f"refused {len(chunk)} bytes")

    async with aiohttp.ClientSession() as session:
        async with session.get(body.url) as response:
            reader = response.content
            assert _push_reads(reader, refuse)

            await body.pieces.put(b"bad")
            with pytest.raises(ValueError, match="refused 3 bytes"):
                await asyncio.wait_for(reader.wait_eof(), 5)

            assert reader not in _SINKS
            await body.pieces.put(b"later")
            await until(lambda: reader.total_bytes == 5, "the buffered piece")
            await body.pieces.put(None)


async def test_a_reader_of_another_kind_is_left_alone() -> None:
    """Only aiohttp's plain body reader switches to push mode."""
    empty = aiohttp.streams.EmptyStreamReader()

    assert not _push_reads(empty, lambda chunk: None)
    assert type(empty) is aiohttp.streams.EmptyStreamReader
