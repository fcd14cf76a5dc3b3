"""The benchmark's verdicts: which targets bind, and when a target is met."""

from __future__ import annotations

from typing import Any

from benchmarks.targets import RECOMMENDED_LOOP, Check, check_all


def stat(median: float) -> dict[str, float]:
    return {"median": median, "min": median, "max": median}


def throughput(rates: dict[str, float]) -> dict[str, Any]:
    """One loop's throughput node: events/s by contender."""
    return {"contenders": {k: {"events_per_s": stat(v)} for k, v in rates.items()}}


RATES = {"rx": 400.0, "rx_raw": 300.0, "httpx_sse": 200.0, "aiohttp_sse": 101.0}


def results() -> dict[str, Any]:
    node = throughput(RATES)
    servers = {
        "bare": {"asyncio": node, "uvloop": node},
        "simulator": {"asyncio": node},
    }
    paced = {"rx": {"p50_ms": stat(0.5), "p99_ms": stat(30.0),
                    "peak_rss_mb": stat(80.0)},
             "aiohttp_sse": {"p99_ms": stat(59.0)}}  # fmt: skip
    return {
        "throughput": {"results": {"servers": servers}},
        "paced": {"results": {"loops": {"asyncio": paced, "uvloop": paced}}},
    }


def find(checks: list[Check], scenario: str, loop: str, target: str) -> Check:
    (check,) = [
        c
        for c in checks
        if c.scenario == scenario and c.loop == loop and c.target == target
    ]
    return check


def test_throughput_binds_only_typed_events_from_the_bare_server_on_asyncio() -> None:
    """Other loops, the simulator and the raw-reading contender only compare."""
    checks = [c for c in check_all(results()) if c.scenario.startswith("1 ")]

    binding = {(c.scenario, c.loop, c.target) for c in checks if c.binding}

    assert RECOMMENDED_LOOP == "asyncio"
    assert binding == {
        ("1 throughput (bare)", "asyncio", "stream_interview >= 2x httpx-sse"),
        ("1 throughput (bare)", "asyncio", "stream_interview >= 4x aiohttp-sse-client"),
    }
    assert len(checks) == 12


def test_a_ratio_below_the_aim_is_not_met_and_one_at_it_is() -> None:
    """400 vs 200 ev/s meets 2x; 400 vs 101 misses 4x by a hair."""
    checks = check_all(results())

    exact = find(checks, "1 throughput (bare)", "asyncio",
                 "stream_interview >= 2x httpx-sse")  # fmt: skip
    short = find(checks, "1 throughput (bare)", "asyncio",
                 "stream_interview >= 4x aiohttp-sse-client")  # fmt: skip

    assert exact.met and exact.measured.startswith("2.00x")
    assert not short.met and short.measured.startswith("3.96x")


def test_paced_targets_bind_on_asyncio_and_compare_on_uvloop() -> None:
    """The same figures give the same verdicts; only asyncio's bind."""
    checks = [c for c in check_all(results()) if c.scenario == "2 paced"]

    ratio = find(checks, "2 paced", "uvloop", "p99 >= 2x lower than aiohttp-sse-client")

    assert {c.loop for c in checks if c.binding} == {"asyncio"}
    assert len(checks) == 8
    assert not ratio.met and ratio.measured.startswith("1.97x")
