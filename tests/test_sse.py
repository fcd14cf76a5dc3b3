"""Tests for the SSE decoder, from WHATWG HTML section 9.2 and its examples.

Every stream is decoded whole, one byte at a time (with empty chunks between),
split in two at every position and, when short, in three at every pair of
positions; all ways must give the same events, errors and final state. Each is
also decoded with a limit just large enough for it, which takes the decoder's
size-checking path without tripping it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator

import pytest

from superme_rx._sse import EventBatch, EventTooLarge, ServerSentEvent, SSEDecoder
from superme_rx.errors import InvalidArgumentError, StreamError

E = ServerSentEvent
Outcome = tuple[list[ServerSentEvent], bool, str, int | None]

BOM = b"\xef\xbb\xbf"
MIB = 1 << 20


def _run(chunks: Iterable[bytes], max_event_bytes: int) -> Outcome:
    """Feed ``chunks`` then close; give events, refusal, last id and retry."""
    decoder = SSEDecoder(max_event_bytes)
    events: list[ServerSentEvent] = []
    refused = False
    try:
        for chunk in chunks:
            events += decoder.feed(chunk)
    except EventTooLarge as error:
        events += error.events
        refused = True
    decoder.close()
    return events, refused, decoder.last_event_id, decoder.retry


def _chunkings(stream: bytes) -> Iterator[list[bytes]]:
    """Yield the ways of cutting ``stream`` that every case is fed in."""
    yield [stream]
    yield [stream[i : i + 1] for i in range(len(stream))]
    yield [part for i in range(len(stream)) for part in (b"", stream[i : i + 1])]
    for i in range(len(stream) + 1):
        yield [stream[:i], stream[i:]]
    if len(stream) <= 64:
        for i in range(len(stream) + 1):
            for j in range(i, len(stream) + 1):
                yield [stream[:i], stream[i:j], stream[j:]]


def _tight_limit(stream: bytes) -> int:
    """Give the largest event's bytes: no line or data buffer can be larger."""
    text = stream.decode("utf-8-sig", errors="replace")
    largest = block = 0
    for line in re.split("\r\n|\r|\n", text):
        block = block + len(line.encode()) + 1 if line else 0
        largest = max(largest, block)
    return max(largest, 1)


def decode_all_ways(stream: bytes, max_event_bytes: int = MIB) -> Outcome:
    """Decode ``stream`` in every chunking, check they agree, return the result."""
    expected = _run([stream], max_event_bytes)
    for chunks in _chunkings(stream):
        assert _run(chunks, max_event_bytes) == expected, chunks
    if not expected[1] and max_event_bytes == MIB:
        tight = _tight_limit(stream)
        for chunks in _chunkings(stream):
            assert _run(chunks, tight) == expected, (tight, chunks)
    return expected


def events_of(stream: bytes) -> list[ServerSentEvent]:
    """Decode ``stream`` all ways and give only its events."""
    return decode_all_ways(stream)[0]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(
            b"data: YHOO\ndata: +2\ndata: 10\n\n",
            [E("YHOO\n+2\n10")],
            id="stock-ticker",
        ),
        pytest.param(
            b": test stream\n\ndata: first event\nid: 1\n\n"
            b"data:second event\nid\n\ndata:  third event\n\n",
            [E("first event", id="1"), E("second event"), E(" third event")],
            id="four-blocks",
        ),
        pytest.param(
            b"data\n\ndata\ndata\n\ndata:",
            [E(""), E("\n")],
            id="empty-data-and-unterminated-last",
        ),
        pytest.param(
            b"data:test\n\ndata: test\n\n",
            [E("test"), E("test")],
            id="space-after-colon-optional",
        ),
        pytest.param(
            b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"
            b"event: add\ndata: 113411\n\n",
            [E("73857293", "add"), E("2153", "remove"), E("113411", "add")],
            id="event-types",
        ),
    ],
)
def test_decoder_decodes_spec_examples(
    stream: bytes, expected: list[ServerSentEvent]
) -> None:
    """The examples of section 9.2 decode to the events the standard names."""
    assert events_of(stream) == expected


def test_decoder_follows_spec_last_event_id_example() -> None:
    """In the four-block example the last ID becomes "1", then empty again."""
    decoder = SSEDecoder()

    decoder.feed(b": test stream\n\ndata: first event\nid: 1\n\n")
    assert decoder.last_event_id == "1"
    decoder.feed(b"data:second event\nid\n\n")
    assert decoder.last_event_id == ""


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(b"data: a\ndata: b\n\n", [E("a\nb")], id="lf"),
        pytest.param(b"data: a\r\ndata: b\r\n\r\n", [E("a\nb")], id="crlf"),
        pytest.param(b"data: a\rdata: b\r\r", [E("a\nb")], id="cr"),
        pytest.param(b"data: a\r\ndata: b\rdata: c\n\r\n", [E("a\nb\nc")], id="mixed"),
        pytest.param(b"data: a\r\rdata: b\r\r", [E("a"), E("b")], id="cr-cr-blank"),
        pytest.param(b"data: a\n\rdata: b\n\n", [E("a"), E("b")], id="lf-cr-blank"),
        pytest.param(b"data: a\r\n\r\n\r\n", [E("a")], id="extra-blank-lines"),
        pytest.param(b"\n\n\r\n\r\r", [], id="only-blank-lines"),
        pytest.param(
            b"data: a\x0bb\x0cc\x1cd\xc2\x85e\xe2\x80\xa8f\xe2\x80\xa9g\n\n",
            [E("a\x0bb\x0cc\x1cd\x85e\u2028f\u2029g")],
            id="other-breaks-in-lf-stream",
        ),
        pytest.param(
            b"data: a\x0bb\x1dc\x1ed\xc2\x85e\xe2\x80\xa8f\r\n\r\n",
            [E("a\x0bb\x1dc\x1ed\x85e\u2028f")],
            id="other-breaks-in-crlf-stream",
        ),
        pytest.param(
            b"data: \xc3\xa9\r\ndata: \xe2\x82\xac\r\n\r\n",
            [E("\xe9\n\u20ac")],
            id="non-ascii-crlf",
        ),
    ],
)
def test_decoder_ends_lines_at_crlf_lf_and_cr(
    stream: bytes, expected: list[ServerSentEvent]
) -> None:
    """CRLF, LF and CR each end one line; no other character ends a line."""
    assert events_of(stream) == expected


def test_decoder_crlf_split_between_chunks_is_one_line_ending() -> None:
    """A CR ending one chunk and an LF opening the next end a single line."""
    decoder = SSEDecoder()

    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r") == [E("a\nb")]
    assert decoder.feed(b"\ndata: c\r\n\r\n") == [E("c")]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(BOM + b"data: a\n\n", [E("a")], id="leading-bom-stripped"),
        pytest.param(BOM + BOM + b"data: a\n\n", [], id="second-bom-kept"),
        pytest.param(
            BOM + b"data: " + BOM + b"a\n\n", [E("\ufeffa")], id="bom-in-value-kept"
        ),
        pytest.param(
            b"data: a\n\n" + BOM + b"data: b\n\n", [E("a")], id="bom-mid-stream-kept"
        ),
        pytest.param(b"\xef\xbbdata: a\n\n", [], id="partial-bom-is-invalid"),
        pytest.param(BOM + b"\n\n", [], id="bom-only"),
    ],
)
def test_decoder_strips_only_a_leading_bom(
    stream: bytes, expected: list[ServerSentEvent]
) -> None:
    """Only one BOM at the very start is dropped; any other is a character."""
    assert events_of(stream) == expected


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(
            b"data: \xe2\x82\xac\xf0\x9f\x99\x82\n\n",
            "\u20ac\U0001f642",
            id="multibyte",
        ),
        pytest.param(b"data: a\xffb\n\n", "a\ufffdb", id="invalid-byte"),
        pytest.param(b"data: a\xe2\x82\n\n", "a\ufffd", id="truncated-at-lf"),
        pytest.param(b"data: \xf0\x9f\x99a\n\n", "\ufffda", id="truncated-4-byte"),
        pytest.param(b"data: \xc0\xaf\n\n", "\ufffd\ufffd", id="overlong"),
        pytest.param(b"data: \xed\xa0\x80\n\n", "\ufffd\ufffd\ufffd", id="surrogate"),
        pytest.param(b"data: \x80\x80z\n\n", "\ufffd\ufffdz", id="lone-continuations"),
        pytest.param(b"data: \xe2\x82\r\n\r\n", "\ufffd", id="truncated-at-crlf"),
    ],
)
def test_decoder_replaces_invalid_utf8(stream: bytes, expected: str) -> None:
    """Text is UTF-8; each bad sequence becomes U+FFFD wherever chunks split."""
    assert events_of(stream) == [E(expected)]


def test_decoder_truncated_sequence_at_end_is_dropped() -> None:
    """Bytes of an unfinished character at the end belong to no dispatched event."""
    assert events_of(b"data: a\n\ndata: \xe2\x82") == [E("a")]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        pytest.param(b": hello\ndata: a\n:\n\n", [E("a")], id="comments-skipped"),
        pytest.param(b": only a comment\n\n", [], id="comment-block-fires-nothing"),
        pytest.param(b":data: a\n\n", [], id="comment-looking-like-field"),
        pytest.param(b"data:  a\n\n", [E(" a")], id="one-space-removed"),
        pytest.param(b"data:\ta\n\n", [E("\ta")], id="tab-kept"),
        pytest.param(b"data: \n\n", [E("")], id="space-only-value"),
        pytest.param(b"data: a: b:c\n\n", [E("a: b:c")], id="colons-in-value"),
        pytest.param(b"data: a\x00b\n\n", [E("a\x00b")], id="nul-in-data"),
        pytest.param(b"data : a\n\n", [], id="space-in-name"),
        pytest.param(b"Data: a\n\n", [], id="names-case-sensitive"),
        pytest.param(b" data: a\n\n", [], id="leading-space-in-name"),
        pytest.param(b"foo: bar\ndata: a\nbaz\n\n", [E("a")], id="unknown-fields"),
        pytest.param(b"data: a\n\n\ndata: b\n\n", [E("a"), E("b")], id="extra-blank"),
        pytest.param(b"event: x\n\n", [], id="event-without-data"),
        pytest.param(b"event: x\n\ndata: a\n\n", [E("a")], id="type-reset-no-data"),
        pytest.param(
            b"event: x\ndata: a\n\ndata: b\n\n", [E("a", "x"), E("b")], id="type-reset"
        ),
        pytest.param(b"event:\ndata: a\n\n", [E("a")], id="empty-type-is-message"),
        pytest.param(b"event\ndata: a\n\n", [E("a")], id="bare-event-name"),
        pytest.param(b"event:x\nevent: y\ndata: a\n\n", [E("a", "y")], id="last-type"),
        pytest.param(b"event:  x\ndata: a\n\n", [E("a", " x")], id="type-with-space"),
        pytest.param(b"data: a\nevent: x\n\n", [E("a", "x")], id="type-after-data"),
        pytest.param(b"data: a\ndata: b", [], id="unterminated-line"),
        pytest.param(b"data: a\ndata: b\n", [], id="unterminated-event"),
    ],
)
def test_decoder_parses_fields(stream: bytes, expected: list[ServerSentEvent]) -> None:
    """Lines split into name and value at the first colon, as 9.2.6 says."""
    assert events_of(stream) == expected


@pytest.mark.parametrize(
    ("stream", "expected", "last_event_id"),
    [
        pytest.param(
            b"id: 1\ndata: a\n\ndata: b\n\n",
            [E("a", id="1"), E("b", id="1")],
            "1",
            id="id-persists",
        ),
        pytest.param(b"data: a\nid: 2\n\n", [E("a", id="2")], "2", id="id-after-data"),
        pytest.param(
            b"id: 1\ndata: a\n\nid:\ndata: b\n\n",
            [E("a", id="1"), E("b")],
            "",
            id="empty-id-resets",
        ),
        pytest.param(
            b"id: 1\n\nid: a\x00b\ndata: c\n\n",
            [E("c", id="1")],
            "1",
            id="id-with-nul-ignored",
        ),
        pytest.param(b"id: 7\n\n", [], "7", id="id-without-data-still-set"),
        pytest.param(
            b"id:8\n\nid:a\x00\ndata: c\n\n",
            [E("c", id="8")],
            "8",
            id="id-with-nul-no-space-ignored",
        ),
        pytest.param(b"id: 7\n", [], "", id="id-of-unended-event-dropped"),
        pytest.param(
            b"id:  x \ndata: a\n\n", [E("a", id=" x ")], " x ", id="id-spaces"
        ),
        pytest.param(b"id: 1\nid: 2\ndata: a\n\n", [E("a", id="2")], "2", id="last-id"),
        pytest.param(
            b"id: 3\ndata: a\n\nid: 4\ndata: b\n",
            [E("a", id="3")],
            "3",
            id="id-of-discarded-event-dropped",
        ),
    ],
)
def test_decoder_tracks_last_event_id(
    stream: bytes, expected: list[ServerSentEvent], last_event_id: str
) -> None:
    """The id field sets the ID buffer, which each dispatch makes the last ID."""
    events, refused, final_id, _ = decode_all_ways(stream)

    assert (events, refused, final_id) == (expected, False, last_event_id)


@pytest.mark.parametrize(
    ("stream", "retry"),
    [
        pytest.param(b"retry: 3000\n", 3000, id="digits"),
        pytest.param(b"retry:0050\n\n", 50, id="leading-zeros"),
        pytest.param(b"retry: 0\n", 0, id="zero"),
        pytest.param(b"retry: 30a\n", None, id="letter"),
        pytest.param(b"retry: -1\n", None, id="sign"),
        pytest.param(b"retry: 1.5\n", None, id="decimal"),
        pytest.param(b"retry:\n", None, id="empty"),
        pytest.param(b"retry\n", None, id="bare-name"),
        pytest.param(b"retry:  10\n", None, id="two-spaces"),
        pytest.param(b"retry: 10 \n", None, id="trailing-space"),
        pytest.param("retry: \uff13\n".encode(), None, id="fullwidth-digit"),
        pytest.param("retry: \u0663\n".encode(), None, id="arabic-indic-digit"),
        pytest.param(b"retry: 10\nretry: x\n", 10, id="invalid-keeps-last"),
        pytest.param(b"retry: 10\nretry: 20\n", 20, id="last-wins"),
        pytest.param(b"retry: 5\n\nretry: 7", 5, id="unterminated-line-ignored"),
        pytest.param(b"retry: " + b"9" * 5000 + b"\n", None, id="too-many-digits"),
    ],
)
def test_decoder_takes_only_digit_retry(stream: bytes, retry: int | None) -> None:
    """A retry field of ASCII digits alone sets the reconnection time at once."""
    assert decode_all_ways(stream) == ([], False, "", retry)


def test_decoder_retry_changed_flags_new_values() -> None:
    """retry_changed is true only after a feed that changed the retry value."""
    decoder = SSEDecoder()

    decoder.feed(b"retry: 100\n")
    assert (decoder.retry, decoder.retry_changed) == (100, True)
    decoder.feed(b"data: a\n\n")
    assert (decoder.retry, decoder.retry_changed) == (100, False)
    decoder.feed(b"retry: 100\nretry: x\n")
    assert (decoder.retry, decoder.retry_changed) == (100, False)
    decoder.feed(b"retry: 200\n")
    assert (decoder.retry, decoder.retry_changed) == (200, True)


def test_decoder_close_discards_pending_and_starts_new_stream() -> None:
    """close drops the unfinished event but keeps the last ID and retry."""
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 1\nretry: 9\ndata: a\n\nid: 2\nevent: x\ndata: b\n") == [
        E("a", id="1")
    ]

    decoder.close()

    assert (decoder.last_event_id, decoder.retry) == ("1", 9)
    assert decoder.feed(BOM + b"data: c\n\n") == [E("c", id="1")]


def test_decoder_resumes_from_a_set_last_event_id() -> None:
    """A last_event_id set before feeding is the id of events that name none."""
    decoder = SSEDecoder()
    decoder.last_event_id = "41"

    events = decoder.feed(b"data: a\n\nid: 42\ndata: b\n\ndata: c\n\n")

    assert events == [E("a", id="41"), E("b", id="42"), E("c", id="42")]
    assert decoder.last_event_id == "42"


def test_decoder_close_forgets_half_a_character() -> None:
    """After close, the start of an unfinished character does not spoil the next."""
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: \xe2\x82")

    decoder.close()

    assert decoder.feed(b"data: b\n\n") == [E("b")]


def test_decoder_bytes_seen_counts_all_input() -> None:
    """bytes_seen adds up the length of every chunk, events or not."""
    decoder = SSEDecoder()
    decoder.feed(BOM + b"data: a\n")
    decoder.feed(b"")
    decoder.close()
    decoder.feed(b"\n\xff")

    assert decoder.bytes_seen == 13


@pytest.mark.parametrize("limit", [0, -1])
def test_decoder_rejects_limit_below_one(limit: int) -> None:
    """A max_event_bytes below 1 is refused before any input."""
    with pytest.raises(InvalidArgumentError, match="max_event_bytes"):
        SSEDecoder(limit)


def test_event_is_a_genuine_frozen_event() -> None:
    """Decoded events equal, hash like and are as frozen as constructed ones."""
    (event,) = SSEDecoder().feed(b"event: t\nid: 5\ndata: a\n\n")

    assert type(event) is ServerSentEvent
    assert event == ServerSentEvent(data="a", event="t", id="5")
    assert hash(event) == hash(ServerSentEvent("a", "t", "5"))
    assert repr(event) == "ServerSentEvent(data='a', event='t', id='5')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "b"  # type: ignore[misc]


def test_event_defaults_to_message_without_id() -> None:
    """An event built from data alone has type message and no id."""
    assert ServerSentEvent("x") == ServerSentEvent("x", "message", "")


def test_decoder_many_events_in_one_chunk_over_the_limit() -> None:
    """A chunk larger than the limit still yields its events when each one fits."""
    stream = b"".join(b"id: %d\ndata: %d\n\n" % (i, i) for i in range(1000))
    decoder = SSEDecoder(max_event_bytes=16)

    events = decoder.feed(stream)

    assert events == [E(str(i), id=str(i)) for i in range(1000)]


_LINE_25 = b"data:" + b"a" * 24 + b"\n"
_DATA_100 = "\n".join(["a" * 24] * 4)


@pytest.mark.parametrize(
    ("stream", "limit", "expected", "refused"),
    [
        pytest.param(b": " + b"x" * 18 + b"\n\n", 20, [], False, id="line-at-limit"),
        pytest.param(b": " + b"x" * 19 + b"\n\n", 20, [], True, id="line-over"),
        pytest.param(
            b"data: a\n\n:" + b"x" * 20, 20, [E("a")], True, id="unended-line-over"
        ),
        pytest.param(":ééééééééé\n\n".encode(), 19, [], False, id="utf8-at-limit"),
        pytest.param(":éééééééééé\n\n".encode(), 20, [], True, id="utf8-line-over"),
        pytest.param(_LINE_25 * 4 + b"\n", 100, [E(_DATA_100)], False, id="data-at"),
        pytest.param(
            _LINE_25 * 3 + b"data:" + b"a" * 25 + b"\n\n", 100, [], True, id="data-over"
        ),
        pytest.param(b"data\n" * 100 + b"\n", 100, [E("\n" * 99)], False, id="lfs-at"),
        pytest.param(b"data\n" * 101 + b"\n", 100, [], True, id="lfs-over"),
        pytest.param(
            b"data: a\n\n" + b"data: bb\n" * 40, 100, [E("a")], True, id="events-kept"
        ),
    ],
)
def test_event_too_large_exactly_at_limit(
    stream: bytes, limit: int, expected: list[ServerSentEvent], refused: bool
) -> None:
    """A line or data buffer of max_event_bytes passes; one byte more fails."""
    events, was_refused, _, _ = decode_all_ways(stream, limit)

    assert (events, was_refused) == (expected, refused)


def test_event_too_large_stops_endless_line_early() -> None:
    """A 10 MB line with no newline fails once about 1 MiB of it has arrived."""
    decoder = SSEDecoder(max_event_bytes=MIB)
    chunk = b"data: " + b"x" * (64 * 1024 - 6)
    fed = 0

    with pytest.raises(EventTooLarge) as caught:
        for _ in range(10 * MIB // len(chunk)):
            fed += len(chunk)
            decoder.feed(chunk)
            chunk = b"x" * len(chunk)

    assert MIB < fed <= MIB + 64 * 1024
    assert (caught.value.limit, caught.value.events) == (MIB, [])


def test_event_too_large_stops_endless_event_early() -> None:
    """An event of ever more data lines fails once its data passes the limit."""
    decoder = SSEDecoder(max_event_bytes=MIB)
    chunk = (b"data: " + b"y" * 1017 + b"\n") * 64
    fed = 0

    with pytest.raises(EventTooLarge):
        for _ in range(10 * MIB // len(chunk)):
            fed += len(chunk)
            decoder.feed(chunk)

    assert MIB < fed <= MIB + 2 * len(chunk)


def test_event_too_large_reports_and_resets() -> None:
    """The error is a StreamError naming the limit, the last id and its remedy."""
    decoder = SSEDecoder(max_event_bytes=50)

    with pytest.raises(EventTooLarge) as caught:
        decoder.feed(b"id: 9\ndata: ok\n\nid: 10\ndata: " + b"z" * 60 + b"\n\n")

    error = caught.value
    assert isinstance(error, StreamError)
    assert (error.limit, error.last_event_id, error.events) == (
        50,
        "9",
        [E("ok", id="9")],
    )
    assert error.batch == EventBatch(["ok"], ["message"], ["9"])
    assert "50 bytes" in str(error) and "'9'" in str(error)
    assert "max_event_bytes" in str(error)
    assert decoder.feed(b"data: next\n\n") == [E("next", id="9")]
