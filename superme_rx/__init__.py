"""superme_rx: the SuperMe interview API as reactivex Observables.

Every REST endpoint is a cold Observable, the interview's event stream is one
hot Observable that completes at a terminal status, and
``superme_rx.operators`` composes them into pipelines. ``superme_rx.simulator``
is a local stand-in for the service, for demos and tests.
"""

from __future__ import annotations

from ._client import RxSuperMeClient
from ._config import DEFAULT_BASE_URL, Timeouts
from ._resume import NO_RECONNECT, ReconnectPolicy
from ._sse import EventTooLarge
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    StreamError,
    SupermeError,
    TransportError,
)
from .models import (
    CANDIDATE_ROLE,
    INTERVIEWER_ROLE,
    TERMINAL_STATUSES,
    Attachment,
    Event,
    FeedbackResult,
    InterviewStart,
    InterviewStatus,
    InterviewSummary,
    MessageEvent,
    MessageReply,
    StageChangeEvent,
    StageInfo,
    StatusEvent,
    SubmitResult,
    TokenEvent,
    Transcript,
    TranscriptMessage,
    TranscriptStage,
    UnknownEvent,
)

__version__ = "0.1.0"

__all__ = [
    "CANDIDATE_ROLE",
    "DEFAULT_BASE_URL",
    "INTERVIEWER_ROLE",
    "NO_RECONNECT",
    "TERMINAL_STATUSES",
    "ApiError",
    "Attachment",
    "AuthenticationError",
    "ConfigurationError",
    "Event",
    "EventTooLarge",
    "FeedbackResult",
    "InterviewStart",
    "InterviewStatus",
    "InterviewSummary",
    "InvalidArgumentError",
    "MessageEvent",
    "MessageReply",
    "NotFoundError",
    "PayloadError",
    "RateLimitError",
    "ReconnectPolicy",
    "RxSuperMeClient",
    "StageChangeEvent",
    "StageInfo",
    "StatusEvent",
    "StreamError",
    "SubmitResult",
    "SupermeError",
    "Timeouts",
    "TokenEvent",
    "Transcript",
    "TranscriptMessage",
    "TranscriptStage",
    "TransportError",
    "UnknownEvent",
]
