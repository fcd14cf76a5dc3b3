"""What the operators ask of the client and of the code that writes replies.

Any object with these methods will do, the library's client or a fake: each
method returns a cold Observable, as the client's endpoints do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol, TypeAlias

from reactivex import Observable

from ..models import (
    Attachment,
    Event,
    InterviewStart,
    InterviewStatus,
    MessageReply,
    SubmitResult,
    Transcript,
)
from ._values import Prompt

__all__ = ["LifecycleClient", "MessageSender", "Responder", "ResponderResult"]

ResponderResult: TypeAlias = str | Awaitable[str | None] | Observable[str | None] | None
"""What a responder may return: the reply, or something that will give it."""


class MessageSender(Protocol):
    """Sends the candidate's message, as the client does."""

    def send_interview_message(
        self,
        interview_id: str,
        message: str,
        *,
        stage_number: int | None = None,
        attachments: Sequence[Attachment] | None = None,
    ) -> Observable[MessageReply]:
        """Send ``message`` and emit the interviewer's reply."""
        ...


class LifecycleClient(MessageSender, Protocol):
    """Everything ``run_interview`` calls, as the client offers it."""

    def start_interview(self, role_id: str) -> Observable[InterviewStart]:
        """Start an interview for ``role_id``."""
        ...

    def stream_interview(self, interview_id: str) -> Observable[Event]:
        """Follow the interview's events until a terminal status."""
        ...

    def submit_interview(self, interview_id: str) -> Observable[SubmitResult]:
        """Submit the finished interview for scoring."""
        ...

    def get_interview_status(self, interview_id: str) -> Observable[InterviewStatus]:
        """Take a snapshot of the interview."""
        ...

    def get_interview_transcript(self, interview_id: str) -> Observable[Transcript]:
        """Fetch the interview's transcript."""
        ...


class Responder(Protocol):
    """Writes the candidate's answer to a prompt.

    Return the text; None to leave the prompt to a person; an awaitable of
    either, as a coroutine function gives (it needs a running asyncio loop in
    the thread that delivers the events); or an Observable of either, whose
    last value counts.
    """

    def __call__(self, prompt: Prompt, /) -> ResponderResult:
        """Answer ``prompt``."""
        ...
