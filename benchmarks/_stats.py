"""Summaries of repeated measurements: median, min and max; percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

__all__ = ["percentile", "summary"]


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of one figure over the runs, and the runs themselves.

    A run that measured nothing (NaN, e.g. no event inside its window) is kept
    in ``runs`` but left out of the statistics, and counted in ``failed``.
    """
    good = [v for v in values if not math.isnan(v)]
    if not good:
        return {
            "median": math.nan, "min": math.nan, "max": math.nan,
            "runs": list(values), "failed": len(values),
        }  # fmt: skip
    return {
        "median": statistics.median(good),
        "min": min(good),
        "max": max(good),
        "runs": list(values),
        "failed": len(values) - len(good),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) of ``values``, nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
