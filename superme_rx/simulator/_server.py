"""The ``Simulator``: an aiohttp.web server speaking the whole API on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from types import TracebackType

from aiohttp import web

from ._core import CORE, Core, RequestRecord
from ._faults import Faults
from ._http import middleware
from ._routes import add_routes
from ._scenarios import LargeScript
from ._state import InterviewState

__all__ = ["Simulator"]

logger = logging.getLogger(__name__)

# Seconds stop() grants a request still running after streams were told to
# end; only a handler blocked writing to a client that reads nothing needs it.
_SHUTDOWN_GRACE = 1.0


class Simulator:
    """A local SuperMe interview service, scripted and deterministic.

    It speaks every endpoint and the event stream of the API on a loopback
    port, plays one script per role (see ``ROLE_ORDINARY`` and the others),
    and can inject ``Faults``. Every event payload carries ``ts``, the
    ``time.time()`` at which this connection wrote it (so a replayed event has
    a later ``ts`` than its first delivery): receive time minus ``ts`` is the
    delivery latency. Use it as an async context manager::

        async with Simulator(time_scale=0) as sim:
            headers = {"Authorization": f"Bearer {sim.api_key}"}
            async with httpx.AsyncClient(
                base_url=sim.base_url, headers=headers
            ) as client:
                await client.post(
                    "/api/v3/agent/interview/start", json={"role_id": ROLE_ORDINARY}
                )

    Args:
        host: The address to listen on.
        port: The port; 0 picks a free one, see ``base_url``.
        faults: The misbehaviours to show; none when None.
        time_scale: Factor on every scripted pause: 1.0 plays the ordinary
            interview in about six seconds plus the candidate's time, 0 plays
            with no pause at all (yielding to the loop between events).
        user_id: The ``user_id`` claim of ``api_key``.
        large: The shape of the ``role-large`` script.
        keepalive_interval: Seconds of silence after which a stream sends a
            ``: keep-alive`` comment, whatever ``time_scale``; None sends none.
        record_requests: Whether to keep ``requests``; turn it off for long
            benchmarks.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        time_scale: float = 1.0,
        user_id: str = "sim-user",
        large: LargeScript | None = None,
        keepalive_interval: float | None = 15.0,
        record_requests: bool = True,
    ) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must not be negative, got {time_scale}")
        if keepalive_interval is not None and keepalive_interval <= 0:
            raise ValueError("keepalive_interval must be positive or None")

        self._host = host
        self._port = port
        self._user_id = user_id
        self._core = Core(
            faults=faults or Faults(),
            time_scale=time_scale,
            large=large,
            keepalive_interval=keepalive_interval,
            record_requests=record_requests,
        )
        self._api_key = self._core.signer.issue(user_id)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._stopped = asyncio.Event()

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"Simulator({where}, user_id={self._user_id!r})"

    @property
    def base_url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:54321``, without trailing slash.

        Raises:
            RuntimeError: The simulator is not started.
        """
        if self._base_url is None:
            raise RuntimeError("the simulator is not started: await start() first")
        return self._base_url

    @property
    def api_key(self) -> str:
        """A valid API key (a signed JWT) for the user ``user_id``."""
        return self._api_key

    @property
    def user_id(self) -> str:
        """The ``user_id`` claim of ``api_key``."""
        return self._user_id

    @property
    def role_ids(self) -> tuple[str, ...]:
        """Every role id ``start_interview`` accepts, the ordinary one first."""
        return tuple(self._core.scripts)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, in the order its status was decided.

        A stream's status is decided when its headers are sent, so a stream
        appears once, when it opens. The list is live: clear it between steps
        of a test if that helps.
        """
        return self._core.requests

    @property
    def interview_ids(self) -> tuple[str, ...]:
        """The ids of every interview started, in order, whoever started it."""
        return tuple(self._core.interviews)

    def make_api_key(self, user_id: str | None) -> str:
        """Return a key this simulator accepts, for another user.

        Args:
            user_id: The ``user_id`` claim; None leaves it out, so that the key
                authenticates but cannot list interviews.
        """
        return self._core.signer.issue(user_id)

    def interview(self, interview_id: str) -> InterviewState:
        """Return a live, read-only view of one interview, for assertions.

        Raises:
            KeyError: No interview has this id.
        """
        return InterviewState(self._core.interviews[interview_id])

    async def start(self) -> None:
        """Bind the port and start answering.

        Raises:
            RuntimeError: The simulator is already started, or was stopped: a
                stopped simulator cannot start again, create another.
            OSError: The address cannot be bound.
        """
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        if self._core.closing:
            raise RuntimeError("a stopped simulator cannot start again")

        app = web.Application(middlewares=[middleware])
        app[CORE] = self._core
        add_routes(app)
        # handler_cancellation ends a stream's handler as soon as its client
        # disconnects, instead of at its next keep-alive write.
        runner = web.AppRunner(
            app,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=_SHUTDOWN_GRACE,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise

        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._base_url = f"http://{_url_host(host)}:{port}"
        logger.info("simulator listening on %s", self._base_url)

    async def stop(self) -> None:
        """End every stream and script, close every connection, free the port.

        Streams end without a terminal event, as when the service restarts.
        Calling it again, or before ``start``, does nothing.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return

        await self._core.close()
        await runner.cleanup()
        self._stopped.set()
        logger.info("simulator on %s stopped", self._base_url)

    async def serve_forever(self) -> None:
        """Start if needed, then answer until cancelled or stopped; then stop.

        Meant for a command line: under ``asyncio.run``, Ctrl-C cancels the
        main task, and this returns after a clean ``stop``.
        """
        if self._runner is None:
            await self.start()
        try:
            await self._stopped.wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _url_host(host: str) -> str:
    # NOTE: an IPv6 literal needs brackets in a URL (RFC 3986, section 3.2.2).
    try:
        socket.inet_pton(socket.AF_INET6, host)
    except OSError:
        return host
    return f"[{host}]"
