"""Summaries of repeated measurements: median, min and max; percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

__all__ = ["percentile", "summary"]


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of one figure over the runs, and the runs themselves."""
    if not values:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "runs": []}
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": list(values),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) of ``values``, nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
