"""The server side of every scenario, in a process of its own.

``ServerProcess`` starts ``python -m benchmarks._server SPEC`` and reads the
base URL and API key from its first stdout line. The child serves one of:

- ``simulator``: ``superme_rx.simulator.Simulator`` with the spec's options,
  until its stdin closes;
- ``bare``: a minimal aiohttp app whose stream route sends one pre-built body
  of token events and a terminal status, in 64 KiB writes: the most a client
  can be offered, with no per-event work on the server.

The child always runs on uvloop (when installed), whatever loop the clients
use, so that the server stays the same while the clients change. Its stdin
also carries requests, one JSON line each, answered on stdout: ``replies``
returns, per interview, when the simulator received each candidate answer.
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
        self.base_url, self.api_key, self.pid = info["base_url"], info["api_key"], info["pid"]
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


def bare_body(events: int, token_chars: int) -> tuple[bytes, int]:
    """Build the bare server's stream: ``events`` tokens, then ``completed``.

    Returns:
        The body and the mean size of one event in bytes.
    """
    token = ("ab" * token_chars)[:token_chars]
    ts = b"%.6f" % time.time()
    parts = []
    for index in range(1, events + 1):
        payload = b'{"event":"token","role":"company","token":"%s","stage_number":%d,' % (
            token.encode(),
            1 + index // 10_000,
        )
        parts.append(b"id: %d\ndata: %s\"ts\":%s}\n\n" % (index, payload, ts))
    end = b'{"event":"status","status":"completed","ts":%s}' % ts
    parts.append(b"id: %d\ndata: %s\n\n" % (events + 1, end))
    body = b"".join(parts)
    return body, round(len(body) / (events + 1))


async def _serve_bare(spec: dict[str, Any]) -> None:
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

    app = web.Application()
    app.router.add_get(_STREAM_PATH, stream)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    host, port = runner.addresses[0][:2]
    _announce(f"http://{host}:{port}", "bare-server-accepts-any-key")
    try:
        await _control(None)
    finally:
        await runner.cleanup()


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
    serve = _serve_bare if spec["kind"] == "bare" else _serve_simulator
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    run(lambda: serve(spec), loop)


if __name__ == "__main__":
    main()
