"""Run whole interviews: start, answer, submit, wait for the score, fetch.

The steps of one run, each begun only when the one before has finished:

1. ``start_interview`` gives the interview id;
2. ``stream_interview`` is followed (one subscription, shared by the stage,
   reply and status branches) while ``auto_reply`` answers its prompts; it
   completes at a terminal status, and in-flight replies are awaited;
3. at ``completed``, ``submit_interview`` (a 409, already submitted, is taken
   as done); a stream that ended without a terminal status is asked for one
   with ``get_interview_status``;
4. ``get_interview_status`` is polled until ``scored`` or ``failed`` (not after
   ``withdrawn``, which is never scored);
5. ``get_interview_transcript`` gives the final transcript.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops

from ..errors import ApiError, InvalidArgumentError, StreamError
from ..models import (
    TERMINAL_STATUSES,
    Event,
    InterviewStart,
    InterviewStatus,
    StatusEvent,
    SubmitResult,
    Transcript,
)
from ._autoreply import auto_reply_
from ._common import deferred
from ._protocols import LifecycleClient, Responder
from ._stages import stage_entries_
from ._values import Progress, ProgressKind, ReplyOutcome, Stage

__all__ = ["ReplyOptions", "run_interview_", "run_interviews_"]

logger = logging.getLogger(__name__)

_SCORING_OVER = frozenset({"scored", "failed", "withdrawn"})
_AWAIT_SCORE = frozenset({"completed", "submitted", "scoring", "scored", "failed"})


@dataclasses.dataclass(frozen=True, slots=True)
class ReplyOptions:
    """The ``auto_reply`` and polling settings of a run."""

    timeout: float | None = None
    fatal_errors: bool = False
    max_replies: int | None = None
    dry_run: bool = False
    poll_interval: float = 5.0
    max_polls: int = 120

    def __post_init__(self) -> None:
        if self.poll_interval < 0:
            raise InvalidArgumentError(
                f"poll_interval must be 0 or more, not {self.poll_interval}"
            )
        if self.max_polls < 1:
            raise InvalidArgumentError(
                f"max_polls must be 1 or more, not {self.max_polls}"
            )


class _Interview:
    """One interview, from its id on."""

    def __init__(
        self,
        client: LifecycleClient,
        role_id: str,
        interview_id: str,
        responder: Responder,
        options: ReplyOptions,
        clock: abc.SchedulerBase,
    ) -> None:
        self.client = client
        self.role_id = role_id
        self.interview_id = interview_id
        self.responder = responder
        self.options = options
        self.clock = clock
        self.final_status: str | None = None

    def progress(
        self,
        kind: ProgressKind,
        *,
        stage: Stage | None = None,
        outcome: ReplyOutcome | None = None,
        status: str | None = None,
        submit: SubmitResult | None = None,
        snapshot: InterviewStatus | None = None,
        transcript: Transcript | None = None,
    ) -> Progress:
        return Progress(
            kind,
            self.role_id,
            self.interview_id,
            stage=stage,
            outcome=outcome,
            status=status,
            submit=submit,
            snapshot=snapshot,
            transcript=transcript,
        )

    def run(self) -> Observable[Progress]:
        logger.debug(
            "interview %s started for role %s", self.interview_id, self.role_id
        )
        return reactivex.concat(
            reactivex.return_value(self.progress(ProgressKind.STARTED)),
            self.client.stream_interview(self.interview_id).pipe(
                ops.publish(self._live)
            ),
            reactivex.defer(lambda _: self._settle()),
        )

    def _live(self, events: Observable[Event]) -> Observable[Progress]:
        options = self.options
        replying = auto_reply_(
            self.client,
            self.interview_id,
            self.responder,
            timeout=options.timeout,
            fatal_errors=options.fatal_errors,
            max_replies=options.max_replies,
            dry_run=options.dry_run,
            scheduler=self.clock,
        )
        return reactivex.merge(
            events.pipe(stage_entries_(), ops.map(self._entered)),
            events.pipe(replying, ops.map(self._replied)),
            events.pipe(ops.filter(_is_terminal), ops.map(self._ended)),
        )

    def _entered(self, stage: Stage) -> Progress:
        return self.progress(ProgressKind.STAGE, stage=stage)

    def _replied(self, outcome: ReplyOutcome) -> Progress:
        return self.progress(ProgressKind.REPLY, outcome=outcome)

    def _ended(self, event: Event) -> Progress:
        status = event.status if isinstance(event, StatusEvent) else None
        self.final_status = status
        return self.progress(ProgressKind.COMPLETED, status=status)

    def _settle(self) -> Observable[Progress]:
        if self.final_status is not None:
            return self._after(self.final_status)

        def ended(snapshot: InterviewStatus) -> Observable[Progress]:
            completed = reactivex.return_value(
                self._ended(StatusEvent(status=snapshot.status))
            )
            return reactivex.concat(completed, self._after(snapshot.status))

        logger.warning("stream of %s ended without a final status", self.interview_id)
        return self.client.get_interview_status(self.interview_id).pipe(
            ops.last(), ops.flat_map(ended)
        )

    def _after(self, status: str) -> Observable[Progress]:
        if status not in _AWAIT_SCORE and status not in TERMINAL_STATUSES:
            return reactivex.throw(
                StreamError(
                    f"the events of interview {self.interview_id} ended while it was "
                    f"{status!r}; it cannot be submitted yet"
                )
            )
        steps: list[Observable[Progress]] = []
        if status == "completed":
            steps.append(self._submit())
        if status in _AWAIT_SCORE:
            steps.append(self._poll(0).pipe(ops.map(self._scored)))
        transcript = self.client.get_interview_transcript(self.interview_id).pipe(
            ops.last(), ops.map(self._transcribed)
        )
        return reactivex.concat(*steps, transcript)

    def _submit(self) -> Observable[Progress]:
        def conflict(
            error: Exception, _: Observable[SubmitResult | None]
        ) -> Observable[SubmitResult | None]:
            if isinstance(error, ApiError) and error.status_code == 409:
                logger.info("interview %s was already submitted", self.interview_id)
                return reactivex.return_value(None)
            return reactivex.throw(error)

        submitted: Observable[SubmitResult | None] = self.client.submit_interview(
            self.interview_id
        ).pipe(ops.last_or_default())
        return submitted.pipe(ops.catch(conflict), ops.map(self._submitted))

    def _submitted(self, result: SubmitResult | None) -> Progress:
        return self.progress(ProgressKind.SUBMITTED, submit=result)

    def _transcribed(self, transcript: Transcript) -> Progress:
        return self.progress(ProgressKind.TRANSCRIPT, transcript=transcript)

    def _poll(self, count: int) -> Observable[InterviewStatus]:
        def check(snapshot: InterviewStatus) -> Observable[InterviewStatus]:
            if snapshot.status in _SCORING_OVER:
                return reactivex.return_value(snapshot)
            if count + 1 >= self.options.max_polls:
                return reactivex.throw(
                    TimeoutError(
                        f"interview {self.interview_id} still {snapshot.status!r} "
                        f"after {self.options.max_polls} status polls"
                    )
                )
            wait = reactivex.timer(self.options.poll_interval, scheduler=self.clock)
            return wait.pipe(ops.flat_map(lambda _: self._poll(count + 1)))

        snapshot = reactivex.defer(
            lambda _: self.client.get_interview_status(self.interview_id)
        )
        return snapshot.pipe(ops.last(), ops.flat_map(check))

    def _scored(self, snapshot: InterviewStatus) -> Progress:
        return self.progress(
            ProgressKind.SCORED, status=snapshot.status, snapshot=snapshot
        )


def _is_terminal(event: Event) -> bool:
    return isinstance(event, StatusEvent) and event.is_terminal


def run_interview_(
    client: LifecycleClient,
    role_id: str,
    responder: Responder,
    options: ReplyOptions,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Progress]:
    """Implement ``superme_rx.operators.run_interview``."""

    def factory(clock: abc.SchedulerBase) -> Observable[Progress]:
        def follow(start: InterviewStart) -> Observable[Progress]:
            return _Interview(
                client, role_id, start.interview_id, responder, options, clock
            ).run()

        return client.start_interview(role_id).pipe(ops.first(), ops.flat_map(follow))

    return deferred(factory, scheduler)


def run_interviews_(
    client: LifecycleClient,
    role_ids: Iterable[str],
    responder: Responder,
    options: ReplyOptions,
    max_concurrent: int | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[Progress]:
    """Implement ``superme_rx.operators.run_interviews``."""
    if max_concurrent is not None and max_concurrent < 1:
        raise InvalidArgumentError(
            f"max_concurrent must be 1 or more, not {max_concurrent}"
        )
    runs = [run_interview_(client, r, responder, options, scheduler) for r in role_ids]
    if max_concurrent is None:
        return reactivex.merge(*runs)
    return reactivex.from_iterable(runs).pipe(ops.merge(max_concurrent=max_concurrent))
