"""The values the operators emit, all frozen so they can be shared freely."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeAlias

from ..models import (
    InterviewStatus,
    MessageReply,
    SubmitResult,
    Transcript,
)

__all__ = [
    "Message",
    "Progress",
    "ProgressKind",
    "Prompt",
    "PromptKey",
    "ReplyOutcome",
    "ReplyStatus",
    "Stage",
    "StageSummary",
]

PromptKey: TypeAlias = tuple[str, int | None, str | None]
"""What makes two prompts the same: interview id, stage number and question."""


@dataclasses.dataclass(frozen=True, slots=True)
class Stage:
    """An interview stage as the stream names it.

    Attributes:
        number: The ``stage_number``, or None before any event named one.
        name: The ``stage_name`` of its ``stage_change``, when one was seen.
    """

    number: int | None
    name: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Message:
    """One whole message, received as a ``message`` event or joined from tokens.

    Attributes:
        role: Who spoke: ``"company"`` for the interviewer, or None when the
            service did not say.
        content: The text.
        stage_number: The stage the message belongs to, or None if unknown.
        from_tokens: True when the service streamed it only as ``token`` pieces
            and never confirmed it with a ``message`` event.
    """

    role: str | None
    content: str
    stage_number: int | None
    from_tokens: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class StageSummary:
    """A stage that has ended, with what was said in it.

    Attributes:
        number: The stage's number, or None for events before any stage.
        name: The stage's name, when known.
        messages: Its whole messages, in arrival order.
        started: When its first event arrived, on the scheduler's clock.
        ended: When the interview left it or the stream ended.
        status: The last ``status`` seen while in it, or None.
    """

    number: int | None
    name: str | None
    messages: tuple[Message, ...]
    started: datetime
    ended: datetime
    status: str | None

    @property
    def duration(self) -> timedelta:
        """How long the interview stayed in the stage."""
        return self.ended - self.started


@dataclasses.dataclass(frozen=True, slots=True)
class Prompt:
    """The interview waits for the candidate's answer.

    Attributes:
        interview_id: The interview waiting.
        stage_number: The stage it waits in.
        stage_name: That stage's name, when known.
        question: The interviewer's last whole message in the stage, or None.
        messages: Every whole message of the stage so far.
        event_id: The SSE id of the ``awaiting_input`` status, if any.
    """

    interview_id: str
    stage_number: int | None
    stage_name: str | None
    question: str | None
    messages: tuple[Message, ...] = ()
    event_id: str | None = None

    @property
    def key(self) -> PromptKey:
        """The identity ``auto_reply`` answers at most once.

        Interview, stage and question: a wait re-announced after a reconnect has
        the same key; so does the same question asked twice in one stage, which
        is answered once only, erring towards never sending a reply twice.
        """
        return (self.interview_id, self.stage_number, self.question)


class ReplyStatus(StrEnum):
    """What ``auto_reply`` did with a prompt."""

    SENT = "sent"
    SKIPPED = "skipped"
    DRY_RUN = "dry_run"
    ERROR = "error"


@dataclasses.dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """What became of one prompt.

    Attributes:
        prompt: The prompt answered.
        status: Sent, skipped, dry run (not sent on purpose) or error.
        reply: The responder's text, or None.
        answer: The interviewer's answer to the reply, when sent.
        error: What failed, for the error status.
        reason: Why a prompt was skipped, in words.
        attempts: How many times the reply was POSTed (retries included).
        responder_seconds: Time the responder took.
        post_seconds: Time the POST took, waits between retries included.
        total_seconds: Time from the prompt's arrival to this outcome, the wait
            behind earlier prompts included.
    """

    prompt: Prompt
    status: ReplyStatus
    reply: str | None = None
    answer: MessageReply | None = None
    error: Exception | None = None
    reason: str | None = None
    attempts: int = 0
    responder_seconds: float = 0.0
    post_seconds: float = 0.0
    total_seconds: float = 0.0


class ProgressKind(StrEnum):
    """The steps ``run_interview`` reports, in the order they happen."""

    STARTED = "started"
    STAGE = "stage"
    REPLY = "reply"
    COMPLETED = "completed"
    SUBMITTED = "submitted"
    SCORED = "scored"
    TRANSCRIPT = "transcript"


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    """One step of a whole interview run; ``kind`` says which fields are set.

    Attributes:
        kind: The step.
        role_id: The role the interview is for.
        interview_id: The interview, known from ``STARTED`` on.
        stage: The stage entered, for ``STAGE``.
        outcome: The reply outcome, for ``REPLY``.
        status: The terminal status the stream ended with, for ``COMPLETED``;
            ``scored`` or ``failed``, for ``SCORED``.
        submit: The service's answer, for ``SUBMITTED`` (None if it was
            already submitted).
        snapshot: The last polled status, for ``SCORED``.
        transcript: The service's transcript, for the final ``TRANSCRIPT``.
    """

    kind: ProgressKind
    role_id: str
    interview_id: str
    stage: Stage | None = None
    outcome: ReplyOutcome | None = None
    status: str | None = None
    submit: SubmitResult | None = None
    snapshot: InterviewStatus | None = None
    transcript: Transcript | None = None
