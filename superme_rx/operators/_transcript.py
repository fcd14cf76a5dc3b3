"""Fold the event stream into the transcript so far.

The transcript holds whole messages only, never a partial token run: each
message enters when ``assemble_messages`` would emit it, in the stage it names
or is attributed to (``_common``). Stages appear in the order first seen, from
their ``stage_change`` on, even before they hold a message. A message streamed
only as tokens counts once, with its joined text, unless the caller asks for
``message`` events alone.
"""

from __future__ import annotations

from reactivex import Observable, abc

from .._types import Operator
from ..models import (
    Event,
    StageChangeEvent,
    Transcript,
    TranscriptMessage,
    TranscriptStage,
)
from ._assembly import Assembler
from ._common import StageTracker
from ._values import Message

__all__ = ["live_transcript_"]


class _Folder:
    """The transcript of one subscription, rebuilt stage by stage."""

    def __init__(self, include_streamed: bool) -> None:
        self._include_streamed = include_streamed
        self._tracker = StageTracker()
        self._assembler = Assembler()
        self._stages: dict[int | None, TranscriptStage] = {}

    def feed(self, event: Event) -> bool:
        """Take one event; return whether the transcript changed."""
        stage = self._tracker.observe(event)
        changed = False
        if isinstance(event, StageChangeEvent):
            changed = self._ensure(stage.number, stage.name)
        for message in self._assembler.feed(event, stage):
            changed = self._add(message) or changed
        return changed

    def finish(self) -> bool:
        """End pending tokens; return whether the transcript changed."""
        changed = False
        for message in self._assembler.finish():
            changed = self._add(message) or changed
        return changed

    def transcript(self) -> Transcript:
        """The transcript as it stands."""
        return Transcript(transcript=tuple(self._stages.values()))

    def _ensure(self, number: int | None, name: str | None) -> bool:
        known = self._stages.get(number)
        if known is not None and (known.name == name or not name):
            return False
        messages = known.messages if known is not None else ()
        self._stages[number] = TranscriptStage(
            stage_number=number, name=name, messages=messages
        )
        return True

    def _add(self, message: Message) -> bool:
        if message.from_tokens and not self._include_streamed:
            return False
        number = message.stage_number
        self._ensure(number, self._tracker.name_of(number))
        stage = self._stages[number]
        entry = TranscriptMessage(role=message.role, content=message.content)
        self._stages[number] = stage.model_copy(
            update={"messages": (*stage.messages, entry)}
        )
        return True


def live_transcript_(include_streamed: bool = True) -> Operator[Event, Transcript]:
    """Implement ``superme_rx.operators.live_transcript``."""

    def fold(source: Observable[Event]) -> Observable[Transcript]:
        def subscribe(
            observer: abc.ObserverBase[Transcript],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            folder = _Folder(include_streamed)

            def on_next(event: Event) -> None:
                if folder.feed(event):
                    observer.on_next(folder.transcript())

            def on_completed() -> None:
                if folder.finish():
                    observer.on_next(folder.transcript())
                observer.on_completed()

            return source.subscribe(
                on_next, observer.on_error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return fold
