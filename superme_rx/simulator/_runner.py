"""Plays a script into an interview's log, one background task per interview.

Event sequence of a script (``S`` is a stage number)::

    status preparing                          (at start_interview)
    status in_progress
    for each stage played:
        stage_change S
        for each line: token ... token, message (role company)
            if the stage is manual: status awaiting_input, then, once the
            candidate answers: message (candidate), message (company reply),
            status in_progress
    status <outcome>                          (completed, failed, withdrawn)
    after submit_interview: status scoring, status scored
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ._scenarios import Line, Script
from ._state import Interview, ReceivedMessage

__all__ = ["accept_answer", "next_manual_stage", "play", "score"]

logger = logging.getLogger(__name__)

INTERVIEWER = "company"
CANDIDATE = "candidate"


class _Clock:
    """Sleeps scripted pauses, scaled, against deadlines that do not drift.

    Each pause ends ``seconds * scale`` after the previous deadline rather than
    after "now", so a paced stream keeps its rate however long each step takes.
    """

    def __init__(self, scale: float) -> None:
        self._scale = scale
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time()

    def reset(self) -> None:
        """Count the next pause from now, e.g. after waiting for the candidate."""
        self._deadline = self._loop.time()

    async def pause(self, seconds: float) -> bool:
        """Sleep one scripted pause; with no delay, still let others run.

        Returns:
            Whether the pause had a delay, so the next event is worth a wake-up
            of its own.
        """
        delay = seconds * self._scale
        if delay <= 0:
            await asyncio.sleep(0)
            return False
        self._deadline += delay
        await asyncio.sleep(max(0.0, self._deadline - self._loop.time()))
        return True


async def play(interview: Interview, time_scale: float) -> None:
    """Play the interview's script to its outcome.

    Args:
        interview: The interview, already holding ``status: preparing``.
        time_scale: The factor applied to every pause of the script.
    """
    script = interview.script
    clock = _Clock(time_scale)

    await clock.pause(script.preparing)
    interview.emit({"event": "status", "status": "in_progress"})

    for number, stage in enumerate(script.stages[: script.runs], start=1):
        await clock.pause(script.stage_pause)
        interview.start_stage(number, stage.name)
        for index, line in enumerate(stage.lines):
            await _say(interview, clock, script, line, number)
            if stage.manual:
                await clock.pause(script.message_pause)
                await _ask(interview, number, index)
                clock.reset()
        interview.stage_statuses[number - 1] = "COMPLETED"

    await clock.pause(script.message_pause)
    interview.stage = None
    interview.emit({"event": "status", "status": script.outcome})
    logger.debug("interview %s ended %s", interview.interview_id, script.outcome)


async def _say(
    interview: Interview, clock: _Clock, script: Script, line: Line, stage: int
) -> None:
    for index, token in enumerate(line.tokens):
        paced = await clock.pause(
            script.line_pause if index == 0 else script.token_interval
        )
        interview.emit(
            {
                "event": "token",
                "role": INTERVIEWER,
                "token": token,
                "stage_number": stage,
            },
            notify=paced,
        )

    await clock.pause(script.message_pause)
    interview.emit(
        {
            "event": "message",
            "content": line.text,
            "role": INTERVIEWER,
            "stage_number": stage,
        }
    )


async def _ask(interview: Interview, stage: int, index: int) -> None:
    answered = asyncio.get_running_loop().create_future()
    interview.answer = answered
    interview.question = (stage, index)
    interview.stage_statuses[stage - 1] = "AWAITING_INPUT"
    interview.emit({"event": "status", "status": "awaiting_input"})
    await answered


def next_manual_stage(interview: Interview) -> int | None:
    """Return the stage that will next await the candidate, after this answer.

    Args:
        interview: An interview awaiting input.

    Returns:
        The current stage when it has questions left, else the next manual
        stage the script plays, else None.
    """
    stage, index = interview.question
    script = interview.script
    if index + 1 < len(script.stages[stage - 1].lines):
        return stage
    for number in range(stage + 1, script.runs + 1):
        if script.stages[number - 1].manual:
            return number
    return None


def accept_answer(
    interview: Interview, content: str, attachments: tuple[dict[str, str], ...]
) -> dict[str, Any]:
    """Record the candidate's answer, reply to it and let the script go on.

    The caller has checked that the interview awaits input. The three events
    are appended at once, so their order never depends on timing.

    Returns:
        The body of the ``send_interview_message`` answer.
    """
    stage, index = interview.question
    script_stage = interview.script.stages[stage - 1]
    reply = script_stage.lines[index].reply
    upcoming = next_manual_stage(interview)

    interview.messages.append(ReceivedMessage(stage, content, attachments))
    candidate: dict[str, Any] = {
        "event": "message",
        "content": content,
        "role": CANDIDATE,
        "stage_number": stage,
    }
    if attachments:
        candidate["attachments"] = list(attachments)
    interview.emit(candidate)
    interview.emit(
        {
            "event": "message",
            "content": reply,
            "role": INTERVIEWER,
            "stage_number": stage,
        }
    )
    interview.stage_statuses[stage - 1] = "IN_PROGRESS"
    interview.emit({"event": "status", "status": "in_progress"})

    answered, interview.answer = interview.answer, None
    if answered is not None and not answered.done():
        answered.set_result(None)
    return {
        "interview_id": interview.interview_id,
        "stage_name": script_stage.name,
        "message": reply,
        "next_manual_stage": upcoming,
    }


async def score(interview: Interview, time_scale: float) -> None:
    """Finish scoring a submitted interview: ``scored`` after a pause.

    Args:
        interview: An interview the submit handler has put in ``scoring``.
        time_scale: The factor applied to the script's scoring pause.
    """
    await _Clock(time_scale).pause(interview.script.scoring)
    interview.emit({"event": "status", "status": "scored"})
