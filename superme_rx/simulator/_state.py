"""The state of each simulated interview: its event log, stages and inbox.

The log is append-only; ``Interview.emit`` wakes every stream waiting for
more by setting an ``asyncio.Event`` and putting a fresh one in its place.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any, Final

import orjson

from ..models import TERMINAL_STATUSES
from ._faults import Faults
from ._scenarios import Script

__all__ = [
    "TERMINAL_STATUSES",
    "EventRecord",
    "FeedbackRecord",
    "Interview",
    "InterviewState",
    "ReceivedMessage",
]

logger = logging.getLogger(__name__)

_OVERSIZED_MIN_BYTES: Final = 64
_TRANSCRIBED: Final = ("role", "content", "attachments")
_NOTIFY_EVERY: Final = 64


@dataclasses.dataclass(frozen=True, slots=True)
class EventRecord:
    """One event of an interview's log, as every stream sends it.

    Attributes:
        id: The SSE id, ``"1"`` for the first event of the interview.
        kind: The payload's ``event`` key, or None for a malformed event.
        data: The ``data:`` line's value before ``ts`` is added.
        injected: Whether a fault added it rather than the script.
        created: ``time.time()`` when it entered the log.
    """

    id: str
    kind: str | None
    data: bytes
    injected: bool
    created: float

    @property
    def payload(self) -> dict[str, Any] | None:
        """A fresh copy of the JSON payload (without ``ts``), None if malformed."""
        if self.kind is None:
            return None
        value: dict[str, Any] = orjson.loads(self.data)
        return value


@dataclasses.dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message the candidate sent with ``send_interview_message``."""

    stage_number: int
    content: str
    attachments: tuple[dict[str, str], ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """Feedback sent with ``send_interview_feedback``."""

    stage_number: int
    rating: int
    comments: str


class Interview:
    """The mutable state of one interview; handlers and the runner share it.

    Args:
        interview_id: Its id.
        user_id: The ``user_id`` claim of the key that started it, if any.
        script: What it plays.
        faults: Which events to inject into its log.
    """

    def __init__(
        self, interview_id: str, user_id: str | None, script: Script, faults: Faults
    ) -> None:
        self.interview_id = interview_id
        self.user_id = user_id
        self.script = script
        self.status = "preparing"
        self.stage: int | None = None
        self.stage_statuses = ["PENDING"] * len(script.stages)
        self.transcript: list[list[dict[str, Any]]] = []
        self.messages: list[ReceivedMessage] = []
        self.feedback: list[FeedbackRecord] = []
        self.log: list[EventRecord] = []
        self.terminal_index: int | None = None
        self.answer: asyncio.Future[None] | None = None
        self.question = (0, 0)
        self.created = time.time()
        self.drops = 0
        self._faults = faults
        self._scripted = 0
        self._changed = asyncio.Event()
        self._quiet = 0

    @property
    def changed(self) -> asyncio.Event:
        """An event set at the next append (or ``wake``), never cleared."""
        return self._changed

    def wake(self) -> None:
        """Wake everyone waiting on ``changed``, e.g. when the server stops."""
        self._quiet = 0
        self._changed.set()
        self._changed = asyncio.Event()

    def emit(self, payload: dict[str, Any], *, notify: bool = True) -> EventRecord:
        """Append one script event, then the events faults inject after it.

        Args:
            payload: The event's JSON object, with its ``event`` key.
            notify: Whether to wake the streams now. A burst of events with no
                pause between them wakes them once per ``_NOTIFY_EVERY``
                events, so that each stream writes them in a few large sends
                rather than one send per event.

        Returns:
            The record of the script event.
        """
        record = self._push(payload["event"], orjson.dumps(payload), injected=False)
        kind = payload["event"]
        if kind == "status":
            self.status = payload["status"]
            if self.terminal_index is None and self.status in TERMINAL_STATUSES:
                self.terminal_index = len(self.log) - 1
        elif kind == "message":
            # The transcript holds exactly the stream's whole messages.
            entry: dict[str, Any] = {
                key: payload[key] for key in _TRANSCRIBED if key in payload
            }
            self.transcript[-1].append(entry)

        if self.terminal_index is None:
            self._inject()
        self._quiet += 1
        if notify or self._quiet >= _NOTIFY_EVERY:
            self.wake()
        return record

    def start_stage(self, number: int, name: str) -> None:
        """Enter stage ``number`` (1-based) and emit its ``stage_change``."""
        self.stage = number
        self.stage_statuses[number - 1] = "IN_PROGRESS"
        self.transcript.append([])
        self.emit({"event": "stage_change", "stage_number": number, "stage_name": name})

    def _inject(self) -> None:
        self._scripted += 1
        count = self._scripted
        faults = self._faults
        if faults.oversized_event_bytes is not None and count == 1:
            self._push("oversized", _oversized(faults.oversized_event_bytes), True)
        if faults.malformed_every is not None and count % faults.malformed_every == 0:
            data = b'{"event": "malformed", "after": ' + str(count).encode()
            self._push(None, data, injected=True)
        if (
            faults.unknown_kind_every is not None
            and count % faults.unknown_kind_every == 0
        ):
            mystery = {
                "event": "mystery",
                "after": count,
                "detail": {"note": "unknown"},
            }
            self._push("mystery", orjson.dumps(mystery), injected=True)

    def _push(self, kind: str | None, data: bytes, injected: bool) -> EventRecord:
        record = EventRecord(str(len(self.log) + 1), kind, data, injected, time.time())
        self.log.append(record)
        logger.debug("interview %s event %s %s", self.interview_id, record.id, kind)
        return record


def _oversized(size: int) -> bytes:
    # The stream appends ',"ts":<17 characters>}' in place of the closing brace
    # (see _stream.with_ts): 24 bytes that count towards the size asked for.
    head = b'{"event":"oversized","padding":"'
    padding = max(0, max(size, _OVERSIZED_MIN_BYTES) - len(head) - 1 - 24)
    return head + b"x" * padding + b'"}'


class InterviewState:
    """A read-only, live view of one simulated interview, for tests.

    Every property reads the current state; hold the view and read it again
    later to see progress.
    """

    def __init__(self, interview: Interview) -> None:
        self._interview = interview

    def __repr__(self) -> str:
        return f"InterviewState({self.interview_id!r}, status={self.status!r})"

    @property
    def interview_id(self) -> str:
        """The interview's id."""
        return self._interview.interview_id

    @property
    def role_id(self) -> str:
        """The role it was started with."""
        return self._interview.script.role_id

    @property
    def user_id(self) -> str | None:
        """The ``user_id`` claim of the key that started it."""
        return self._interview.user_id

    @property
    def status(self) -> str:
        """The interview's status, as ``get_interview_status`` reports it."""
        return self._interview.status

    @property
    def stage(self) -> int | None:
        """The number of the stage being played, None before and after."""
        return self._interview.stage

    @property
    def messages(self) -> tuple[ReceivedMessage, ...]:
        """The messages received from the candidate, in the order accepted.

        The interviewer's messages are in ``events`` (kind ``message``).
        """
        return tuple(self._interview.messages)

    @property
    def feedback(self) -> tuple[FeedbackRecord, ...]:
        """The feedback sent about it, in order."""
        return tuple(self._interview.feedback)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON payloads of its events so far, in order, without ``ts``.

        A fresh list of fresh dicts. Injected events that are JSON objects
        (``mystery``, ``oversized``) are included; malformed ones are not, as
        a client skips them. Events after the first terminal status (scoring,
        scored) are included although no stream sends them; see ``records``
        for ids and everything else.
        """
        return [p for r in self._interview.log if (p := r.payload) is not None]

    @property
    def records(self) -> tuple[EventRecord, ...]:
        """Every event of its log so far, malformed ones included, by id."""
        return tuple(self._interview.log)

    async def wait_for_status(self, *statuses: str) -> str:
        """Wait until the status is one of ``statuses``, and return it.

        Wrap it in ``asyncio.timeout`` in tests: it waits forever otherwise.

        Args:
            *statuses: The statuses to wait for, e.g. ``"awaiting_input"``.
        """
        interview = self._interview
        while interview.status not in statuses:
            await interview.changed.wait()
        return interview.status
