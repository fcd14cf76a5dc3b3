"""What a person following an interview sees: a live panel, or plain lines.

On a terminal, a rich ``Live`` panel holds the stage, the status, the elapsed
time and the words the interviewer is streaming; each whole message is printed
above it, so the scrollback keeps the conversation. Elsewhere (a pipe, a CI
log) every change is one plain line stamped with the elapsed seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .models import (
    INTERVIEWER_ROLE,
    Event,
    MessageEvent,
    StageChangeEvent,
    StageInfo,
    StatusEvent,
    TokenEvent,
    Transcript,
)
from .operators import Message, StageSummary

__all__ = ["InterviewView", "counted", "print_summary", "speaker"]

logger = logging.getLogger(__name__)

_SPEAKERS = {INTERVIEWER_ROLE: "interviewer", "candidate": "candidate"}
_STYLES = {"interviewer": "bold cyan", "candidate": "bold green"}
_STATUS_STYLES = {"awaiting_input": "bold yellow", "failed": "bold red"}
# Streamed words kept for the panel; it shows the newest ones that fit.
_STREAM_TAIL = 400
# Seconds between redraws while words stream in; a new speaker redraws at once.
_REDRAW_INTERVAL = 0.1


def counted(number: int, noun: str) -> str:
    """Write ``number`` with ``noun``, plural unless one: ``1 stage``, ``2 stages``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def speaker(role: str | None) -> str:
    """Name the speaker of a message: ``interviewer``, ``candidate`` or the role."""
    if role is None:
        return "?"
    return _SPEAKERS.get(role, role)


class InterviewView:
    """Shows one interview as it happens: stage, status, words and time.

    Feed it the stream's events with ``on_event`` and whole messages (from
    ``assemble_messages``) with ``on_message``; use it as a context manager
    around the feeding, so that the live panel is started and removed.

    Args:
        console: Where to write.
        live: Whether to draw the live panel (a terminal) or plain lines.
        interview_id: The interview shown, if known yet.
    """

    def __init__(
        self, console: Console, *, live: bool, interview_id: str | None = None
    ) -> None:
        self.console = console
        self.interview_id = interview_id
        self.status: str | None = None
        self._live = Live(self, console=console, transient=True) if live else None
        self._started = time.monotonic()
        self._stage: tuple[int | None, str | None] | None = None
        self._stage_names: dict[int, str | None] = {}
        self._streaming_role: str | None = None
        self._streaming = ""
        self._drawn = 0.0

    @property
    def elapsed(self) -> float:
        """Seconds since the view was created."""
        return time.monotonic() - self._started

    def __enter__(self) -> InterviewView:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()

    def set_stages(self, stages: Sequence[StageInfo]) -> None:
        """Learn every stage's name from a status snapshot, to show ``2 of 4``."""
        self._stage_names.update({s.stage_number: s.name for s in stages})

    def note(self, text: str, style: str = "dim") -> None:
        """Print one line about the run, such as a submission."""
        self._line(Text(text, style=style))

    def on_event(self, event: Event) -> None:
        """Take one event of the stream into the view."""
        if isinstance(event, StageChangeEvent):
            self._enter_stage(event.stage_number, event.stage_name)
        elif isinstance(event, TokenEvent):
            if event.role != self._streaming_role:
                self._streaming = ""
            first = not self._streaming
            self._streaming_role = event.role
            self._streaming = (self._streaming + event.token)[-_STREAM_TAIL:]
            self._redraw(now=first)
        elif isinstance(event, MessageEvent):
            if event.role == self._streaming_role:
                self._streaming = ""
        elif isinstance(event, StatusEvent):
            self._change_status(event)
        else:
            logger.debug("event of kind %r not shown", event.kind)

    def on_message(self, message: Message) -> None:
        """Print a whole message, once it has been said."""
        who = speaker(message.role)
        self._line(
            Text.assemble((f"{who}: ", _STYLES.get(who, "bold")), message.content)
        )

    def _change_status(self, event: StatusEvent) -> None:
        if event.status == self.status:
            return  # repeated, as after a reconnection
        self.status = event.status
        # The panel shows the status; lines record it where there is no panel,
        # and the end of the interview everywhere.
        if self._live is None or event.is_terminal:
            style = _STATUS_STYLES.get(event.status, "bold")
            self._line(Text.assemble("status ", (event.status, style)))

    def _redraw(self, *, now: bool) -> None:
        # Live redraws a few times a second by itself; the first words of a
        # message are drawn at once, so that even a fast message shows.
        if self._live is None:
            return
        clock = time.monotonic()
        if now or clock - self._drawn >= _REDRAW_INTERVAL:
            self._drawn = clock
            self._live.refresh()

    def _enter_stage(self, number: int | None, name: str | None) -> None:
        if name is None and number is not None:
            name = self._stage_names.get(number)
        self._stage = (number, name)
        self._streaming = ""
        self._line(Text(f"stage {self._stage_label()}", style="bold magenta"))

    def _stage_label(self) -> str:
        if self._stage is None:
            return "not started"
        number, name = self._stage
        label = "?" if number is None else str(number)
        if self._stage_names:
            label += f" of {len(self._stage_names)}"
        return f"{label} · {name}" if name else label

    def _line(self, text: Text) -> None:
        if self._live is None:
            text = Text.assemble((f"[{self.elapsed:6.1f}s] ", "dim"), text)
        self.console.print(text)

    def __rich__(self) -> RenderableType:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        status = self.status or "connecting"
        grid.add_row("stage", Text(self._stage_label(), style="bold magenta"))
        grid.add_row("status", Text(status, style=_STATUS_STYLES.get(status, "bold")))
        grid.add_row("elapsed", f"{self.elapsed:.1f} s")
        parts: list[RenderableType] = [grid]
        if self._streaming:
            who = speaker(self._streaming_role)
            room = max(20, self.console.width - len(who) - 8)
            words = self._streaming.lstrip()[-room:]
            parts.append(
                Text.assemble((f"{who} ▸ ", _STYLES.get(who, "bold")), words, "▌")
            )
        title = f"interview {self.interview_id}" if self.interview_id else None
        return Panel(Group(*parts), title=title, title_align="left")


def print_summary(
    console: Console,
    summaries: Sequence[StageSummary],
    *,
    status: str | None,
    elapsed: float,
    table: bool,
    transcript: Transcript | None = None,
) -> None:
    """Print what happened in each stage: messages by speaker and time spent.

    Args:
        console: Where to write.
        summaries: The stages, as ``stage_summaries`` emitted them.
        status: The status the interview ended with.
        elapsed: Seconds the whole run took.
        table: Draw a table (a terminal) rather than plain lines.
        transcript: The service's transcript, to compare its counts with.
    """
    stages = [s for s in summaries if s.number is not None or s.messages]
    total = sum(len(s.messages) for s in stages)
    heading = (
        f"summary: {status or 'no final status'} after {elapsed:.1f} s, "
        f"{counted(len(stages), 'stage')}, {counted(total, 'message')}"
    )
    rows = [_summary_row(s) for s in stages]

    if table:
        grid = Table(title=heading, title_justify="left")
        for name in ("stage", "name", "interviewer", "candidate", "seconds"):
            grid.add_column(name, justify="left" if name == "name" else "right")
        for row in rows:
            grid.add_row(*row)
        console.print(grid)
    else:
        console.print(heading)
        for number, name, asked, answered, seconds in rows:
            console.print(
                f"  stage {number} {name}: {asked} interviewer, "
                f"{answered} candidate, {seconds} s"
            )

    if transcript is not None:
        said = sum(len(stage.messages) for stage in transcript.transcript)
        console.print(
            f"transcript from the service: "
            f"{counted(len(transcript.transcript), 'stage')}, "
            f"{counted(said, 'message')}"
        )


def _summary_row(summary: StageSummary) -> tuple[str, str, str, str, str]:
    said = [speaker(m.role) for m in summary.messages]
    return (
        "-" if summary.number is None else str(summary.number),
        summary.name or "",
        str(said.count("interviewer")),
        str(said.count("candidate")),
        f"{summary.duration.total_seconds():.1f}",
    )
