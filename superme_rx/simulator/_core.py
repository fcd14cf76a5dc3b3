"""What the request handlers of one simulator share: interviews, keys, tasks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any, Final

from aiohttp import web

from ._auth import TokenSigner
from ._faults import FaultCounter, Faults
from ._runner import play
from ._scenarios import LargeScript, Script, build_scripts
from ._state import Interview

__all__ = ["CORE", "Core", "Exchange", "Reject", "RequestRecord", "exchange"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the simulator answered, for tests to count and inspect.

    Attributes:
        method: The HTTP method.
        path: The path, without host or query.
        endpoint: The vendor method name of the route (see ``ENDPOINTS``), or
            None for a path that matches no route.
        status: The status answered; for a stream, the one its headers carried.
        last_event_id: The ``Last-Event-ID`` header as sent, if any.
    """

    method: str
    path: str
    endpoint: str | None
    status: int
    last_event_id: str | None = None


@dataclasses.dataclass
class Exchange:
    """What the middleware learnt about the request being handled.

    Attributes:
        endpoint: The vendor method name of the route, None for no route.
        user_id: The ``user_id`` claim of the caller's key.
        status: The status a stream sent with its headers.
        response: The stream's response, once its headers are sent.
        recorded: Whether its ``RequestRecord`` is kept already.
    """

    endpoint: str | None
    user_id: str | None = None
    status: int | None = None
    response: web.StreamResponse | None = None
    recorded: bool = False


# A context variable rather than the request's own storage: every handler
# runs in its connection's task, and aiohttp's storage keys vary by version.
EXCHANGE: Final[ContextVar[Exchange]] = ContextVar("superme_rx_simulator_exchange")


def exchange() -> Exchange:
    """Return the ``Exchange`` of the request being handled."""
    return EXCHANGE.get()


class Reject(Exception):
    """Raised by a handler to answer with an error; always a JSON ``error``.

    Args:
        status: The HTTP status.
        message: The ``error`` field of the body.
        headers: Extra headers, such as ``Retry-After``.
    """

    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Core:
    """The state behind one simulator's routes.

    Args:
        faults: What to inject.
        time_scale: Factor on every scripted pause.
        large: The ``role-large`` shape.
        keepalive_interval: Seconds of silence before a stream sends a comment.
        record_requests: Whether to keep a ``RequestRecord`` per request.
    """

    def __init__(
        self,
        *,
        faults: Faults,
        time_scale: float,
        large: LargeScript | None,
        keepalive_interval: float | None,
        record_requests: bool,
    ) -> None:
        self.signer = TokenSigner()
        self.faults = faults
        self.fault_counter = FaultCounter(faults)
        self.scripts: dict[str, Script] = build_scripts(large)
        self.time_scale = time_scale
        self.keepalive_interval = keepalive_interval
        self.record_requests = record_requests
        self.interviews: dict[str, Interview] = {}
        self.requests: list[RequestRecord] = []
        self.closing = False
        self._tasks: set[asyncio.Task[None]] = set()

    def record(self, request: web.Request, status: int) -> None:
        """Keep the record of one request, once, when its status is known."""
        current = exchange()
        if current.recorded or not self.record_requests:
            return
        current.recorded = True
        self.requests.append(
            RequestRecord(
                request.method,
                request.path,
                current.endpoint,
                status,
                request.headers.get("Last-Event-ID"),
            )
        )

    def start_interview(self, user_id: str | None, script: Script) -> Interview:
        """Create an interview in ``preparing`` and start playing its script."""
        interview = Interview(
            f"iv-{uuid.uuid4().hex[:16]}", user_id, script, self.faults
        )
        self.interviews[interview.interview_id] = interview
        interview.emit({"event": "status", "status": "preparing"})
        self.spawn(play(interview, self.time_scale), interview)
        return interview

    def lookup(self, interview_id: str, user_id: str | None) -> Interview:
        """Return the caller's interview.

        Raises:
            Reject: 404 when it does not exist or belongs to another user; the
                service does not reveal which (assumed).
        """
        interview = self.interviews.get(interview_id)
        if interview is None or interview.user_id != user_id:
            raise Reject(404, f"interview {interview_id} not found")
        return interview

    def spawn(self, coro: Coroutine[Any, Any, None], interview: Interview) -> None:
        """Run a background step of ``interview`` until it ends or ``close``."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._finished(done, interview))

    def _finished(self, task: asyncio.Task[None], interview: Interview) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return

        # The top level of a background task: nothing above it would report it.
        logger.error(
            "interview %s script crashed",
            interview.interview_id,
            exc_info=task.exception(),
        )
        if interview.terminal_index is None:
            interview.emit({"event": "status", "status": "failed"})

    async def close(self) -> None:
        """Stop every script and wake every stream so that it ends."""
        self.closing = True
        for interview in self.interviews.values():
            interview.wake()

        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


CORE: Final = web.AppKey("superme_rx.simulator.core", Core)
"""Where the application keeps its ``Core``."""
