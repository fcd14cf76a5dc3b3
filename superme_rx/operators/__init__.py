"""Operators for the interview event stream, in the style of ``reactivex.operators``.

Each function returns an operator, a function from one Observable to another,
for ``Observable.pipe``::

    client.stream_interview(interview_id).pipe(
        by_kind(MessageEvent), by_stage(2)
    ).subscribe(print)

Stage attribution, shared by every operator: an event belongs to the stage it
names (``stage_change``, and ``token`` or ``message`` with a ``stage_number``);
any other event, ``status`` included, to the current stage, the one the last
``stage_change`` entered (or a token or message named, when it was ahead of
the current stage: a service may skip ``stage_change``). A ``stage_change``
repeating the current stage, as a reconnecting stream may send, changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar, overload

from reactivex import GroupedObservable, Observable, abc

from .._types import Operator
from ..models import Event, Transcript
from ._protocols import LifecycleClient, MessageSender, Responder, ResponderResult
from ._values import (
    Message,
    Progress,
    ProgressKind,
    Prompt,
    PromptKey,
    ReplyOutcome,
    ReplyStatus,
    Stage,
    StageSummary,
)

__all__ = [
    "LifecycleClient",
    "Message",
    "MessageSender",
    "Progress",
    "ProgressKind",
    "Prompt",
    "PromptKey",
    "ReplyOutcome",
    "ReplyStatus",
    "Responder",
    "ResponderResult",
    "Stage",
    "StageSummary",
    "assemble_messages",
    "auto_reply",
    "awaiting_input",
    "by_kind",
    "by_role",
    "by_stage",
    "group_by_stage",
    "live_transcript",
    "run_interview",
    "run_interviews",
    "stage_summaries",
]

_E = TypeVar("_E", bound=Event)


@overload
def by_kind(kind: type[_E], /) -> Operator[Event, _E]: ...


@overload
def by_kind(*kinds: str | type[Event]) -> Operator[Event, Event]: ...


def by_kind(*kinds: str | type[Event]) -> Operator[Event, Event]:
    """Keep the events of the given kinds.

    --s--t--t--m--|  ->  by_kind("message")  ->  -----------m--|

    Example:
        >>> messages = events.pipe(by_kind(MessageEvent))  # typed MessageEvent
        >>> talk = events.pipe(by_kind("token", "message", "x_new_kind"))

    Args:
        *kinds: ``event`` names (``"token"``), matched against ``Event.kind``,
            or event classes, matched with ``isinstance``. One class alone
            narrows the output type to that class.

    Returns:
        An operator emitting the matching events unchanged.

    Raises:
        InvalidArgumentError: No kind given, or one that is neither.
    """
    from ._filtering import by_kind_

    return by_kind_(*kinds)


def by_role(role: str) -> Operator[Event, Event]:
    """Keep the tokens and messages of one speaker.

    --t(company)--m(candidate)--s--|  ->  --t(company)--------|

    Example:
        >>> interviewer = events.pipe(by_role(INTERVIEWER_ROLE))

    Args:
        role: The ``role`` to keep, e.g. ``"company"`` for the interviewer.

    Returns:
        An operator emitting the events whose ``role`` equals ``role``.
    """
    from ._filtering import by_role_

    return by_role_(role)


def by_stage(stage_number: int | None) -> Operator[Event, Event]:
    """Keep the events of one stage, by the attribution rule of this module.

    --c1--t1--s--c2--t2--s--|  ->  by_stage(2)  ->  ----------c2--t2--s--|

    Example:
        >>> second = events.pipe(by_stage(2))

    Args:
        stage_number: The stage to keep; None keeps the events before any
            stage is known.

    Returns:
        An operator emitting the stage's events, its ``stage_change`` and the
        statuses that arrive while it is current included.
    """
    from ._filtering import by_stage_

    return by_stage_(stage_number)


def assemble_messages() -> Operator[Event, Message]:
    """Join streamed tokens into whole messages, each emitted once.

    --t(He)--t(llo)--m(Hello)--t(Bye)--s--|  ->  --------M(Hello)--------M(Bye)--|

    A token run ends at a ``message``, ``status`` or ``stage_change`` event, at
    a token of another role or stage, or at the end of the stream. A
    ``message`` repeating the run's text (whitespace aside) replaces it; a run
    never confirmed comes out with ``from_tokens=True``; a message alone
    passes through.

    Example:
        >>> events.pipe(assemble_messages()).subscribe(lambda m: print(m.content))

    Returns:
        An operator emitting a ``Message`` as each one ends.
    """
    from ._assembly import assemble_messages_

    return assemble_messages_()


def group_by_stage() -> Operator[Event, GroupedObservable[Stage, Event]]:
    """Split events into one inner stream per stage visit.

    --c1--a--c2--b--|  ->  -g1------g2-----|  with  g1: --c1--a-|  g2: --c2--b--|

    A group completes when the interview enters another stage or the source
    completes, and errors with the source. Subscribe to a group when it is
    emitted: its events are not replayed.

    Example:
        >>> counted = lambda g: g.pipe(ops.count(), ops.map(lambda n: (g.key, n)))
        >>> events.pipe(group_by_stage(), ops.flat_map(counted))

    Returns:
        An operator emitting one ``GroupedObservable`` keyed by ``Stage`` per
        stage visit, in order; events before any stage form a
        ``Stage(None)`` group.
    """
    from ._stages import group_by_stage_

    return group_by_stage_()


def stage_summaries(
    scheduler: abc.SchedulerBase | None = None,
) -> Operator[Event, StageSummary]:
    """Emit a summary of each stage as the interview leaves it.

    --c1--m--s--c2--m--s--|  ->  ----------S1----------S2|

    Example:
        >>> events.pipe(stage_summaries()).subscribe(
        ...     lambda s: print(s.name, s.duration, len(s.messages)))

    Args:
        scheduler: The clock for ``started`` and ``ended``; by default the
            subscriber's scheduler, else the timeout scheduler.

    Returns:
        An operator emitting a ``StageSummary`` when the next stage begins or
        the source completes; nothing for a stage cut short by an error.
    """
    from ._stages import stage_summaries_

    return stage_summaries_(scheduler)


def live_transcript(include_streamed: bool = True) -> Operator[Event, Transcript]:
    """Fold the stream into the transcript so far, emitted after each change.

    --c1--t--m--s--c2--|  ->  --T1-----T2-----T3--|

    The transcript has the shape ``get_interview_transcript`` answers with:
    stages in the order first seen (from their ``stage_change``, so a stage
    may be empty), whole messages by stage, never a partial token run.

    Example:
        >>> events.pipe(live_transcript(), ops.last()).subscribe(compare_with_rest)

    Args:
        include_streamed: Whether a message streamed only as tokens, never
            confirmed by a ``message`` event, counts (with its joined text).

    Returns:
        An operator emitting a new ``Transcript`` each time a stage or message
        is added.
    """
    from ._transcript import live_transcript_

    return live_transcript_(include_streamed)


def awaiting_input(interview_id: str) -> Operator[Event, Prompt]:
    """Emit a prompt each time the interview starts waiting for the candidate.

    --m(Q)--s(awaiting)--s(awaiting)--m(Q2)--s(awaiting)--|
    ->  -------P(Q)----------------------------------P(Q2)----|

    A wait is announced by a ``status`` of ``awaiting_input``; announcing it
    again before a new whole message arrives or the stage changes (as after
    a reconnect) is the same wait and gives no prompt.

    Example:
        >>> events.pipe(awaiting_input(iid)).subscribe(lambda p: print(p.question))

    Args:
        interview_id: The interview, copied into each prompt.

    Returns:
        An operator emitting a ``Prompt`` per wait.
    """
    from ._prompts import awaiting_input_

    return awaiting_input_(interview_id)


def auto_reply(
    client: MessageSender,
    interview_id: str,
    responder: Responder,
    *,
    timeout: float | None = None,
    fatal_errors: bool = False,
    max_replies: int | None = None,
    dry_run: bool = False,
    scheduler: abc.SchedulerBase | None = None,
) -> Operator[Event, ReplyOutcome]:
    """Answer every prompt of the stream with the responder's text.

    --P1------P1'--P2--|  ->  ------O1--------O2--|  (P1' repeats P1: no answer)

    Replies go one at a time, in prompt order; each prompt key is answered at
    most once. The POST is retried only when the failure proves it was not
    processed: connection refused, 429, or 503 with ``retry_after``.

    Example:
        >>> events.pipe(auto_reply(client, iid, lambda p: "I would use a queue."))

    Args:
        client: Sends the message; the library's client, or any sender.
        interview_id: The interview answered.
        responder: Gives the reply: text, None to skip, an awaitable or an
            Observable of either.
        timeout: Seconds the responder may take, else an error outcome; an
            awaitable or Observable is cancelled at the deadline, a plain
            function is judged when it returns.
        fatal_errors: Send a failure to ``on_error`` instead of emitting an
            error outcome and going on.
        max_replies: Send at most this many; later prompts are skipped.
        dry_run: Report each reply with status ``dry_run`` without sending it.
        scheduler: The clock for timeouts, retry waits and timings.

    Returns:
        An operator emitting one ``ReplyOutcome`` per distinct prompt.
    """
    from ._autoreply import auto_reply_

    return auto_reply_(
        client,
        interview_id,
        responder,
        timeout=timeout,
        fatal_errors=fatal_errors,
        max_replies=max_replies,
        dry_run=dry_run,
        scheduler=scheduler,
    )


def run_interview(
    client: LifecycleClient,
    role_id: str,
    responder: Responder,
    *,
    timeout: float | None = None,
    fatal_errors: bool = False,
    max_replies: int | None = None,
    dry_run: bool = False,
    poll_interval: float = 5.0,
    max_polls: int = 120,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Progress]:
    """Run a whole interview: start, answer, submit, await the score, fetch.

    ->  -started--stage--reply--...--completed--submitted--scored--transcript|

    Each subscription runs a new interview; disposing it cancels every step.

    Example:
        >>> run_interview(client, "role-1", answer).subscribe(print)

    Args:
        client: Starts, streams, sends, submits, polls and fetches.
        role_id: The role to interview for.
        responder: Gives each reply, as for ``auto_reply``.
        timeout: As for ``auto_reply``.
        fatal_errors: As for ``auto_reply``.
        max_replies: As for ``auto_reply``.
        dry_run: As for ``auto_reply``.
        poll_interval: Seconds between status polls while scoring.
        max_polls: Status polls before giving up with a ``TimeoutError``.
        scheduler: The clock for replies, waits and polls.

    Returns:
        An Observable of ``Progress``, ending with one that carries the
        service's transcript, then completing.
    """
    from ._lifecycle import ReplyOptions, run_interview_

    options = ReplyOptions(
        timeout, fatal_errors, max_replies, dry_run, poll_interval, max_polls
    )
    return run_interview_(client, role_id, responder, options, scheduler)


def run_interviews(
    client: LifecycleClient,
    role_ids: Iterable[str],
    responder: Responder,
    *,
    max_concurrent: int | None = None,
    timeout: float | None = None,
    fatal_errors: bool = False,
    max_replies: int | None = None,
    dry_run: bool = False,
    poll_interval: float = 5.0,
    max_polls: int = 120,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Progress]:
    """Run one interview per role, merged, at most ``max_concurrent`` at once.

    ->  -a:started--b:started--a:reply--b:reply--...--a:transcript--b:transcript|

    The first run to fail ends the whole and cancels the others.

    Example:
        >>> run_interviews(client, ["r1", "r2", "r3"], answer, max_concurrent=2)

    Args:
        client: As for ``run_interview``.
        role_ids: The roles, one interview each.
        responder: As for ``run_interview``.
        max_concurrent: Interviews run at once; None for no bound.
        timeout: As for ``run_interview``.
        fatal_errors: As for ``run_interview``.
        max_replies: Per interview, as for ``run_interview``.
        dry_run: As for ``run_interview``.
        poll_interval: As for ``run_interview``.
        max_polls: As for ``run_interview``.
        scheduler: As for ``run_interview``.

    Returns:
        An Observable of the runs' ``Progress`` values, told apart by
        ``role_id`` and ``interview_id``.
    """
    from ._lifecycle import ReplyOptions, run_interviews_

    options = ReplyOptions(
        timeout, fatal_errors, max_replies, dry_run, poll_interval, max_polls
    )
    return run_interviews_(
        client, role_ids, responder, options, max_concurrent, scheduler
    )
