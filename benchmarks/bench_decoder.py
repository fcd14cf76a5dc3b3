"""Time SSEDecoder on a realistic token stream, per event and per second.

Run ``python -m benchmarks.bench_decoder`` or ``python benchmarks/bench_decoder.py``
from the repository root. Each variant feeds the same events, about 200 bytes
each, in 64 KiB chunks and reports the median of several runs, through
``feed`` (an object per event) and ``feed_batch`` (the stream's path, events
field by field).
"""

from __future__ import annotations

import argparse
import statistics
import time

from superme_rx._sse import SSEDecoder

CHUNK_BYTES = 64 * 1024
TOKEN = "ab" * 50


def build_stream(count: int, newline: str, typed: bool = False) -> bytes:
    """Build ``count`` events shaped like the interview token stream."""
    kind = f"event: token{newline}" if typed else ""
    parts = [
        f"id: {index}{newline}{kind}"
        f'data: {{"event":"token","role":"company","token":"{TOKEN}",'
        f'"stage_number":2,"ts":{1_700_000_000_000 + index}}}{newline}{newline}'
        for index in range(count)
    ]
    return "".join(parts).encode()


def split(stream: bytes, size: int) -> list[bytes]:
    """Cut ``stream`` into chunks of ``size`` bytes, the last maybe shorter."""
    return [stream[start : start + size] for start in range(0, len(stream), size)]


def run_once(chunks: list[bytes], expected: int, method: str) -> float:
    """Decode all chunks with a fresh decoder; return the elapsed seconds."""
    decoder = SSEDecoder()
    if method == "feed":
        feed = decoder.feed
    else:
        batch = decoder.feed_batch

        def feed(chunk: bytes) -> list[str]:
            return batch(chunk).data

    seen = 0
    started = time.perf_counter()
    for chunk in chunks:
        seen += len(feed(chunk))
    decoder.close()
    elapsed = time.perf_counter() - started
    if seen != expected:
        raise SystemExit(f"decoded {seen} events, expected {expected}")
    return elapsed


def main() -> None:
    """Print µs/event and events/s for LF, CRLF and CR line endings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    variants = {
        "LF": build_stream(args.events, "\n"),
        "CRLF": build_stream(args.events, "\r\n"),
        "CR": build_stream(args.events, "\r"),
        "LF+event:": build_stream(args.events, "\n", typed=True),
    }
    size = len(variants["LF"]) / args.events
    print(f"{args.events} events of ~{size:.0f} bytes in {CHUNK_BYTES} B chunks,")
    print(f"median of {args.runs} runs")
    for name, stream in variants.items():
        chunks = split(stream, CHUNK_BYTES)
        for method in ("feed", "feed_batch"):
            run_once(chunks, args.events, method)
            times = [run_once(chunks, args.events, method) for _ in range(args.runs)]
            median = statistics.median(times)
            per_event = median / args.events * 1e6
            print(
                f"{name:>10} {method:>10}: {per_event:6.3f} µs/event"
                f"  {args.events / median:12,.0f} events/s"
            )


if __name__ == "__main__":
    main()
