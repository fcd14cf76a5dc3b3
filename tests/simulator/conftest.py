"""Fixtures: a simulator without pauses and a client holding its API key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from superme_rx.simulator import Simulator

from ._helpers import client_for


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator playing every script without pauses."""
    async with Simulator(time_scale=0) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``sim`` authenticated as its user."""
    async with client_for(sim) as http:
        yield http
