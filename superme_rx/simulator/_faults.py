"""Faults the simulator can inject, to test how a client copes with them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["ENDPOINTS", "FailSpec", "FaultCounter", "Faults"]

logger = logging.getLogger(__name__)

ENDPOINTS: Final = (
    "start_interview",
    "get_interview_status",
    "get_interview_transcript",
    "list_my_interviews",
    "send_interview_message",
    "submit_interview",
    "send_interview_feedback",
    "stream_interview",
)
"""The endpoint names, the vendor SDK's method names (API.md, "Endpoints")."""


def _check_positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{name} must be at least 1 or None, got {value}")


@dataclasses.dataclass(frozen=True)
class FailSpec:
    """Answer the first requests of one endpoint with an error status.

    Attributes:
        count: How many requests, from the first, fail before any processing.
        status: The HTTP status they get; 503 unless told.
        retry_after: Seconds sent in a ``Retry-After`` header, or None for no
            header. Whole numbers are sent as integers, others as decimals
            (which RFC 9110 does not allow, but lets tests stay fast).
    """

    count: int
    status: int = 503
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must not be negative, got {self.count}")
        if not 400 <= self.status <= 599:
            raise ValueError(f"status must be an error (4xx or 5xx), got {self.status}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"retry_after must not be negative: {self.retry_after}")


@dataclasses.dataclass(frozen=True)
class Faults:
    """The misbehaviours a simulator shows; the default shows none.

    Stream faults that add events (``malformed_every``, ``unknown_kind_every``,
    ``oversized_event_bytes``) add them to the interview's event log, so they
    get ids of their own, come back the same on a replay and are the same in
    every run. None is added after the first terminal status.

    Attributes:
        drop_stream_after: Close every stream connection abruptly (no final
            chunk, no terminal event) after it has sent this many events,
            counting injected ones; the client has to reconnect.
        drop_stream_times: With ``drop_stream_after``, drop only the first
            this many connections of each interview; None drops them all.
        fail_requests: By endpoint name (see ``ENDPOINTS``), requests to
            refuse before authentication or any other processing.
        malformed_every: After every this many script events, add one whose
            ``data:`` is not JSON.
        unknown_kind_every: After every this many script events, add one of
            the unknown kind ``mystery`` with extra fields.
        oversized_event_bytes: Add, right after the first script event, one
            event of the unknown kind ``oversized`` whose ``data:`` is exactly
            this many bytes long (at least about 60).
        ignore_last_event_id: Replay every stream from the first event, whatever
            ``Last-Event-ID`` the client sends.
        retry_ms: Send ``retry: <ms>`` first on every stream.
    """

    drop_stream_after: int | None = None
    drop_stream_times: int | None = None
    fail_requests: Mapping[str, FailSpec] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    malformed_every: int | None = None
    unknown_kind_every: int | None = None
    oversized_event_bytes: int | None = None
    ignore_last_event_id: bool = False
    retry_ms: int | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fail_requests) - set(ENDPOINTS))
        if unknown:
            raise ValueError(f"unknown endpoint names {unknown}; use {ENDPOINTS}")
        _check_positive("drop_stream_after", self.drop_stream_after)
        _check_positive("drop_stream_times", self.drop_stream_times)
        _check_positive("malformed_every", self.malformed_every)
        _check_positive("unknown_kind_every", self.unknown_kind_every)
        _check_positive("oversized_event_bytes", self.oversized_event_bytes)
        if self.retry_ms is not None and self.retry_ms < 0:
            raise ValueError(f"retry_ms must not be negative, got {self.retry_ms}")

        # A frozen copy, so a caller mutating its dict changes nothing later.
        object.__setattr__(
            self, "fail_requests", MappingProxyType(dict(self.fail_requests))
        )


class FaultCounter:
    """Counts requests per endpoint to decide which ones a ``FailSpec`` fails.

    Args:
        faults: The simulator's faults.
    """

    def __init__(self, faults: Faults) -> None:
        self._specs = faults.fail_requests
        self._seen: dict[str, int] = {}

    def take(self, endpoint: str | None) -> FailSpec | None:
        """Count one request and return the spec that fails it, if any.

        Args:
            endpoint: The endpoint name, or None for an unknown route.

        Returns:
            The matching spec while its ``count`` is not used up, else None.
        """
        spec = self._specs.get(endpoint) if endpoint is not None else None
        if endpoint is None or spec is None:
            return None

        seen = self._seen.get(endpoint, 0)
        if seen >= spec.count:
            return None
        self._seen[endpoint] = seen + 1
        logger.debug("failing %s request %d of %d", endpoint, seen + 1, spec.count)
        return spec
