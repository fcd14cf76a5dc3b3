"""Write the results: ``latest.md`` (tables), ``latest.png`` (plots), ``latest.raw``.

``latest.raw`` is the JSON of every section, so that ``--only`` can refresh one
section and keep the others; each section carries its own date and command.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._contenders import CONTENDERS
from .targets import RECOMMENDED_LOOP, check_all

__all__ = ["library_state", "load", "machine", "write"]

_SECTIONS = ("throughput", "paced", "idle", "autoreply")
_PACKAGES = (
    "superme-rx", "aiohttp", "httpx", "httpx-sse", "aiohttp-sse-client",
    "uvloop", "pydantic", "reactivex", "orjson",
)  # fmt: skip


def load(directory: Path) -> dict[str, Any]:
    """The sections of the last results, or none."""
    try:
        data = json.loads((directory / "latest.raw").read_text())
    except (OSError, ValueError):
        return {}
    sections: dict[str, Any] = data.get("sections", {})
    return sections


def machine() -> dict[str, Any]:
    """Where the benchmarks ran: cores, CPU, system, Python, library versions."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in info
                    if "model name" in line
                ),
                "",
            )
    except OSError:
        pass
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
    }


def write(directory: Path, sections: dict[str, Any]) -> list[Path]:
    """Write the three files for ``sections``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    info = machine()
    raw = directory / "latest.raw"
    raw.write_text(json.dumps({"machine": info, "sections": sections}, indent=1))
    markdown = directory / "latest.md"
    markdown.write_text(_markdown(info, sections))
    plot = directory / "latest.png"
    _plot(plot, sections)
    return [markdown, plot, raw]


def library_state() -> str:
    """The commit measured, and whether ``superme_rx/`` differed from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "superme_rx")
    if not diff:
        return head
    digest = hashlib.sha1(diff.encode()).hexdigest()[:8]
    return f"{head} + uncommitted superme_rx/ changes (diff {digest})"


def _range(node: dict[str, Any], fmt: str = "{:,.1f}", scale: float = 1.0) -> str:
    median, low, high = (node[k] * scale for k in ("median", "min", "max"))
    if any(math.isnan(v) for v in (median, low, high)):
        return "n/a"
    text = f"{fmt.format(median)} ({fmt.format(low)}-{fmt.format(high)})"
    failed = node.get("failed", 0)
    return f"{text}, {failed} run(s) measured nothing" if failed else text


def _markdown(info: dict[str, Any], sections: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines = [
        "# superme_rx benchmarks",
        "",
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['system']}, "
        f"Python {info['python']}. Servers run in their own process on uvloop; "
        "each figure is the median (min-max) over the runs, contenders "
        "interleaved run by run.",
        "",
        f"Versions: {versions}.",
        "",
        'Other work on the machine skews the figures: "other load" is the '
        "share of both cores that processes other than the harness, its server "
        "and its worker took during the runs (each run first waits up to a few "
        "seconds for the machine to go quiet), and the load average (1 minute) "
        "is given before and after each section.",
        "",
        "| section | date | library measured | client loops | runs | took | load avg "
        "| command |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in _SECTIONS:
        if name in sections:
            s = sections[name]
            loops = ", ".join(s["loops"])
            load = " -> ".join(f"{v:.1f}" for v in s.get("load", ()))
            lines.append(
                f"| {name} | {s['date']} | {s.get('library', 'unknown')} | {loops} | "
                f"{s['reps']} | {s['seconds']:.0f} s | {load} | `{s['command']}` |"
            )
    checks = check_all(sections)
    if checks:
        lines += [
            "",
            "## Targets",
            "",
            "The issues set their targets on the loop the README recommends for "
            f"many streams ({RECOMMENDED_LOOP}), for typed events from the bare "
            "server's events of about 200 B. Other rows compare, and their "
            "verdict is in parentheses.",
            "",
            "| scenario | loop | target | measured | met |",
            "| --- | --- | --- | --- | --- |",
        ]
        for c in checks:
            met = "yes" if c.met else "**no**"
            if not c.binding:
                met = f"({'yes' if c.met else 'no'})"
            lines.append(
                f"| {c.scenario} | {c.loop} | {c.target} | {c.measured} | {met} |"
            )
    for name, render in (
        ("throughput", _md_throughput),
        ("paced", _md_paced),
        ("idle", _md_idle),
        ("autoreply", _md_autoreply),
    ):
        if name in sections:
            lines += ["", *render(sections[name]["results"])]
    return "\n".join(lines) + "\n"


def _md_throughput(data: dict[str, Any]) -> list[str]:
    lines = [
        f"## 1. One long stream ({data['events']:,} token events)",
        "",
        "Events per second from request to terminal status; the ratio is "
        "stream_interview's median over the contender's.",
    ]
    for source, loops in data["servers"].items():
        for loop, node in loops.items():
            contenders = node["contenders"]
            size = contenders["rx"]["bytes"] / contenders["rx"]["events"]
            rx = contenders["rx"]["events_per_s"]["median"]
            lines += [
                "",
                f"**{source} server** (events of {size:.0f} B), **{loop}** client; "
                f"other load {node.get('foreign', math.nan):.0%}:",
                "",
                "| contender | events/s | µs/event | stream_interview ÷ it |",
                "| --- | --- | --- | --- |",
            ]
            for key, c in contenders.items():
                eps = c["events_per_s"]
                lines.append(
                    f"| {CONTENDERS[key]} | {_range(eps, '{:,.0f}')} | "
                    f"{1e6 / eps['median']:.2f} | {rx / eps['median']:.2f}x |"
                )
    return lines


def _md_paced(data: dict[str, Any]) -> list[str]:
    lines = [
        f"## 2. Many paced streams ({data['streams']:,} streams x "
        f"{data['rate']:.0f} events/s, {data['window']:.0f} s window)",
        "",
        "Latency: subscriber's `time.time()` minus the server's `ts`. CPU: the "
        "client process over the window, and per event delivered. RSS: the "
        "client process's peak. Warm-up: after every stream delivered, until "
        "no event came later than 20 ms (at most 1.5 s). GC: the longest "
        "garbage-collector pause in the window.",
        "",
        "| loop | contender | p50 ms | p99 ms | max ms | client CPU s | CPU µs/event "
        "| peak RSS MB | delivered ev/s | warm-up s | GC max ms | server CPU s "
        "| other load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
        "| --- |",
    ]
    for loop, node in data["loops"].items():
        for key, c in node.items():
            lines.append(
                f"| {loop} | {CONTENDERS[key]} | {_range(c['p50_ms'])} | "
                f"{_range(c['p99_ms'])} | {_range(c['max_ms'], '{:,.0f}')} | "
                f"{_range(c['cpu_s'], '{:.2f}')} | "
                f"{_median(c, 'cpu_us_per_event')} | "
                f"{_range(c['peak_rss_mb'], '{:.0f}')} | "
                f"{_range(c['events_per_s'], '{:,.0f}')} | "
                f"{_median(c, 'warmup_s')} | {_median(c, 'gc_max_ms')} | "
                f"{_range(c['server_cpu_s'], '{:.2f}')} | {_share(c)} |"
            )
    return lines


def _md_idle(data: dict[str, Any]) -> list[str]:
    lines = [
        f"## 3. Idle streams ({data['streams']:,} streams, one keep-alive per "
        f"stream every {data['keepalive_s']:.0f} s)",
        "",
        "| loop | contender | KB per stream | client CPU s per s | µs per keep-alive "
        "| peak RSS MB | opened in s | other load |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    per_second = data["streams"] / data["keepalive_s"]
    for loop, node in data["loops"].items():
        for key, c in node.items():
            lines.append(
                f"| {loop} | {CONTENDERS[key]} | {_range(c['kb_per_stream'])} | "
                f"{_range(c['cpu_per_s'], '{:.3f}')} | "
                f"{c['cpu_per_s']['median'] / per_second * 1e6:.0f} | "
                f"{_range(c['peak_rss_mb'], '{:.0f}')} | {_range(c['open_s'])} | "
                f"{_share(c)} |"
            )
    return lines


def _md_autoreply(data: dict[str, Any]) -> list[str]:
    sizes = data["sizes"]
    lines = [
        "## 4. Auto-reply (`operators.run_interview`, instant responder)",
        "",
        "send -> server: the simulator's `ts` on the `awaiting_input` event to "
        "its acceptance of the reply POST. send -> answer: to the pipeline's "
        "reply outcome, after the POST's answer. `1`: "
        f"{sizes['sequential']} interviews one after another; `{sizes['concurrent']}`:"
        " that many at once. Bare RTT: httpx POST to the same server.",
        "",
        "| loop | measure | p50 ms | p99 ms | interviews/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    notes = []
    rows = (
        ("bare POST RTT, 1 at a time", "rtt", None),
        ("bare POST RTT, 100 at a time", "rtt_x100", None),
        ("1: send -> server", "sequential_server", "sequential_interviews_per_s"),
        ("1: send -> answer", "sequential_answer", None),
        (f"{sizes['concurrent']}: send -> server", "concurrent_server",
         "concurrent_interviews_per_s"),
        (f"{sizes['concurrent']}: send -> answer", "concurrent_answer", None),
    )  # fmt: skip
    for loop, node in data["loops"].items():
        for label, key, rate in rows:
            per_s = _range(node[rate]) if rate else ""
            lines.append(
                f"| {loop} | {label} | {_range(node[key + '_p50_ms'], '{:.2f}')} | "
                f"{_range(node[key + '_p99_ms'], '{:.2f}')} | {per_s} |"
            )
        notes.append(f"{loop} {node.get('foreign', math.nan):.0%}")
    return [*lines, "", f"Other load: {', '.join(notes)}."]


def _median(node: dict[str, Any], name: str) -> str:
    """One median with one decimal, or n/a in results from an older harness."""
    value = node.get(name)
    return "n/a" if value is None else f"{value['median']:.1f}"


def _share(node: dict[str, Any]) -> str:
    """The share of the machine other processes took: median, and the most."""
    foreign = node.get("foreign")
    if foreign is None:
        return "n/a"
    return f"{foreign['median']:.0%} (max {foreign['max']:.0%})"


def _plot(path: Path, sections: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(15, 10.5))
    panels = (
        ("throughput", _plot_throughput),
        ("paced", _plot_paced),
        ("idle", _plot_idle),
        ("autoreply", _plot_autoreply),
    )
    for ax, (name, draw) in zip(axes.flat, panels, strict=True):
        if name in sections:
            draw(ax, sections[name]["results"])
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{name}: not measured", ha="center", va="center")
    date = max((s["date"] for s in sections.values()), default="")
    fig.suptitle(
        f"superme_rx benchmarks, {date}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}",
        fontsize=13,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(
    ax: Any,
    groups: list[str],
    series: dict[str, list[dict[str, Any] | None]],
    scale: float = 1.0,
) -> None:
    """Grouped bars of medians, with min-max whiskers; one colour per series."""
    width = 0.8 / max(len(series), 1)
    for index, (label, nodes) in enumerate(series.items()):
        xs, heights, low, high = [], [], [], []
        for position, node in enumerate(nodes):
            if node is None:
                continue
            xs.append(position - 0.4 + width * (index + 0.5))
            median = node["median"] * scale
            heights.append(median)
            low.append(median - node["min"] * scale)
            high.append(node["max"] * scale - median)
        bars = ax.bar(xs, heights, width, label=label, yerr=[low, high], capsize=2)
        ax.bar_label(bars, labels=[_short(h) for h in heights], fontsize=7, padding=2)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)


def _short(value: float) -> str:
    """A bar's label: 141k, 3.8M, 94, 0.37."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _plot_throughput(ax: Any, data: dict[str, Any]) -> None:
    groups: list[str] = []
    series: dict[str, list[dict[str, Any] | None]] = {}
    for source, loops in data["servers"].items():
        for loop, node in loops.items():
            groups.append(f"{source} server\n{loop}")
            for key, c in node["contenders"].items():
                series.setdefault(CONTENDERS[key], []).append(c["events_per_s"])
    _bars(ax, groups, series)
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 6)
    ax.set_ylabel("events per second (log)")
    ax.set_title(f"1. One long stream, {data['events']:,} events: throughput")
    ax.legend(fontsize=8, loc="upper left", ncols=3)


def _plot_paced(ax: Any, data: dict[str, Any]) -> None:
    groups = []
    series: dict[str, list[dict[str, Any] | None]] = {}
    for loop, node in data["loops"].items():
        for key, c in node.items():
            groups.append(f"{CONTENDERS[key]}\n{loop}")
            series.setdefault("p50", []).append(c["p50_ms"])
            series.setdefault("p99", []).append(c["p99_ms"])
    _bars(ax, groups, series)
    ax.axhline(20, color="tab:blue", linestyle=":", linewidth=1, label="p50 target")
    ax.axhline(150, color="tab:orange", linestyle=":", linewidth=1, label="p99 target")
    ax.set_yscale("log")
    ax.set_ylabel("send -> delivery latency, ms (log)")
    ax.set_title(
        f"2. {data['streams']:,} streams x {data['rate']:.0f} events/s: latency"
    )
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", labelsize=7)


def _plot_idle(ax: Any, data: dict[str, Any]) -> None:
    groups = []
    series: dict[str, list[dict[str, Any] | None]] = {"KB per stream": []}
    for loop, node in data["loops"].items():
        for key, c in node.items():
            cpu = c["cpu_per_s"]["median"]
            groups.append(f"{CONTENDERS[key]}\n{loop}\nCPU {cpu:.2f} s/s")
            series["KB per stream"].append(c["kb_per_stream"])
    _bars(ax, groups, series)
    # A lone bar would otherwise fill the panel.
    ax.set_xlim(-1.5, len(groups) + 0.5)
    ax.axhline(50, color="tab:red", linestyle=":", linewidth=1, label="target")
    ax.set_ylabel("RSS per open stream, KB")
    ax.set_title(f"3. {data['streams']:,} idle streams: memory per stream")
    ax.legend(fontsize=8)


def _plot_autoreply(ax: Any, data: dict[str, Any]) -> None:
    concurrent = data["sizes"]["concurrent"]
    rows = (
        ("RTT\n1 at a time", "rtt"),
        ("RTT\n100 at a time", "rtt_x100"),
        ("1: send->\nserver", "sequential_server"),
        ("1: send->\nanswer", "sequential_answer"),
        (f"{concurrent}: send->\nserver", "concurrent_server"),
        (f"{concurrent}: send->\nanswer", "concurrent_answer"),
    )
    groups = [label for label, _ in rows]
    series: dict[str, list[dict[str, Any] | None]] = {}
    for loop, node in data["loops"].items():
        for quantile in ("p50", "p99"):
            series[f"{quantile} {loop}"] = [node[f"{k}_{quantile}_ms"] for _, k in rows]
    _bars(ax, groups, series)
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 3)
    ax.set_ylabel("ms (log)")
    rates = ", ".join(
        f"{loop}: {node['concurrent_interviews_per_s']['median']:.1f}/s"
        for loop, node in data["loops"].items()
    )
    ax.set_title(
        f"4. Auto-reply latency; {concurrent} interviews at once: {rates}", fontsize=10
    )
    ax.legend(fontsize=7, ncols=2, loc="upper left")
