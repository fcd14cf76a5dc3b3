"""Fixtures shared by the suite: the simulator on a loopback port, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from superme_rx import RxSuperMeClient
from superme_rx.simulator import Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A simulator without scripted delays, on a free loopback port."""
    async with Simulator(time_scale=0) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[RxSuperMeClient]:
    """A client of the ``sim`` fixture, closed after the test."""
    async with RxSuperMeClient(sim.api_key, base_url=sim.base_url) as rx_client:
        yield rx_client


@pytest.fixture(autouse=True)
def _no_ambient_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's own key, URL and token file out of every test."""
    monkeypatch.delenv("SUPERME_API_KEY", raising=False)
    monkeypatch.delenv("SUPERME_BASE_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
