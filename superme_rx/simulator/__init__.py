"""A local, scripted SuperMe interview service, for demos, tests and benchmarks.

``Simulator`` runs an aiohttp.web server on loopback that speaks every endpoint
of the API and its event stream, like ``reactivex.testing`` or
``structlog.testing`` serve their libraries' users::

    from superme_rx.simulator import ROLE_ORDINARY, Simulator

    async with Simulator(time_scale=0) as sim:
        client = httpx.AsyncClient(
            base_url=sim.base_url,
            headers={"Authorization": f"Bearer {sim.api_key}"},
        )
        started = await client.post(
            "/api/v3/agent/interview/start", json={"role_id": ROLE_ORDINARY}
        )

Roles (``Simulator.role_ids``, the ordinary one first):

- ``ROLE_ORDINARY``: Introduction (the interviewer speaks), two manual stages
  of two questions each, Wrap-up, then ``completed``.
- ``ROLE_FAILED`` and ``ROLE_WITHDRAWN``: end with that status after the
  introduction.
- ``ROLE_SLOW``: pauses of 5 to 20 seconds (times ``time_scale``), so
  keep-alive comments show.
- ``ROLE_LARGE``: generated from a ``LargeScript``, for benchmarks.

The stream gives event ``N`` the id ``"N"`` (from 1), replays the log from the
start or after ``Last-Event-ID``, ends after the first terminal status, and
answers 204 when nothing is left. Every payload carries ``ts``, the
``time.time()`` when this connection wrote it, for latency measurements.

``Faults`` injects failures (error statuses, dropped connections, malformed,
unknown or oversized events); ``Simulator.requests`` and
``Simulator.interview`` let tests check what the server saw. A command line
runs it with ``await sim.serve_forever()``, which returns after Ctrl-C.
"""

from __future__ import annotations

from ._core import RequestRecord
from ._faults import ENDPOINTS, FailSpec, Faults
from ._scenarios import (
    ROLE_FAILED,
    ROLE_LARGE,
    ROLE_ORDINARY,
    ROLE_SLOW,
    ROLE_WITHDRAWN,
    LargeScript,
)
from ._server import Simulator
from ._state import EventRecord, FeedbackRecord, InterviewState, ReceivedMessage

__all__ = [
    "ENDPOINTS",
    "ROLE_FAILED",
    "ROLE_LARGE",
    "ROLE_ORDINARY",
    "ROLE_SLOW",
    "ROLE_WITHDRAWN",
    "EventRecord",
    "FailSpec",
    "Faults",
    "FeedbackRecord",
    "InterviewState",
    "LargeScript",
    "ReceivedMessage",
    "RequestRecord",
    "Simulator",
]
