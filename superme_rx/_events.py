"""The interview's event stream: aiohttp bytes, our decoder, typed events.

One ``InterviewStream`` per interview and client: a cold connection
(``_connection``) chained into a resumable stream (``_resume``), decoded into
typed events, and shared hot with reference counting (``_sharing``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
import reactivex
from pydantic import ValidationError
from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ._aio import cancel
from ._config import ClientConfig
from ._rest import api_error
from ._resume import Batch, ReconnectPolicy, ResumeState, resumable
from ._sharing import SharedSource
from ._sse import EventTooLarge, SSEDecoder
from .errors import StreamError, TransportError
from .models import (
    DATA_KEY,
    EVENT_MODELS,
    TERMINAL_STATUSES,
    Event,
    StatusEvent,
)

__all__ = ["InterviewStream", "open_session"]

logger = logging.getLogger(__name__)

_ERROR_BODY_LIMIT = 4096
_READ_SIZE = 64 * 1024
_SLICE = 16 * 1024
_Validate = Callable[[str], Event]
_Guess = tuple[str, _Validate | None]
"""The kind an event's text names at its start, and that kind's validator."""

_NO_GUESS: _Guess = ("", None)
_GUESSES: dict[str, _Guess] = {
    start: (kind, model.__pydantic_validator__.validate_json)
    for kind, model in EVENT_MODELS.items()
    for start in (f'{{"event":"{kind}"', f'{{"event": "{kind}"')
}


def _guess_kind(data: str) -> _Guess:
    """Read the kind off an event's text when the text starts with it."""
    end = data.find('"', 11) + 1
    return _GUESSES.get(data[:end], _NO_GUESS) if end else _NO_GUESS


def open_session() -> aiohttp.ClientSession:
    """Create the session that carries every stream of one client.

    Must run inside the loop that will use it (aiohttp binds to it). No total
    timeout: aiohttp's default of five minutes would cut long interviews.
    No connection limit: each open stream holds one connection for its life.
    """
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None),
        auto_decompress=False,
    )


class InterviewStream:
    """The shared, resumable, typed event stream of one interview."""

    def __init__(
        self,
        config: ClientConfig,
        session: Any,
        interview_id: str,
        *,
        path: str,
        policy: ReconnectPolicy,
        idle_timeout: float | None,
        max_event_bytes: int,
        rng: random.Random | None = None,
    ) -> None:
        self.interview_id = interview_id
        self._config = config
        self._session_getter = session
        self._path = path
        self._idle_timeout = idle_timeout
        self._max_event_bytes = max_event_bytes
        name = f"stream {interview_id}"
        raw = resumable(self._connection, policy, self._decode, name=name, rng=rng)
        self.shared: SharedSource[Event] = SharedSource(raw, name)

    def _decode(self, batch: Batch) -> tuple[list[Event], bool]:
        events, final = decode_batch(batch, self.interview_id)
        if events and logger.isEnabledFor(logging.DEBUG):
            for event in events:
                logger.debug(
                    "interview %s: event id=%r kind=%s",
                    self.interview_id, event.id, event.kind,
                )  # fmt: skip
        return events, final

    def _connection(self, state: ResumeState) -> Observable[Batch]:
        def subscribe(
            observer: abc.ObserverBase[Batch],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            task = asyncio.get_running_loop().create_task(self._read(state, observer))

            def on_done(done: asyncio.Task[None]) -> None:
                if done.cancelled():
                    return
                error = done.exception()
                if error is None:
                    observer.on_completed()
                else:
                    observer.on_error(error)  # type: ignore[arg-type]

            task.add_done_callback(on_done)
            return Disposable(lambda: cancel(task))

        return reactivex.create(subscribe)

    async def _read(
        self, state: ResumeState, observer: abc.ObserverBase[Batch]
    ) -> None:
        session: aiohttp.ClientSession = self._session_getter()
        url = self._config.base_url + self._path
        headers = {
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
            "Cache-Control": "no-cache",
            "Authorization": f"Bearer {self._config.api_key.reveal()}",
        }
        if state.last_event_id:
            headers["Last-Event-ID"] = state.last_event_id
        timeouts = self._config.timeouts
        timeout = aiohttp.ClientTimeout(
            total=None, connect=timeouts.connect, sock_connect=timeouts.connect,
            sock_read=self._idle_timeout,
        )  # fmt: skip

        try:
            async with session.get(url, headers=headers, timeout=timeout) as response:
                logger.info("GET %s -> %d (stream open)", self._path, response.status)
                await self._check(response, state)
                if state.no_content:
                    return
                await self._pump(response, state, observer)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(
                "GET", self._path, str(exc), request_sent=False
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = (
                f"no bytes for {self._idle_timeout} s (idle timeout)"
                if isinstance(exc, TimeoutError)
                else f"{type(exc).__name__}: {exc}"
            )
            raise TransportError("GET", self._path, reason) from exc
        finally:
            logger.info("stream %s closed", self.interview_id)

    async def _check(
        self, response: aiohttp.ClientResponse, state: ResumeState
    ) -> None:
        if response.status == 204:
            state.no_content = True
            return
        if response.status != 200:
            body = await response.content.read(_ERROR_BODY_LIMIT)
            raise api_error(
                "GET", self._path, response.status, body,
                response.headers.get("Retry-After"),
            )  # fmt: skip

        # NOTE: the standard fails the connection on any other MIME type
        # (HTML 9.2.3); a proxy's HTML error page must not be parsed as events.
        if response.content_type != "text/event-stream":
            raise StreamError(
                f"GET {self._path} answered {response.content_type!r}, not an "
                "event stream; check the base URL or a proxy in between"
            )

    async def _pump(
        self,
        response: aiohttp.ClientResponse,
        state: ResumeState,
        observer: abc.ObserverBase[Batch],
    ) -> None:
        _shrink_reads(response)
        decoder = SSEDecoder(max_event_bytes=self._max_event_bytes)
        # NOTE: the last event ID survives reconnection (HTML 9.2.3).
        decoder.last_event_id = state.last_event_id
        on_next = observer.on_next
        decode = decoder.feed_batch

        def feed(chunk: bytes) -> None:
            # uvloop hands over reads of several hundred KiB; decoding and
            # delivering 16 KiB slices keeps each batch, and the garbage it
            # leaves, small: one long stream ran about 1.7 times as fast on
            # uvloop, and somewhat faster on asyncio too.
            pieces = (
                (chunk,) if len(chunk) <= _SLICE
                else (chunk[i : i + _SLICE] for i in range(0, len(chunk), _SLICE))
            )  # fmt: skip
            for piece in pieces:
                try:
                    batch = decode(piece)
                except EventTooLarge as exc:
                    if exc.batch.data:
                        on_next(exc.batch)
                    raise
                if batch.data:
                    on_next(batch)
            if decoder.retry is not None:
                state.retry_ms = decoder.retry

        reader = response.content
        if _PUSH and _push_reads(reader, feed):
            try:
                await reader.wait_eof()
            finally:
                _SINKS.pop(reader, None)
        else:
            async for chunk in reader.iter_any():
                feed(chunk)
        decoder.close()


_PUSH = True
"""Whether streams decode in the protocol's callback (see ``_push_reads``);
tests turn it off to cover the reading task's loop, the fallback."""

_SINKS: dict[aiohttp.StreamReader, Callable[[bytes], None]] = {}
"""The decoding callback of each response body read in push mode."""


class _PushedReader(aiohttp.StreamReader):
    """A response body that hands each piece to its sink instead of buffering.

    aiohttp's body reader buffers what the connection receives and wakes the
    reading task through a future; for a stream of small events that wake-up
    (future, callback, task step, iterator) cost as much as decoding the
    event. Handing the bytes on where they arrive skips it. The class adds
    no slots, so a plain ``StreamReader`` can take it on in place.
    """

    __slots__ = ()

    def feed_data(self, data: bytes, size: int = 0) -> bool:
        """Decode ``data`` now, or buffer it as usual once the sink has gone."""
        sink = _SINKS.get(self)
        if sink is None:
            return super().feed_data(data, size)
        if data:
            try:
                sink(data)
            except Exception as exc:
                # NOTE: never into aiohttp's parser: the reading task gets it.
                del _SINKS[self]
                self.set_exception(exc)
        return False


def _push_reads(reader: aiohttp.StreamReader, feed: Callable[[bytes], None]) -> bool:
    """Make ``reader`` call ``feed`` with each piece of body as it arrives.

    What is buffered already is fed first. The reading task then only waits
    for the end of the body (``wait_eof``), which also raises the
    connection's errors and what ``feed`` raised. Returns False, leaving the
    reader as it was, for a reader of another kind (an empty body, or an
    aiohttp whose reader is laid out otherwise).
    """
    if type(reader) is not aiohttp.StreamReader:
        return False
    try:
        reader.__class__ = _PushedReader
    except TypeError:
        logger.debug("aiohttp's StreamReader cannot be extended; reading by task")
        return False

    buffered = reader.read_nowait()
    if buffered:
        feed(buffered)
    _SINKS[reader] = feed
    return True


def _shrink_reads(response: aiohttp.ClientResponse) -> None:
    """Make asyncio's socket transport read into 64 KiB, not 256 KiB, buffers.

    The default selector transport asks ``recv`` for ``max_size`` (256 KiB)
    bytes on every read, and allocating and shrinking a buffer that large costs
    more than decoding the few events a read of an interview stream carries.
    uvloop reuses one buffer and has no such attribute, so this changes nothing
    there.
    """
    connection = response.connection
    transport = connection.transport if connection is not None else None
    size = getattr(transport, "max_size", None)
    if isinstance(size, int):
        transport.max_size = min(size, _READ_SIZE)  # type: ignore[union-attr]


def decode_batch(batch: Batch, interview_id: str) -> tuple[list[Event], bool]:
    """Type the events of one read, skipping malformed ones, up to a terminal one.

    Returns the typed events and whether the last of them is a terminal
    status; events after that one are left out.

    Events are validated by a model straight from their text (pydantic parses
    it), and ``raw`` waits until asked for. Events of one kind come in runs (a
    message's tokens), so each is tried with the model of the event before,
    and its validated kind confirms the choice; otherwise the kind its text
    names at its start, as the service writes them, picks the model. Anything
    else takes ``decode_event``, which parses first, dispatches on the parsed
    kind and logs what it skips. This loop runs for every event of every
    stream: each step in it showed in the profile.
    """
    events: list[Event] = []
    append = events.append
    data_key = DATA_KEY
    kind, validate = _NO_GUESS

    for data, sse_id in zip(batch.data, batch.id, strict=True):
        event: Event | None = None
        if validate is not None:
            try:
                event = validate(data)
            except ValidationError:
                event = None
        if event is None or event.__dict__["kind"] != kind:
            tried = validate
            kind, validate = _guess_kind(data)
            # The model just tried, named again, would only fail again.
            event = None if validate is tried else _validate_guess(validate, kind, data)
        if event is None:
            event = decode_event(data, sse_id, interview_id)
            if event is None:
                continue
            append(event)
            if _is_terminal(event):
                return events, True
            continue

        fields = event.__dict__
        fields["id"] = sse_id or None
        fields[data_key] = data
        append(event)
        if kind == "status" and fields["status"] in TERMINAL_STATUSES:
            return events, True

    return events, False


def _validate_guess(validate: _Validate | None, kind: str, data: str) -> Event | None:
    """Validate ``data`` by the model its start names, if it is of that kind."""
    if validate is None:
        return None
    try:
        event = validate(data)
    except ValidationError:
        return None
    return event if event.kind == kind else None


def decode_event(data: str, sse_id: str, interview_id: str) -> Event | None:
    """Type one event's data; log and return None when it is malformed."""
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        logger.warning(
            "interview %s: skipped event id=%r: data is not JSON (%d chars)",
            interview_id, sse_id, len(data),
        )  # fmt: skip
        return None

    if not isinstance(payload, dict):
        logger.warning(
            "interview %s: skipped event id=%r: data is JSON %s, not an object",
            interview_id, sse_id, type(payload).__name__,
        )  # fmt: skip
        return None

    try:
        event = Event.from_payload(payload, sse_id or None)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        logger.warning(
            "interview %s: skipped event id=%r of kind %r: invalid %s",
            interview_id, sse_id, payload.get("event"), fields,
        )  # fmt: skip
        return None

    return event


def _is_terminal(event: Event) -> bool:
    return isinstance(event, StatusEvent) and event.is_terminal
