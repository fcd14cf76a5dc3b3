"""How every example reaches an interview service.

With ``SUPERME_BASE_URL`` set, the examples talk to that service with the key
from ``SUPERME_API_KEY`` (or ``~/.superme/token``), and ``SUPERME_ROLE_ID``
names the role to interview for. Otherwise they start the embedded simulator
in-process, on a loopback port, at a quick pace.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from superme_rx import RxSuperMeClient
from superme_rx.simulator import ROLE_ORDINARY, Faults, Simulator

__all__ = ["connect", "role_id"]

# The simulator's pauses times this: the ordinary interview takes ~0.7 s.
TIME_SCALE = 0.1


@contextlib.asynccontextmanager
async def connect(
    *, time_scale: float = TIME_SCALE, faults: Faults | None = None
) -> AsyncIterator[tuple[RxSuperMeClient, Simulator | None]]:
    """Open a client of the service, and the simulator when it is the service.

    Args:
        time_scale: The simulator's pace; ignored for a real service.
        faults: What the simulator should get wrong; ignored for a real service.

    Yields:
        The client, and the simulator or None.
    """
    if os.environ.get("SUPERME_BASE_URL"):
        async with RxSuperMeClient() as client:
            yield client, None
        return

    async with (
        Simulator(time_scale=time_scale, faults=faults) as simulator,
        RxSuperMeClient(simulator.api_key, base_url=simulator.base_url) as client,
    ):
        yield client, simulator


def role_id() -> str:
    """The role to interview for: ``SUPERME_ROLE_ID``, else the simulator's."""
    return os.environ.get("SUPERME_ROLE_ID", ROLE_ORDINARY)
