"""The benchmark harness of superme_rx: ``python -m benchmarks``.

Four scenarios, from issues #3, #4 and #6, each in its own module:

- ``throughput``: one long stream, events per second to the subscriber,
  beside httpx text-split, httpx-sse, aiohttp-sse-client and bytes only;
- ``paced``: 1,000 streams of 20 events per second, latency from send to
  delivery, client CPU and peak RSS;
- ``idle``: 10,000 streams of keep-alives, memory per stream, CPU per second;
- ``autoreply``: ``operators.run_interview`` reply latency beside a bare POST
  round trip, and whole interviews per second.

Servers run in a process of their own (``_server``), clients in worker
processes (``_worker``); contenders take turns run by run, each measured at
least five times, and every figure is reported as median, min and max.
Results go to ``benchmarks/results/``: ``latest.md``, ``latest.png`` and
``latest.raw`` (JSON). ``bench_decoder`` times the SSE decoder alone.
"""
