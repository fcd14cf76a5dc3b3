"""Typed values for every answer and event of the SuperMe interview API.

Every model is frozen. REST models keep fields the service adds without notice
(``extra="allow"``) and tolerate missing optional ones. Events keep the payload
as received in ``raw`` (parsed on first use) and the SSE id they arrived with
in ``id``.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final, cast

import orjson
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

__all__ = [
    "CANDIDATE_ROLE",
    "EVENT_MODELS",
    "INTERVIEWER_ROLE",
    "TERMINAL_STATUSES",
    "Attachment",
    "Event",
    "FeedbackResult",
    "InterviewStart",
    "InterviewStatus",
    "InterviewSummary",
    "MessageEvent",
    "MessageReply",
    "StageChangeEvent",
    "StageInfo",
    "StatusEvent",
    "SubmitResult",
    "TokenEvent",
    "Transcript",
    "TranscriptMessage",
    "TranscriptStage",
    "UnknownEvent",
    "event_class",
]

TERMINAL_STATUSES: Final = frozenset(
    {"completed", "scoring", "scored", "failed", "withdrawn"}
)
"""Statuses after which the service sends nothing more (API.md, "Terminal")."""

INTERVIEWER_ROLE: Final = "company"
"""The role the service gives the interviewer's messages and tokens."""

CANDIDATE_ROLE: Final = "candidate"
"""The role of the candidate's messages (assumed; the vendor never named it)."""


class _Resource(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class Attachment(_Resource):
    """A file sent with a message, stored by the service beforehand."""

    gcs_path: str
    filename: str
    content_type: str


class InterviewStart(_Resource):
    """The answer of ``start_interview``."""

    interview_id: str
    status: str = "preparing"


class StageInfo(_Resource):
    """One stage in a status snapshot."""

    stage_number: int
    name: str | None = None
    status: str | None = None


class InterviewStatus(_Resource):
    """A snapshot of an interview, the answer of ``get_interview_status``."""

    interview_id: str
    status: str
    stages: tuple[StageInfo, ...] = ()
    active_stage: int | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the interview has reached a status after which nothing moves."""
        return self.status in TERMINAL_STATUSES


class TranscriptMessage(_Resource):
    """One message of a transcript stage."""

    role: str | None = None
    content: str = Field(
        default="", validation_alias=AliasChoices("content", "message", "text")
    )


class TranscriptStage(_Resource):
    """One stage of a transcript.

    The service names the number ``stage_number``, sometimes ``number``, and
    sometimes gives only a ``stage`` name (API.md); all three are accepted.
    """

    stage_number: int | None = Field(
        default=None, validation_alias=AliasChoices("stage_number", "number")
    )
    name: str | None = Field(
        default=None, validation_alias=AliasChoices("name", "stage_name", "stage")
    )
    messages: tuple[TranscriptMessage, ...] = ()


class Transcript(_Resource):
    """The answer of ``get_interview_transcript``: its stages in order."""

    transcript: tuple[TranscriptStage, ...] = ()


class InterviewSummary(_Resource):
    """One entry of ``list_my_interviews``."""

    interview_id: str
    status: str | None = None


class MessageReply(_Resource):
    """The answer of ``send_interview_message``: the interviewer's reply."""

    interview_id: str | None = None
    stage_name: str | None = None
    message: str | None = None
    next_manual_stage: int | None = None


class SubmitResult(_Resource):
    """The answer of ``submit_interview``."""

    status: str


class FeedbackResult(_Resource):
    """The answer of ``send_interview_feedback``."""

    success: bool


class Event(BaseModel):
    """One event of the interview stream.

    Attributes:
        kind: The payload's ``event`` key.
        id: The SSE id the event arrived with (the last ``id:`` line seen), or
            None when the server sends none.
        raw: The payload exactly as received, unknown fields included.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    KIND: ClassVar[str] = ""

    kind: str = Field(default="", validation_alias="event")
    # NOTE: the alias is a name no payload uses, so that a payload's own "id"
    # key can neither fill nor break it; the stream sets it after validation.
    id: str | None = Field(default=None, validation_alias="\x00sse_id")

    @property
    def raw(self) -> dict[str, Any]:
        """The payload exactly as received, unknown fields included.

        The stream validates an event straight from its JSON text and parses
        the text into this dict only when it is first asked for: most
        pipelines read the typed fields alone, and the stream ran about 15%
        faster without a dict per event. ``{}`` for an event built by hand.
        """
        # NOTE: not functools.cached_property, whose lock (Python 3.11) cost
        # more than the parse on a stream whose every event's raw was read.
        fields = self.__dict__
        raw: dict[str, Any] | None = fields.get(RAW_KEY)
        if raw is None:
            data = fields.get(DATA_KEY)
            raw = fields[RAW_KEY] = {} if data is None else parse_object(data)
        return raw

    @staticmethod
    def from_payload(payload: dict[str, Any], sse_id: str | None = None) -> Event:
        """Build the typed event for one decoded ``data:`` payload.

        Args:
            payload: The JSON object of the event; kept as ``raw``.
            sse_id: The SSE id it arrived with.

        Raises:
            pydantic.ValidationError: A known kind whose fields have the wrong
                types; the stream logs and skips such an event.
        """
        # NOTE: the validator itself, not model_validate: the wrapper's keyword
        # handling shows when this runs for every event of a stream.
        model = event_class(payload.get("event"))
        event: Event = model.__pydantic_validator__.validate_python(payload)
        fields = event.__dict__
        fields["id"] = sse_id
        fields[RAW_KEY] = payload
        return event


DATA_KEY: Final = "\x00data"
"""Where an event validated from its JSON text keeps that text for ``raw``."""

RAW_KEY: Final = "\x00raw"
"""Where an event keeps ``raw`` once parsed (or given to ``from_payload``)."""


def parse_object(data: str) -> dict[str, Any]:
    """Parse the JSON object of an event that pydantic has validated already.

    orjson first; the standard library for what pydantic's parser accepts and
    orjson refuses (``NaN``, lone surrogates in escapes).
    """
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        payload = json.loads(data)
    return cast(dict[str, Any], payload)


class StageChangeEvent(Event):
    """The interview moved to another stage."""

    KIND: ClassVar[str] = "stage_change"

    stage_number: int | None = None
    stage_name: str | None = None


class TokenEvent(Event):
    """One piece of a message being streamed."""

    KIND: ClassVar[str] = "token"

    role: str | None = None
    token: str = ""
    stage_number: int | None = None


class MessageEvent(Event):
    """A whole message. ``role`` and ``stage_number`` are assumed (API.md)."""

    KIND: ClassVar[str] = "message"

    content: str = ""
    role: str | None = None
    stage_number: int | None = None


class StatusEvent(Event):
    """The interview's status changed."""

    KIND: ClassVar[str] = "status"

    status: str

    @property
    def is_terminal(self) -> bool:
        """Whether the stream ends after this event."""
        return self.status in TERMINAL_STATUSES


class UnknownEvent(Event):
    """An event of a kind this version does not know; see ``raw``."""


EVENT_MODELS: Final[dict[str, type[Event]]] = {
    cls.KIND: cls for cls in (StageChangeEvent, TokenEvent, MessageEvent, StatusEvent)
}
"""The model of each known ``event`` kind; any other kind is ``UnknownEvent``."""


def event_class(kind: object) -> type[Event]:
    """Return the model for an ``event`` key, ``UnknownEvent`` for the rest."""
    if isinstance(kind, str):
        return EVENT_MODELS.get(kind, UnknownEvent)
    return UnknownEvent
