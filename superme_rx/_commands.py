"""The bodies of the command line's subcommands, one coroutine each.

``cli`` parses the arguments, sets up logging and turns errors into exit codes;
these coroutines do the work and write to the console they are given.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shlex
import sys
from typing import Any

import reactivex
from reactivex import Observable
from reactivex import operators as ops
from reactivex.scheduler.eventloop import AsyncIOScheduler
from rich.console import Console
from rich.text import Text

from ._client import RxSuperMeClient
from ._live import InterviewView, counted, print_summary, speaker
from .models import Event, InterviewStatus, Transcript
from .operators import Message, StageSummary, assemble_messages, stage_summaries
from .simulator import Simulator

__all__ = ["Output", "follow", "serve", "show_status", "show_transcript", "watch"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Output:
    """Where a command writes, and how.

    Attributes:
        console: The console on standard output.
        interactive: Whether standard output is a terminal (live view, tables).
        json: Whether to print JSON for programs instead of text for people.
    """

    console: Console
    interactive: bool
    json: bool = False


def follow(
    events: Observable[Event], view: InterviewView, clock: AsyncIOScheduler
) -> Observable[list[StageSummary]]:
    """Show an interview's events in ``view`` and summarise its stages.

    Args:
        events: The interview's stream; subscribed to once.
        view: Shown every event and every whole message.
        clock: The loop's scheduler, timing the stages.

    Returns:
        An Observable emitting the stage summaries once the stream completes.
    """

    def branches(shared: Observable[Event]) -> Observable[object]:
        shown = shared.pipe(ops.do_action(view.on_event), ops.ignore_elements())
        said: Observable[Message] = shared.pipe(
            assemble_messages(), ops.do_action(view.on_message), ops.ignore_elements()
        )
        return reactivex.merge(shown, said, shared.pipe(stage_summaries(clock)))

    def summaries(items: list[object]) -> list[StageSummary]:
        return [item for item in items if isinstance(item, StageSummary)]

    return events.pipe(ops.publish(branches), ops.to_list(), ops.map(summaries))


async def watch(client: RxSuperMeClient, interview_id: str, out: Output) -> None:
    """Follow an interview until its terminal status, then summarise it.

    Raises:
        SupermeError: The interview cannot be found or followed.
    """
    snapshot = await client.get_interview_status(interview_id)
    events = client.stream_interview(interview_id)
    if out.json:
        printed: Observable[Event] = events.pipe(ops.do_action(_print_json_event))
        await printed.pipe(ops.count())
        return

    clock = AsyncIOScheduler(asyncio.get_running_loop())
    view = InterviewView(out.console, live=out.interactive, interview_id=interview_id)
    view.set_stages(snapshot.stages)
    view.note(
        f"following interview {interview_id}: {snapshot.status}, "
        f"{counted(len(snapshot.stages), 'stage')}"
    )
    with view:
        summaries = await follow(events, view, clock)
    print_summary(
        out.console,
        summaries,
        status=view.status,
        elapsed=view.elapsed,
        table=out.interactive,
    )


def _print_json_event(event: Event) -> None:
    # One object per line, flushed, so that `| jq` sees each event at once.
    line = json.dumps({"id": event.id, "payload": event.raw}, ensure_ascii=False)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def show_status(client: RxSuperMeClient, interview_id: str, out: Output) -> None:
    """Print an interview's status and stages.

    Raises:
        SupermeError: The status cannot be fetched.
    """
    snapshot: InterviewStatus = await client.get_interview_status(interview_id)
    if out.json:
        _print_json(snapshot.model_dump(mode="json"))
        return

    console = out.console
    console.print(
        Text.assemble(
            f"interview {snapshot.interview_id}: ",
            (snapshot.status, "bold"),
            f", active stage {snapshot.active_stage or '-'}",
        )
    )
    for stage in snapshot.stages:
        marker = "▸" if stage.stage_number == snapshot.active_stage else " "
        console.print(
            Text.assemble(
                f"{marker} stage {stage.stage_number} {stage.name or ''}: ",
                (stage.status or "unknown", "bold"),
            )
        )


async def show_transcript(
    client: RxSuperMeClient, interview_id: str, out: Output
) -> None:
    """Print an interview's transcript, stage by stage.

    Raises:
        SupermeError: The transcript cannot be fetched.
    """
    transcript: Transcript = await client.get_interview_transcript(interview_id)
    if out.json:
        _print_json(transcript.model_dump(mode="json"))
        return

    console = out.console
    said = sum(len(stage.messages) for stage in transcript.transcript)
    console.print(
        f"interview {interview_id}: {counted(len(transcript.transcript), 'stage')}, "
        f"{counted(said, 'message')}"
    )
    for stage in transcript.transcript:
        number = "?" if stage.stage_number is None else stage.stage_number
        console.print(Text(f"stage {number} {stage.name or ''}", style="bold magenta"))
        for message in stage.messages:
            who = speaker(message.role)
            console.print(Text.assemble(f"  {who}: ", message.content))


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


async def serve(host: str, port: int, time_scale: float) -> None:
    """Run the simulator until cancelled, printing how to reach it.

    Raises:
        OSError: The address cannot be bound.
    """
    simulator = Simulator(host=host, port=port, time_scale=time_scale)
    await simulator.start()
    url, key = simulator.base_url, simulator.api_key
    exports = f"SUPERME_BASE_URL={shlex.quote(url)} SUPERME_API_KEY={shlex.quote(key)}"
    lines = (
        f"SuperMe simulator on {url} (time scale {time_scale:g})",
        f"roles: {', '.join(simulator.role_ids)}",
        f"API key (for this simulator only): {key}",
        f"export {exports}",
        "press Ctrl-C to stop",
    )
    print("\n".join(lines), flush=True)
    await simulator.serve_forever()
