"""Join streamed ``token`` pieces into whole messages.

The rule, in full:

- tokens gather until a ``message``, ``status`` or ``stage_change`` event, a
  token of another role or stage, or the end of the stream;
- a ``message`` that ends tokens of the same role and stage with the same text
  (compared with runs of whitespace folded) is that message: one ``Message``
  comes out, built from the ``message`` event;
- tokens ended by a ``status`` or ``stage_change`` come out as a ``Message``
  with ``from_tokens=True``; if the ``message`` for them follows (before any
  other token or message) it is recognised as the same and dropped;
- otherwise tokens and messages come out on their own, in arrival order.

Tokens whose joined text is blank produce nothing. On error the pending
tokens are dropped, as an unfinished message.
"""

from __future__ import annotations

import logging

from reactivex import Observable, abc

from .._types import Operator
from ..models import Event, MessageEvent, StageChangeEvent, StatusEvent, TokenEvent
from ._common import StageTracker
from ._values import Message, Stage

__all__ = ["Assembler", "assemble_messages_"]

logger = logging.getLogger(__name__)


class Assembler:
    """The state of message assembly for one subscription."""

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._role: str | None = None
        self._stage: int | None = None
        self._unconfirmed: Message | None = None

    def feed(self, event: Event, stage: Stage) -> list[Message]:
        """Take one event, attributed to ``stage``; return the messages it ends."""
        if isinstance(event, TokenEvent):
            return self._token(event, stage)
        if isinstance(event, MessageEvent):
            return self._message(event, stage)
        if isinstance(event, StatusEvent | StageChangeEvent):
            flushed = self.finish()
            if flushed:
                self._unconfirmed = flushed[-1]
            return flushed
        return []

    def finish(self) -> list[Message]:
        """End the pending tokens, if any, and return them as a message."""
        if not self._pieces:
            return []
        text = "".join(self._pieces)
        self._pieces = []
        if not text.strip():
            return []
        return [Message(self._role, text, self._stage, from_tokens=True)]

    def _token(self, event: TokenEvent, stage: Stage) -> list[Message]:
        out: list[Message] = []
        if self._pieces and (event.role, stage.number) != (self._role, self._stage):
            out = self.finish()
        if not self._pieces:
            self._role, self._stage = event.role, stage.number
        self._pieces.append(event.token)
        self._unconfirmed = None
        return out

    def _message(self, event: MessageEvent, stage: Stage) -> list[Message]:
        message = Message(event.role, event.content, stage.number)
        pending = self.finish()
        unconfirmed, self._unconfirmed = self._unconfirmed, None

        if pending and _same(pending[0], message):
            return [
                Message(message.role or pending[0].role, message.content, stage.number)
            ]
        if not pending and unconfirmed is not None and _same(unconfirmed, message):
            logger.debug("message event %s repeats streamed tokens; dropped", event.id)
            return []
        return [*pending, message]


def _same(streamed: Message, whole: Message) -> bool:
    """Whether a ``message`` event repeats a message already streamed as tokens."""
    # NOTE: API.md marks the message's role as assumed; a missing one matches.
    roles_match = whole.role is None or whole.role == streamed.role
    return (
        roles_match
        and whole.stage_number == streamed.stage_number
        and whole.content.split() == streamed.content.split()
    )


def assemble_messages_() -> Operator[Event, Message]:
    """Implement ``superme_rx.operators.assemble_messages``."""

    def assemble(source: Observable[Event]) -> Observable[Message]:
        def subscribe(
            observer: abc.ObserverBase[Message],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            tracker, assembler = StageTracker(), Assembler()

            def on_next(event: Event) -> None:
                for message in assembler.feed(event, tracker.observe(event)):
                    observer.on_next(message)

            def on_completed() -> None:
                for message in assembler.finish():
                    observer.on_next(message)
                observer.on_completed()

            return source.subscribe(
                on_next, observer.on_error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return assemble
