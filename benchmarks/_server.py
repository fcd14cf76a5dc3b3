"""The server side of every scenario, in a process of its own.

``ServerProcess`` starts ``python -m benchmarks._server SPEC`` and reads the
base URL and API key from its first stdout line. The child serves one of:

- ``simulator``: ``superme_rx.simulator.Simulator`` with the spec's options;
- ``body``: a minimal aiohttp app whose stream route sends one pre-built body
  of token events and a terminal status, in 64 KiB writes: the most a client
  can be offered, with no per-event work on the server;
- ``live``: a minimal app whose streams send a few opening events, then
  either token events at a steady rate (and a terminal status after
  ``events``), or only keep-alive comments (when ``gated``, only between a
  ``POST /_bench/keepalive/on`` and ``.../off``). One ticker task serves every
  connection, spread over 50 phases of the period, and writes each event
  straight to the socket, stamped with ``ts``, the ``time.time()`` of the
  write, as the simulator does. A client that reads too slowly cannot hold
  up the others: its bytes queue in its own transport.

The child always runs on uvloop (when installed), whatever loop the clients
use, so that the server stays the same while the clients change. Until its
stdin closes, the child answers requests there, one JSON line each, on
stdout: ``replies`` returns, per simulated interview, when the simulator
received each candidate answer.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from types import TracebackType
from typing import IO, Any

import orjson

from ._proc import raise_fd_limit, run

__all__ = ["ServerProcess", "bare_body"]

_WRITE_BYTES = 64 * 1024
_STREAM_PATH = "/api/v3/agent/interview/{interview_id}/stream"
_PHASES = 50
_KEEPALIVE = b": keep-alive\n\n"
_OPENING = (
    b'{"event":"status","status":"in_progress"',
    b'{"event":"stage_change","stage_number":1,"stage_name":"Stage 1"',
    b'{"event":"message","content":"S1Q1: tell me about a hard bug.",'
    b'"role":"company","stage_number":1',
    b'{"event":"status","status":"awaiting_input"',
)


class ServerProcess:
    """A server in a child process, stopped when the ``with`` block ends.

    Args:
        spec: ``{"kind": "simulator" | "bare", ...}``; see ``_serve``.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.base_url = ""
        self.api_key = ""
        self.pid = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        command = [sys.executable, "-m", "benchmarks._server", json.dumps(self.spec)]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._process = process
        ready = _read_line(process.stdout)
        if not ready:
            process.wait(10)
            raise RuntimeError(f"server {self.spec} exited {process.returncode}")
        info = json.loads(ready)
        self.base_url, self.api_key, self.pid = (
            info["base_url"],
            info["api_key"],
            info["pid"],
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def ask(self, request: dict[str, Any]) -> Any:
        """Send one request line to the child and return its decoded answer."""
        process = self._process
        assert process is not None and process.stdin is not None
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        return json.loads(_read_line(process.stdout))


def _read_line(stream: IO[str] | None) -> str:
    assert stream is not None
    return stream.readline()


def _token(token_chars: int) -> bytes:
    return (
        b'{"event":"token","role":"company","token":"%s","stage_number":1'
        % (b"ab" * token_chars)[:token_chars]
    )


def _frame(index: int, payload: bytes, ts: bytes) -> bytes:
    """One event as the simulator frames it: an ``id`` and one ``data`` line."""
    return b'id: %d\ndata: %s,"ts":%s}\n\n' % (index, payload, ts)


def bare_body(events: int, token_chars: int) -> tuple[bytes, int]:
    """Build the ``body`` server's stream: ``events`` tokens, then ``completed``.

    Returns:
        The body and the mean size of one event in bytes.
    """
    token = _token(token_chars)
    ts = b"%.6f" % time.time()
    parts = [_frame(index, token, ts) for index in range(1, events + 1)]
    parts.append(_frame(events + 1, b'{"event":"status","status":"completed"', ts))
    body = b"".join(parts)
    return body, round(len(body) / (events + 1))


async def _serve_body(spec: dict[str, Any]) -> None:
    from aiohttp import web

    body, _ = bare_body(spec["events"], spec["token_chars"])

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        view = memoryview(body)
        for start in range(0, len(body), _WRITE_BYTES):
            await response.write(view[start : start + _WRITE_BYTES])
        await response.write_eof()
        return response

    await _serve_app(stream)


async def _serve_app(handler: Any, control: Any = None) -> None:
    """Serve ``handler`` on the stream route until stdin closes.

    Args:
        handler: Answers ``GET`` on the stream path.
        control: Answers ``POST /_bench/keepalive/{state}``, if given.
    """
    from aiohttp import web

    app = web.Application()
    app.router.add_get(_STREAM_PATH, handler)
    if control is not None:
        app.router.add_post("/_bench/keepalive/{state}", control)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    host, port = runner.addresses[0][:2]
    _announce(f"http://{host}:{port}", "bare-server-accepts-any-key")
    try:
        await _control(None)
    finally:
        await runner.cleanup()


class _Live:
    """One open stream of the ``live`` server."""

    __slots__ = ("done", "sent", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.sent = len(_OPENING)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def write(self, data: bytes) -> bool:
        """Write one HTTP chunk; False when the client has gone."""
        if self.transport.is_closing():
            self.finish()
            return False
        self.transport.write(b"%x\r\n%s\r\n" % (len(data), data))
        return True

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _serve_live(spec: dict[str, Any]) -> None:
    from aiohttp import web

    rate, events = spec.get("rate", 0.0), spec.get("events", 0)
    period = 1 / rate if rate else spec["keepalive"]
    token = _token(spec.get("token_chars", 3))
    phases: list[set[_Live]] = [set() for _ in range(_PHASES)]
    joined = 0
    # Keep-alives wait for a client's POST when "gated": thousands of streams
    # then open without the keep-alives of those already open slowing them.
    keepalives = not spec.get("gated", False)

    def send(stream: _Live, ts: bytes) -> None:
        if not rate:
            if keepalives:
                stream.write(_KEEPALIVE)
            elif stream.transport.is_closing():
                stream.finish()
            return
        stream.sent += 1
        if stream.sent <= events:
            stream.write(_frame(stream.sent, token, ts))
            return
        end = b'{"event":"status","status":"completed"'
        stream.write(_frame(stream.sent, end, ts))
        stream.finish()

    async def tick() -> None:
        loop = asyncio.get_running_loop()
        deadline, phase = loop.time(), 0
        while True:
            deadline += period / _PHASES
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            members = phases[phase]
            phase = (phase + 1) % _PHASES
            if members:
                ts = b"%.6f" % time.time()
                for stream in tuple(members):
                    send(stream, ts)
                    if stream.done.done():
                        members.discard(stream)

    async def handle(request: web.Request) -> web.StreamResponse:
        nonlocal joined
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        ts = b"%.6f" % time.time()
        opening = b"".join(_frame(i, p, ts) for i, p in enumerate(_OPENING, 1))
        # The first write goes through aiohttp, which sends the headers with it;
        # later ones, framed as HTTP chunks here, go straight to the socket.
        await response.write(opening)
        assert request.transport is not None
        stream = _Live(request.transport)
        phases[joined % _PHASES].add(stream)
        joined += 1
        await stream.done
        return response

    async def control(request: web.Request) -> web.Response:
        nonlocal keepalives
        keepalives = request.match_info["state"] == "on"
        return web.Response(text="on" if keepalives else "off")

    ticker = asyncio.get_running_loop().create_task(tick())
    try:
        await _serve_app(handle, control)
    finally:
        ticker.cancel()


async def _serve_simulator(spec: dict[str, Any]) -> None:
    from superme_rx.simulator import LargeScript, Simulator

    large = LargeScript(**spec["large"]) if spec.get("large") else None
    simulator = Simulator(
        time_scale=spec.get("time_scale", 1.0),
        large=large,
        keepalive_interval=spec.get("keepalive_interval", 15.0),
        record_requests=False,
    )
    async with simulator:
        _announce(simulator.base_url, simulator.api_key)
        await _control(simulator)


def _announce(base_url: str, api_key: str) -> None:
    import os

    line = {"base_url": base_url, "api_key": api_key, "pid": os.getpid()}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


async def _control(simulator: Any) -> None:
    """Answer request lines on stdin until it closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := await reader.readline():
        request = json.loads(line)
        if request["op"] == "replies":
            answer: Any = {i: _replies(simulator, i) for i in request["ids"]}
        else:
            answer = {"error": f"unknown op {request['op']!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _replies(simulator: Any, interview_id: str) -> list[tuple[str, float]]:
    """Pair each ``awaiting_input`` event id with when its answer arrived.

    The answer's arrival is the ``created`` time of the candidate's message in
    the log: the simulator appends it while handling the reply POST.
    """
    pairs = []
    waiting: str | None = None
    for record in simulator.interview(interview_id).records:
        if record.kind not in ("status", "message"):
            continue
        payload = orjson.loads(record.data)
        if record.kind == "status" and payload.get("status") == "awaiting_input":
            waiting = record.id
        elif payload.get("role") == "candidate" and waiting is not None:
            pairs.append((waiting, record.created))
            waiting = None
    return pairs


def main() -> None:
    """Serve the spec given as the first argument."""
    spec = json.loads(sys.argv[1])
    raise_fd_limit()
    serve = {"body": _serve_body, "live": _serve_live, "simulator": _serve_simulator}[
        spec["kind"]
    ]
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    run(lambda: serve(spec), loop)


if __name__ == "__main__":
    main()
