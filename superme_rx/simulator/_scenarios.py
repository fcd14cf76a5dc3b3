"""The scripted interviews, one per role the simulator offers.

A script is data: stages of interviewer lines, the pauses between events and
how the interview ends. ``_runner`` plays it. Scripts are deterministic: every
run emits the same events in the same order; only ids, timestamps and the
interview id differ.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Final

__all__ = [
    "ROLE_FAILED",
    "ROLE_LARGE",
    "ROLE_ORDINARY",
    "ROLE_SLOW",
    "ROLE_WITHDRAWN",
    "LargeScript",
    "Line",
    "Script",
    "Stage",
    "build_scripts",
    "split_tokens",
]

logger = logging.getLogger(__name__)

ROLE_ORDINARY: Final = "role-backend-engineer"
"""An ordinary interview: four stages, two of them awaiting the candidate."""

ROLE_FAILED: Final = "role-failed"
"""An interview that ends with status ``failed`` after its first stage."""

ROLE_WITHDRAWN: Final = "role-withdrawn"
"""An interview that ends with status ``withdrawn`` after its first stage."""

ROLE_SLOW: Final = "role-slow"
"""An interview with long silences, to see keep-alive comments."""

ROLE_LARGE: Final = "role-large"
"""A generated interview shaped by a ``LargeScript``, for benchmarks."""

_TOKEN = re.compile(r"\s*\S+")


def split_tokens(text: str) -> tuple[str, ...]:
    """Cut a line into the pieces streamed as ``token`` events.

    Each piece is a word with the spaces before it, so the pieces joined give
    the line back (for lines without trailing spaces).
    """
    return tuple(_TOKEN.findall(text))


@dataclasses.dataclass(frozen=True)
class LargeScript:
    """The shape of the generated ``role-large`` interview.

    With ``manual=False`` it runs without the candidate, e.g. 10 stages of
    10 messages of 1,000 tokens give 100,000 ``token`` events. Every event of
    the script after ``status: in_progress`` follows the previous one by
    ``token_interval * time_scale`` seconds, measured from a fixed start so
    that no drift builds up: 0.05 gives 20 events per second.

    Attributes:
        stages: How many stages.
        questions_per_stage: Interviewer messages per stage.
        tokens_per_message: ``token`` events per message.
        token_interval: Seconds between events; 0 streams as fast as possible.
        manual: Whether each message is a question awaiting the candidate.
    """

    stages: int
    questions_per_stage: int
    tokens_per_message: int
    token_interval: float
    manual: bool = True

    def __post_init__(self) -> None:
        for name in ("stages", "questions_per_stage", "tokens_per_message"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.token_interval < 0:
            raise ValueError("token_interval must not be negative")


@dataclasses.dataclass(frozen=True)
class Line:
    """One interviewer message, and for a question the reply to its answer.

    Attributes:
        tokens: The pieces streamed as ``token`` events; joined, the message.
        reply: What the interviewer answers after the candidate's answer.
    """

    tokens: tuple[str, ...]
    reply: str = ""

    @property
    def text(self) -> str:
        """The whole message, as the ``message`` event carries it."""
        return "".join(self.tokens)


@dataclasses.dataclass(frozen=True)
class Stage:
    """One stage: interviewer lines, or questions when ``manual``."""

    name: str
    manual: bool
    lines: tuple[Line, ...]


@dataclasses.dataclass(frozen=True)
class Script:
    """A whole interview and its pacing, in unscaled seconds.

    Attributes:
        role_id: The role this script plays.
        stages: Every stage, as ``get_interview_status`` lists them.
        runs: How many stages are played before ``outcome``.
        outcome: The terminal status ending the script.
        preparing: Pause before ``status: in_progress``.
        stage_pause: Pause before each ``stage_change``.
        line_pause: Pause before the first token of each line.
        token_interval: Pause before each following token.
        message_pause: Pause between the last token and the ``message``.
        scoring: Pause between ``scoring`` and ``scored`` after a submit.
    """

    role_id: str
    stages: tuple[Stage, ...]
    runs: int
    outcome: str
    preparing: float
    stage_pause: float
    line_pause: float
    token_interval: float
    message_pause: float = 0.0
    scoring: float = 1.0


def _says(*texts: str) -> tuple[Line, ...]:
    return tuple(Line(split_tokens(text)) for text in texts)


def _asks(*pairs: tuple[str, str]) -> tuple[Line, ...]:
    return tuple(Line(split_tokens(question), reply) for question, reply in pairs)


_INTRODUCTION = Stage(
    "Introduction",
    manual=False,
    lines=_says(
        "Hello, and welcome to your interview for the Backend Engineer role.",
        "I will ask you a few questions in two stages, then we will wrap up.",
    ),
)

_ORDINARY = Script(
    role_id=ROLE_ORDINARY,
    stages=(
        _INTRODUCTION,
        Stage(
            "Technical Experience",
            manual=True,
            lines=_asks(
                (
                    "Which service that you built had to handle the heaviest load?",
                    "Thank you, that gives me useful context.",
                ),
                (
                    "How did you find and fix its worst performance problem?",
                    "Great, that concludes this stage.",
                ),
            ),
        ),
        Stage(
            "System Design",
            manual=True,
            lines=_asks(
                (
                    "How would you design a rate limiter shared by many API servers?",
                    "Good, let us look at one failure mode.",
                ),
                (
                    "How would it behave when its central store is unreachable?",
                    "Thank you, that was the last question.",
                ),
            ),
        ),
        Stage(
            "Wrap-up",
            manual=False,
            lines=_says("Thank you for your time today. This ends the interview."),
        ),
    ),
    runs=4,
    outcome="completed",
    preparing=0.5,
    stage_pause=0.4,
    line_pause=0.3,
    token_interval=0.03,
)

_FAILED = dataclasses.replace(
    _ORDINARY,
    role_id=ROLE_FAILED,
    stages=(
        Stage(
            "Introduction",
            manual=False,
            lines=_says("Hello. I am sorry, this interview cannot go on."),
        ),
        *_ORDINARY.stages[1:],
    ),
    runs=1,
    outcome="failed",
)

_WITHDRAWN = dataclasses.replace(
    _ORDINARY,
    role_id=ROLE_WITHDRAWN,
    stages=(
        Stage(
            "Introduction",
            manual=False,
            lines=_says("Hello. I see that you have withdrawn from this interview."),
        ),
        *_ORDINARY.stages[1:],
    ),
    runs=1,
    outcome="withdrawn",
)

# Pauses longer than the default keep-alive interval (15 s), so that a client
# sees comment lines between events at time_scale=1.
_SLOW = Script(
    role_id=ROLE_SLOW,
    stages=(
        Stage("Warm-up", manual=False, lines=_says("Take your time to settle in.")),
        Stage("Deep Dive", manual=False, lines=_says("We are done, thank you.")),
    ),
    runs=2,
    outcome="completed",
    preparing=5.0,
    stage_pause=20.0,
    line_pause=0.0,
    token_interval=0.1,
)

DEFAULT_LARGE: Final = LargeScript(
    stages=3,
    questions_per_stage=2,
    tokens_per_message=50,
    token_interval=0.01,
    manual=False,
)
"""The ``role-large`` shape when the simulator is given none."""


def _large(shape: LargeScript) -> Script:
    # One tuple of word pieces shared by every line keeps memory flat; the
    # first piece tells the lines apart.
    tail = tuple(f" w{n}" for n in range(1, shape.tokens_per_message))
    stages = []
    for stage in range(1, shape.stages + 1):
        lines = tuple(
            Line((f"S{stage}Q{question}:", *tail), reply=f"Noted {stage}.{question}.")
            for question in range(1, shape.questions_per_stage + 1)
        )
        stages.append(Stage(f"Stage {stage}", manual=shape.manual, lines=lines))

    interval = shape.token_interval
    return Script(
        role_id=ROLE_LARGE,
        stages=tuple(stages),
        runs=shape.stages,
        outcome="completed",
        preparing=interval,
        stage_pause=interval,
        line_pause=interval,
        token_interval=interval,
        message_pause=interval,
        scoring=interval,
    )


def build_scripts(large: LargeScript | None) -> dict[str, Script]:
    """Return every role's script by role id, the ordinary role first.

    Args:
        large: The shape of ``role-large``; ``DEFAULT_LARGE`` when None.
    """
    scripts = (_ORDINARY, _FAILED, _WITHDRAWN, _SLOW, _large(large or DEFAULT_LARGE))
    return {script.role_id: script for script in scripts}
