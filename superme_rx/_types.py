"""Type aliases shared across the package."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

from reactivex import Observable

__all__ = ["JSONObject", "Operator"]

_A = TypeVar("_A")
_B = TypeVar("_B")

Operator: TypeAlias = Callable[[Observable[_A]], Observable[_B]]
"""A function from one Observable to another, as ``reactivex.operators`` gives."""

JSONObject: TypeAlias = dict[str, object]
"""A decoded JSON object, as the service sends it."""
