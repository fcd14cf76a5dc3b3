"""Turn ``awaiting_input`` statuses into prompts, once per wait.

A wait is announced by a ``status`` event whose status is ``awaiting_input``
(any case: API.md lists a stage status ``AWAITING_INPUT`` too). Only the first
announcement of a wait becomes a prompt; the wait is new again once a whole
message arrives or the interview enters another stage. A repeated
announcement without either, as a reconnecting stream may send, is dropped.

The question is the interviewer's last whole message in the current stage. A
message without a role counts as the interviewer's: API.md marks the role of
``message`` events as assumed, and only the interviewer's are documented.
"""

from __future__ import annotations

import logging

from reactivex import Observable, abc

from .._types import Operator
from ..models import INTERVIEWER_ROLE, Event, StatusEvent
from ._assembly import Assembler
from ._common import StageTracker, is_new_segment
from ._values import Message, Prompt

__all__ = ["AWAITING_INPUT", "awaiting_input_"]

logger = logging.getLogger(__name__)

AWAITING_INPUT = "awaiting_input"


class _Waits:
    """The prompt state of one subscription."""

    def __init__(self, interview_id: str) -> None:
        self._interview_id = interview_id
        self._tracker = StageTracker()
        self._assembler = Assembler()
        self._messages: dict[int | None, list[Message]] = {}
        self._fresh = True

    def feed(self, event: Event) -> Prompt | None:
        """Take one event; return the prompt it announces, if any."""
        before = self._tracker.current
        stage = self._tracker.observe(event)
        for message in self._assembler.feed(event, stage):
            self._messages.setdefault(message.stage_number, []).append(message)
            self._fresh = True
        if is_new_segment(before, self._tracker.current):
            self._fresh = True

        if not (
            isinstance(event, StatusEvent) and event.status.lower() == AWAITING_INPUT
        ):
            return None
        if not self._fresh:
            logger.debug(
                "awaiting_input %s repeats the current wait; dropped", event.id
            )
            return None

        self._fresh = False
        current = self._tracker.current
        messages = tuple(self._messages.get(current.number, ()))
        asked = [m.content for m in messages if m.role in (INTERVIEWER_ROLE, None)]
        return Prompt(
            interview_id=self._interview_id,
            stage_number=current.number,
            stage_name=current.name,
            question=asked[-1] if asked else None,
            messages=messages,
            event_id=event.id,
        )


def awaiting_input_(interview_id: str) -> Operator[Event, Prompt]:
    """Implement ``superme_rx.operators.awaiting_input``."""

    def prompts(source: Observable[Event]) -> Observable[Prompt]:
        def subscribe(
            observer: abc.ObserverBase[Prompt],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            waits = _Waits(interview_id)

            def on_next(event: Event) -> None:
                prompt = waits.feed(event)
                if prompt is not None:
                    logger.debug(
                        "prompt in %s, stage %s", interview_id, prompt.stage_number
                    )
                    observer.on_next(prompt)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return prompts
