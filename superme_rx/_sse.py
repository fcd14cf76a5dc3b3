"""An incremental decoder for Server-Sent Events.

Written from the WHATWG HTML Living Standard, section 9.2 "Server-sent events":
9.2.5 gives the stream's grammar, 9.2.6 how to interpret it and dispatch events.
Section numbers in comments refer to that text.

Bytes go in as they arrive, in chunks split anywhere; complete events come out.
Where a chunk ends never matters: a UTF-8 character, a CRLF pair or a byte-order
mark cut in two decodes as if it had arrived whole.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NoReturn

from superme_rx.errors import InvalidArgumentError, StreamError

__all__ = ["EventBatch", "EventTooLarge", "SSEDecoder", "ServerSentEvent"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_EVENT_BYTES = 1 << 20
"""The default bound on one line or one event's data buffer: 1 MiB."""

_BOM = codecs.BOM_UTF8
_utf8_decode = codecs.utf_8_decode

# NOTE: 9.2.6 ends lines at CRLF, LF and CR only. str.splitlines also breaks at
# these characters, so it may split only text that holds none of them.
_OTHER_LINE_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event, as section 9.2.6 builds it.

    Attributes:
        data: The data buffer without its final line feed; the values of
            several ``data`` lines are joined by ``"\\n"``.
        event: The event type, ``"message"`` when the stream named none.
        id: The last event ID at dispatch, ``""`` if the stream never set one or
            reset it with an empty ``id`` field.
    """

    data: str
    event: str = "message"
    id: str = ""


# A frozen dataclass's __init__ stores each field through object.__setattr__,
# which measured at a third of the decoder's time per event; the slot
# descriptors store the same values on a fresh object directly.
_new_event = object.__new__
_set_data = vars(ServerSentEvent)["data"].__set__
_set_type = vars(ServerSentEvent)["event"].__set__
_set_id = vars(ServerSentEvent)["id"].__set__


def _make_event(data: str, event_type: str, event_id: str) -> ServerSentEvent:
    event = _new_event(ServerSentEvent)
    _set_data(event, data)
    _set_type(event, event_type)
    _set_id(event, event_id)
    return event


@dataclass(slots=True)
class EventBatch:
    """Dispatched events kept field by field: one list per field, in order.

    The event stream reads its events by field, ids to resume and data to
    type them, so its decoder need not build a ``ServerSentEvent`` for each:
    appending to three lists took about a quarter less of the decoder's time
    per event than building the object.

    Attributes:
        data: Each event's data, as ``ServerSentEvent.data``.
        event: Each event's type, as ``ServerSentEvent.event``.
        id: Each event's last event ID, as ``ServerSentEvent.id``.
    """

    data: list[str] = field(default_factory=list)
    event: list[str] = field(default_factory=list)
    id: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, events: Iterable[ServerSentEvent]) -> EventBatch:
        """Gather ``events`` into a batch."""
        batch = cls()
        for event in events:
            batch.data.append(event.data)
            batch.event.append(event.event)
            batch.id.append(event.id)
        return batch

    def events(self) -> list[ServerSentEvent]:
        """The events as ``ServerSentEvent`` objects."""
        return list(map(_make_event, self.data, self.event, self.id))

    def since(self, start: int) -> EventBatch:
        """The events from index ``start`` on."""
        if start == 0:
            return self
        return EventBatch(self.data[start:], self.event[start:], self.id[start:])


class EventTooLarge(StreamError):
    """A line or one event's data grew past ``max_event_bytes``.

    The decoder has dropped all pending input, as ``close`` does; close the
    connection, or reconnect with a larger limit.

    Attributes:
        limit: The ``max_event_bytes`` that was exceeded.
        last_event_id: The last event ID dispatched before the refused event.
        events: Events the same ``feed`` call completed before the refused one;
            deliver them first to lose nothing.
        batch: The same events as an ``EventBatch``.
    """

    def __init__(
        self,
        limit: int,
        last_event_id: str,
        events: list[ServerSentEvent],
        batch: EventBatch | None = None,
    ) -> None:
        self.limit = limit
        self.last_event_id = last_event_id
        self.events = events
        self.batch = EventBatch.of(events) if batch is None else batch
        super().__init__(
            f"an event stream line or event data exceeded {limit} bytes after "
            f"event id {last_event_id!r}; if the server means to send events "
            "this large, pass a larger max_event_bytes to SSEDecoder"
        )


class SSEDecoder:
    """Turn the bytes of one event stream into events, chunk by chunk.

    Example:
        >>> decoder = SSEDecoder()
        >>> decoder.feed(b"id: 7\\ndata: hi\\n\\ndata: unfinish")
        [ServerSentEvent(data='hi', event='message', id='7')]
        >>> decoder.close()  # the unfinished event is dropped, as 9.2.6 says

    Args:
        max_event_bytes: The most UTF-8 bytes one line, or one event's data
            buffer (its ``data`` values plus a line feed each), may take. Past
            it ``feed`` raises ``EventTooLarge``, so no more than about this
            much plus one chunk is ever held.

    Attributes:
        max_event_bytes: The limit given.
        retry: The reconnection time in milliseconds from the last ``retry``
            field of ASCII digits only, or None before any.
        retry_changed: Whether the last ``feed`` call changed ``retry``.
        bytes_seen: How many bytes ``feed`` was given since construction.

    Raises:
        InvalidArgumentError: ``max_event_bytes`` is below 1.
    """

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        if max_event_bytes < 1:
            raise InvalidArgumentError(
                f"max_event_bytes must be at least 1, got {max_event_bytes}"
            )
        self.max_event_bytes = max_event_bytes
        self._last_event_id = ""
        self.retry: int | None = None
        self.retry_changed = False
        self.bytes_seen = 0
        # Bytes of a character, or of a leading BOM, that the last chunk cut.
        self._pending = b""
        self._at_start = True
        self._data: list[str] = []
        self._data_size = 0
        self._event_type = ""
        self._id_buffer = ""
        self._tail = ""
        self._skip_lf = False

    @property
    def last_event_id(self) -> str:
        """The last event ID string of 9.2.6, to send as ``Last-Event-ID``.

        Each dispatch, even one without data, copies the ID buffer here; it is
        kept across events and ``close``. Setting it, before the first ``feed``
        of a resumed stream, also sets the ID buffer, so events without an
        ``id`` line carry it until the server sends another.
        """
        return self._last_event_id

    @last_event_id.setter
    def last_event_id(self, value: str) -> None:
        self._last_event_id = self._id_buffer = value

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode the next chunk of the stream.

        Args:
            chunk: The next bytes as received, of any length.

        Returns:
            The events this chunk completed, in stream order, maybe none.

        Raises:
            EventTooLarge: A line or an event's data passed ``max_event_bytes``.
        """
        batch = self.feed_batch(chunk)
        return batch.events() if batch.data else []

    def feed_batch(self, chunk: bytes) -> EventBatch:
        """Decode the next chunk of the stream into a batch, as ``feed`` does.

        Raises:
            EventTooLarge: A line or an event's data passed ``max_event_bytes``.
        """
        self.bytes_seen += len(chunk)
        self.retry_changed = False
        text = self._decode(chunk)
        if self._skip_lf and text:
            # NOTE: the last chunk ended in CR, which ended its line already; an
            # LF now completes that CRLF pair and is no empty line (9.2.6).
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        batch = EventBatch()
        if not text:
            return batch

        self._skip_lf = text[-1] == "\r"
        tail = self._tail
        lines = _split_lines(text)
        if tail:
            lines[0] = tail + lines[0]
        self._tail = lines.pop()

        # No line or data buffer outgrows the text it is built from, so only a
        # chunk too large for what is left of the limit needs checking by line.
        room = self.max_event_bytes - self._data_size - _utf8_len(tail)
        if len(text) * 4 <= room or _utf8_len(text) <= room:
            self._parse(lines, batch)
        elif lines:
            self._parse_bounded(lines, batch)
        if _utf8_len(self._tail) > self.max_event_bytes:
            self._refuse(batch)
        return batch

    def close(self) -> None:
        """End the stream: drop any unfinished event and start afresh.

        Section 9.2.6 discards pending data at the end of the stream, so an
        event not yet followed by a blank line is never dispatched. The next
        ``feed`` starts a new stream; ``last_event_id`` and ``retry`` are kept
        for reconnecting.
        """
        if self._tail or self._data:
            logger.debug("dropped an unterminated event at the end of the stream")
        self._pending = b""
        self._at_start = True
        self._data = []
        self._data_size = 0
        self._event_type = ""
        # The id of an event that never dispatched must not reach the next one.
        self._id_buffer = self._last_event_id
        self._tail = ""
        self._skip_lf = False

    def _decode(self, chunk: bytes) -> str:
        """Decode the next bytes as UTF-8, keeping a cut character for later.

        9.2.5 allows one BOM before the stream, and 9.2.6 decodes with "UTF-8
        decode", which drops a leading BOM and turns each bad sequence into
        U+FFFD. This is the incremental "utf-8-sig" decoder with "replace"
        inlined: it ran for every read of every stream, and its Python layers
        cost more than the decoding itself.
        """
        if self._pending:
            chunk = self._pending + chunk
            self._pending = b""
        if self._at_start:
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._pending = chunk
                return ""
            self._at_start = False
            if chunk[:3] == _BOM:
                chunk = chunk[3:]
        text, used = _utf8_decode(chunk, "replace", False)
        if used < len(chunk):
            self._pending = chunk[used:]
        return text

    def _refuse(self, batch: EventBatch) -> NoReturn:
        """Drop all pending input and raise ``EventTooLarge``."""
        self.close()
        logger.warning("refused an event over %d bytes", self.max_event_bytes)
        limit, last_id = self.max_event_bytes, self.last_event_id
        raise EventTooLarge(limit, last_id, batch.events(), batch)

    def _parse_bounded(self, lines: list[str], batch: EventBatch) -> None:
        """Parse lines that may hold an oversized line or event, checking sizes.

        Runs of lines that fit together in what is left of the limit are parsed
        at once; a line that does not is parsed alone, its size checked before
        and the data buffer's after.
        """
        limit = self.max_event_bytes
        start, count = 0, len(lines)
        while start < count:
            room = limit - self._data_size
            stop = start
            while stop < count:
                room -= _utf8_len(lines[stop]) + 1
                if room < 0:
                    break
                stop += 1
            if stop == start:
                if _utf8_len(lines[start]) > limit:
                    self._refuse(batch)
                stop += 1
            self._parse(lines[start:stop], batch)
            if self._data_size > limit:
                self._refuse(batch)
            start = stop

    def _parse(self, lines: list[str], batch: EventBatch) -> None:
        """Interpret complete lines as 9.2.6 says, the common shapes first.

        Dispatched events go to the end of ``batch``.
        """
        data = known = self._data
        known_count = len(known)
        add_data, add_type, add_id = (
            batch.data.append, batch.event.append, batch.id.append
        )  # fmt: skip
        event_type = self._event_type
        id_buffer = self._id_buffer
        last_event_id = self._last_event_id
        for line in lines:
            if not line:
                # A blank line dispatches (9.2.6 "dispatch the event"); even
                # with no data it sets the last event ID and clears the type.
                last_event_id = id_buffer
                if data:
                    # Joining by LF leaves out the buffer's final LF (9.2.6).
                    add_data("\n".join(data))
                    add_type(event_type or "message")
                    add_id(id_buffer)
                    data = []
                event_type = ""
            elif line[:6] == "data: ":
                data.append(line[6:])
            elif line[:4] == "id: ":
                if "\0" not in line:
                    id_buffer = line[4:]
            elif line[:7] == "event: ":
                event_type = line[7:]
            elif line[0] == ":":
                continue
            else:
                name, _, value = line.partition(":")
                # NOTE: one space after the colon is syntax, any more is value.
                if value[:1] == " ":
                    value = value[1:]
                if name == "data":
                    data.append(value)
                elif name == "event":
                    event_type = value
                elif name == "id":
                    # NOTE: 9.2.6 ignores an id holding NULL; an empty one resets.
                    if "\0" not in value:
                        id_buffer = value
                elif name == "retry":
                    self._set_retry(value)
        # Size only what was added; new lists hold just what this call parsed.
        if data is known:
            self._data_size += _data_size(data[known_count:])
        else:
            self._data_size = _data_size(data)
        self._data = data
        self._event_type = event_type
        self._id_buffer = id_buffer
        self._last_event_id = last_event_id

    def _set_retry(self, value: str) -> None:
        """Take a ``retry`` value made of ASCII digits only; ignore others."""
        # NOTE: str.isdigit alone would also take digits of other scripts.
        if not (value.isascii() and value.isdigit()):
            logger.debug("ignored a retry field that is not ASCII digits")
            return
        try:
            retry = int(value)
        except ValueError:
            # Past sys.get_int_max_str_digits(); no real delay is that long.
            logger.debug("ignored a retry field of %d digits", len(value))
            return
        if retry != self.retry:
            self.retry = retry
            self.retry_changed = True


def _split_lines(text: str) -> list[str]:
    """Split at CRLF, LF and CR (9.2.6); the last item is the unended rest."""
    if "\r" not in text:
        return text.split("\n")
    if not any(mark in text for mark in _OTHER_LINE_BREAKS):
        # One pass, where normalizing CRLF and CR first would take two.
        lines = text.splitlines()
        if text[-1] in "\r\n":
            lines.append("")
        return lines
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _utf8_len(text: str) -> int:
    """Count the UTF-8 bytes of ``text``; ASCII text needs no encoding."""
    return len(text) if text.isascii() else len(text.encode())


def _data_size(values: list[str]) -> int:
    """Count the UTF-8 bytes ``data`` values take in the data buffer."""
    return len(values) + _utf8_len("".join(values)) if values else 0
