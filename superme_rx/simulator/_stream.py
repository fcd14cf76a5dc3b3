"""The Server-Sent Events endpoint: replay an interview's log, then follow it.

Each connection replays the log from the start, or from just after the event
named by ``Last-Event-ID``, then waits for new events, and ends right after the
first terminal status. Every event is framed as ``id: N`` plus one ``data:``
line (WHATWG HTML, "Server-sent events", section 9.2.6).
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from ._core import CORE, Core, Reject, exchange
from ._state import EventRecord, Interview

__all__ = ["stream_interview", "with_ts"]

logger = logging.getLogger(__name__)

_KEEPALIVE = b": keep-alive\n\n"

# Events waiting when the stream catches up are written together, up to this
# many bytes per write, so a fast producer costs one send per batch.
_BATCH_BYTES = 64 * 1024


def with_ts(record: EventRecord, ts: bytes) -> bytes:
    """Return the ``data:`` value of ``record`` with ``"ts"`` added last.

    Args:
        record: The event; a malformed one is returned untouched.
        ts: ``time.time()`` formatted with six decimals (17 bytes until 2286).
    """
    if record.kind is None:
        return record.data
    # Splicing before the closing brace spares decoding and encoding again.
    return record.data[:-1] + b',"ts":' + ts + b"}"


def _first_index(request: web.Request, interview: Interview, core: Core) -> int:
    """Index in the log of the first event to send on this connection."""
    raw = request.headers.get("Last-Event-ID")
    if core.faults.ignore_last_event_id or raw is None:
        return 0
    try:
        seen = int(raw.strip())
    except ValueError:
        return 0

    # Ids are positions from 1, so the id names how many events were seen. An
    # id this log never gave (another interview's, a restarted simulator's)
    # replays everything rather than skipping events (assumed, API.md).
    return seen if 0 <= seen <= len(interview.log) else 0


async def stream_interview(request: web.Request) -> web.StreamResponse:
    """``GET /api/v3/agent/interview/{id}/stream``: the interview's events.

    Answers 204 when the resume point is past the terminal event: there is
    nothing left to send, and per the SSE spec a 204 stops the client.
    """
    core = request.app[CORE]
    current = exchange()
    interview = core.lookup(request.match_info["interview_id"], current.user_id)
    cursor = _first_index(request, interview, core)
    terminal = interview.terminal_index
    if terminal is not None and cursor > terminal:
        return web.Response(status=204)
    if core.closing:
        raise Reject(503, "the simulator is stopping")

    response = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        },
    )
    core.record(request, 200)
    current.status = 200
    await response.prepare(request)
    current.response = response
    logger.debug("stream of %s opened at index %d", interview.interview_id, cursor)

    try:
        await _follow(request, response, interview, core, cursor)
    except ConnectionResetError:
        # The client left mid-write: an ordinary end for a stream.
        logger.debug("stream of %s: client gone", interview.interview_id)
    return response


async def _follow(
    request: web.Request,
    response: web.StreamResponse,
    interview: Interview,
    core: Core,
    cursor: int,
) -> None:
    faults = core.faults
    if faults.retry_ms is not None:
        await response.write(b"retry: %d\n\n" % faults.retry_ms)

    sent = 0
    while not core.closing:
        log = interview.log
        if cursor == len(log):
            await _idle(response, interview, core.keepalive_interval)
            continue

        chunk = bytearray()
        ts = b"%.6f" % time.time()
        finished = dropped = False
        while cursor < len(log) and len(chunk) < _BATCH_BYTES:
            record = log[cursor]
            chunk += b"id: %s\ndata: %s\n\n" % (record.id.encode(), with_ts(record, ts))
            cursor += 1
            sent += 1
            finished = cursor - 1 == interview.terminal_index
            dropped = (
                faults.drop_stream_after is not None
                and sent >= faults.drop_stream_after
                and (
                    faults.drop_stream_times is None
                    or interview.drops < faults.drop_stream_times
                )
            )
            if finished or dropped:
                break
        await response.write(bytes(chunk))

        if finished:
            return
        if dropped:
            _drop(request, interview)
            return


async def _idle(
    response: web.StreamResponse, interview: Interview, keepalive: float | None
) -> None:
    """Wait for the next event; send a comment each ``keepalive`` seconds."""
    changed = interview.changed
    try:
        async with asyncio.timeout(keepalive):
            await changed.wait()
    except TimeoutError:
        await response.write(_KEEPALIVE)


def _drop(request: web.Request, interview: Interview) -> None:
    # close() sends what is buffered, then the FIN; aiohttp then finds the
    # transport closing and skips the final empty chunk, so the client sees
    # the body end mid-stream, as after a network failure.
    logger.debug("stream of %s: dropping the connection", interview.interview_id)
    interview.drops += 1
    transport = request.transport
    if transport is not None:
        transport.close()
