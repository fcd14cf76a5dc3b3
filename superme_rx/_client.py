"""The client: every endpoint of the SuperMe interview API as an Observable."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import aiohttp
import httpx
import reactivex
from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex import operators as ops

from ._aio import from_coroutine
from ._config import ClientConfig, Timeouts
from ._events import InterviewStream, open_session
from ._rest import RestTransport, validate
from ._resume import ReconnectPolicy
from ._sharing import REPLAY_ALL
from ._sse import DEFAULT_MAX_EVENT_BYTES
from ._transport import AiohttpTransport
from .errors import (
    ConfigurationError,
    InvalidArgumentError,
    PayloadError,
    StreamError,
)
from .models import (
    Attachment,
    Event,
    FeedbackResult,
    InterviewStart,
    InterviewStatus,
    InterviewSummary,
    MessageReply,
    SubmitResult,
    Transcript,
)

if TYPE_CHECKING:
    from .operators import Progress, Responder

__all__ = ["RxSuperMeClient"]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")


class RxSuperMeClient:
    """A client of the SuperMe interview API whose methods return Observables.

    Every REST method returns a cold Observable: each subscription sends one
    request, emits one typed value and completes; disposing it first cancels
    the request. Each Observable is also awaitable, inside any running loop
    (a notebook's included)::

        async with RxSuperMeClient() as client:
            started = await client.start_interview("role-backend-engineer")
            status = await client.get_interview_status(started.interview_id)

    Errors reach ``on_error`` (or raise from ``await``); see
    ``superme_rx.errors`` for the tree.

    Args:
        api_key: The key; else ``SUPERME_API_KEY``, else ``~/.superme/token``.
        base_url: The service; else ``SUPERME_BASE_URL``, else the vendor's.
        timeouts: Per-phase limits for REST requests.
        transport: An httpx transport to send REST requests through, for
            tests (``httpx.MockTransport``) or proxies; by default they share
            the event streams' aiohttp connection pool.

    Raises:
        ConfigurationError: No API key was found, or the base URL is not http(s).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeouts: Timeouts | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = ClientConfig.resolve(api_key, base_url, timeouts)
        self._session: aiohttp.ClientSession | None = None
        self._rest = RestTransport(
            self._config, transport or AiohttpTransport(self._get_session)
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._streams: dict[tuple[object, ...], InterviewStream] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"RxSuperMeClient(base_url={self._config.base_url!r})"

    @property
    def base_url(self) -> str:
        """The service this client talks to."""
        return self._config.base_url

    async def __aenter__(self) -> RxSuperMeClient:
        self._loop = asyncio.get_running_loop()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        if self._closed:
            return
        self._closed = True
        for stream in self._streams.values():
            stream.shared.fail(StreamError("the client was closed"))
        self._streams.clear()
        await self._rest.aclose()
        if self._session is not None:
            await self._session.close()
        logger.debug("client closed")

    def start_interview(self, role_id: str) -> Observable[InterviewStart]:
        """Start an interview for a role.

        Emits:
            The new interview's id and first status (``preparing``).

        Errors:
            ``NotFoundError`` for an unknown role, ``ApiError``,
            ``TransportError``, ``PayloadError``.
        """
        _require("role_id", role_id)
        return self._call(
            InterviewStart, "start_interview", "POST",
            "/api/v3/agent/interview/start", {"role_id": role_id},
        )  # fmt: skip

    def get_interview_status(self, interview_id: str) -> Observable[InterviewStatus]:
        """Fetch a snapshot of an interview: its status and stages.

        Errors:
            ``NotFoundError``, ``ApiError``, ``TransportError``, ``PayloadError``.
        """
        interview_id = _segment("interview_id", interview_id)
        return self._call(
            InterviewStatus, "get_interview_status", "GET",
            f"/api/v3/interview/{interview_id}/status",
        )  # fmt: skip

    def get_interview_transcript(self, interview_id: str) -> Observable[Transcript]:
        """Fetch the interview's transcript, stage by stage.

        Errors:
            ``NotFoundError``, ``ApiError``, ``TransportError``, ``PayloadError``.
        """
        interview_id = _segment("interview_id", interview_id)
        return self._call(
            Transcript, "get_interview_transcript", "GET",
            f"/api/v3/interview/{interview_id}/transcript",
        )  # fmt: skip

    def list_my_interviews(self) -> Observable[list[InterviewSummary]]:
        """List the interviews of the key's user; the one value is the list.

        Raises:
            ConfigurationError: At once, when the key has no ``user_id`` claim.

        Errors:
            ``AuthenticationError``, ``ApiError``, ``TransportError``,
            ``PayloadError``.
        """
        user_id = self._config.api_key.user_id()
        if user_id is None:
            raise ConfigurationError(
                "the API key carries no user_id claim, so the service cannot "
                "tell whose interviews to list; use a key issued to a user"
            )
        path = f"/api/v3/interview/by-user/{user_id}"

        async def fetch() -> list[InterviewSummary]:
            data = await self._rest.request("GET", path)
            items = data.get("interviews") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise PayloadError("list_my_interviews", "no 'interviews' list")
            return [validate(InterviewSummary, i, "list_my_interviews") for i in items]

        return self._observe(fetch)

    def send_interview_message(
        self,
        interview_id: str,
        message: str,
        *,
        stage_number: int | None = None,
        attachments: Sequence[Attachment] | None = None,
    ) -> Observable[MessageReply]:
        """Answer the interview while it awaits the candidate's input.

        The request is not idempotent: this Observable never retries it, and
        a ``retry()`` operator downstream sends the message again.

        Args:
            interview_id: The interview.
            message: The candidate's words; must not be blank.
            stage_number: The stage answered, sent only when given.
            attachments: Files already uploaded, sent only when given.

        Emits:
            The interviewer's reply and the next manual stage.

        Errors:
            ``ApiError`` (409 when the interview does not await input),
            ``TransportError``, ``PayloadError``.
        """
        interview_id = _segment("interview_id", interview_id)
        _require("message", message)
        body: dict[str, Any] = {"message": message}
        if stage_number is not None:
            body["stage_number"] = stage_number
        if attachments is not None:
            body["attachments"] = [a.model_dump(mode="json") for a in attachments]
        return self._call(
            MessageReply, "send_interview_message", "POST",
            f"/api/v3/agent/interview/{interview_id}/message", body,
        )  # fmt: skip

    def submit_interview(self, interview_id: str) -> Observable[SubmitResult]:
        """Submit a completed interview for scoring.

        Errors:
            ``ApiError`` (409 when submitted twice or not completed),
            ``NotFoundError``, ``TransportError``, ``PayloadError``.
        """
        interview_id = _segment("interview_id", interview_id)
        return self._call(
            SubmitResult, "submit_interview", "POST",
            f"/api/v3/interview/{interview_id}/submit",
        )  # fmt: skip

    def send_interview_feedback(
        self, interview_id: str, stage_number: int, rating: int, comments: str
    ) -> Observable[FeedbackResult]:
        """Rate one stage of an interview from 1 to 5, with comments.

        Raises:
            InvalidArgumentError: At once, for a rating outside 1 to 5.

        Errors:
            ``NotFoundError``, ``ApiError``, ``TransportError``, ``PayloadError``.
        """
        interview_id = _segment("interview_id", interview_id)
        if (
            isinstance(rating, bool)
            or not isinstance(rating, int)
            or not 1 <= rating <= 5
        ):
            raise InvalidArgumentError(
                f"rating must be an integer from 1 to 5, got {rating!r}"
            )
        body = {"stage_number": stage_number, "rating": rating, "comments": comments}
        return self._call(
            FeedbackResult, "send_interview_feedback", "POST",
            f"/api/v3/agent/interview/{interview_id}/feedback", body,
        )  # fmt: skip

    def stream_interview(
        self,
        interview_id: str,
        *,
        replay: int | bool = 0,
        reconnect: ReconnectPolicy | None = None,
        idle_timeout: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> Observable[Event]:
        """Follow the interview's events as one hot, shared Observable.

        The first subscriber opens the connection, later ones share it and
        see the events from then on (plus ``replay`` past ones), and the last
        one leaving closes it. Asking again for the same interview (with the
        same options) gives the same stream. After a terminal status event
        (``completed``, ``scoring``, ``scored``, ``failed``, ``withdrawn``),
        subscribers get that event, then ``on_completed``; the connection is
        never reopened. A dropped connection is resumed with ``Last-Event-ID``
        and no event is delivered twice. Subscribe on the loop's thread.

        Args:
            interview_id: The interview to follow.
            replay: Past events a late subscriber gets first: a count, or True
                for every event since the stream was first subscribed.
            reconnect: When and how to reconnect; ``NO_RECONNECT`` to never.
            idle_timeout: Seconds without a byte (keep-alives count) before the
                connection counts as dead and is reconnected; None waits forever.
            max_event_bytes: The largest event accepted; a larger one ends the
                stream with ``EventTooLarge``.

        Emits:
            ``StageChangeEvent``, ``TokenEvent``, ``MessageEvent``,
            ``StatusEvent``, and ``UnknownEvent`` for kinds this version does
            not know. Payloads that are not JSON objects are logged and skipped.

        Errors:
            ``AuthenticationError``, ``NotFoundError`` (never retried),
            ``EventTooLarge``, ``StreamError`` once reconnection gives up.
        """
        interview_id = _segment("interview_id", interview_id)
        self._check_open()
        policy = reconnect if reconnect is not None else ReconnectPolicy()
        key = (interview_id, policy, idle_timeout, max_event_bytes)

        stream = self._streams.get(key)
        if stream is None:
            stream = InterviewStream(
                self._config, self._get_session, interview_id,
                path=f"/api/v3/agent/interview/{interview_id}/stream",
                policy=policy, idle_timeout=idle_timeout,
                max_event_bytes=max_event_bytes,
            )  # fmt: skip
            self._streams[key] = stream

        count = REPLAY_ALL if replay is True else int(replay)
        if count < 0 and count != REPLAY_ALL:
            raise InvalidArgumentError(f"replay must be >= 0 or True, got {replay!r}")
        return stream.shared.observe(count)

    def poll_interview_status(
        self,
        interview_id: str,
        interval: float = 2.0,
        *,
        scheduler: abc.SchedulerBase | None = None,
    ) -> Observable[InterviewStatus]:
        """Poll the status, for places where the event stream cannot be used.

        --s1----s1----s2----s2----s3(terminal)|   (requests)
        --s1----------s2----------s3|             (emitted)

        One request at a time, ``interval`` seconds after the previous answer.

        Args:
            interview_id: The interview to watch.
            interval: Seconds between the end of one request and the next.
            scheduler: Where the waits run; the running loop's by default.

        Emits:
            Each snapshot that differs from the one before, completing after
            the first with a terminal status.

        Errors:
            Those of ``get_interview_status``; apply ``retry()`` to go on.
        """
        if interval <= 0:
            raise InvalidArgumentError(
                f"interval must be > 0 seconds, got {interval!r}"
            )
        one = self.get_interview_status(interview_id)
        pause = cast(
            Observable[InterviewStatus],
            reactivex.timer(interval, scheduler=scheduler).pipe(ops.ignore_elements()),
        )
        cycle: Observable[InterviewStatus] = reactivex.concat(one, pause).pipe(
            ops.repeat()
        )
        changes: Observable[InterviewStatus] = cycle.pipe(ops.distinct_until_changed())
        return changes.pipe(ops.take_while(_unfinished, inclusive=True))

    def run_interview(
        self, role_id: str, responder: Responder, **options: Any
    ) -> Observable[Progress]:
        """Run a whole interview: start, follow, auto-reply, submit, score, fetch.

        One subscription runs one interview; disposing it cancels every step.
        Merge several, or use ``superme_rx.operators.run_interviews``, to run
        many at once.

        Args:
            role_id: The role to interview for.
            responder: Gives each reply (text, None to skip, an awaitable or
                an Observable); see ``superme_rx.operators.auto_reply``.
            **options: Those of ``superme_rx.operators.run_interview``
                (``timeout``, ``max_replies``, ``dry_run``, ``poll_interval``...).

        Emits:
            ``Progress`` values, the last one carrying the final transcript.
        """
        from .operators import run_interview

        _require("role_id", role_id)
        return run_interview(self, role_id, responder, **options)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = open_session()
        return self._session

    def _call(
        self,
        model: type[_M],
        endpoint: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
    ) -> Observable[_M]:
        async def fetch() -> _M:
            data = await self._rest.request(method, path, body)
            return validate(model, data, endpoint)

        return self._observe(fetch)

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this client is closed; open a new one")

    def _observe(
        self, factory: Callable[[], Coroutine[Any, Any, _T]]
    ) -> Observable[_T]:
        self._check_open()
        return from_coroutine(factory, home_loop=lambda: self._loop)


def _unfinished(status: InterviewStatus) -> bool:
    return not status.is_terminal


def _require(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {value!r}")


def _segment(name: str, value: str) -> str:
    """Check an id and quote it as one path segment ("a/b" stays one segment)."""
    _require(name, value)
    return urllib.parse.quote(value, safe="")
