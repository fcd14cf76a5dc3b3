"""Answer each prompt of an interview with a responder's text, one at a time.

A prompt is answered at most once per ``Prompt.key``: a key is claimed when
the prompt arrives, so a repeat while the first is queued, in flight or done
is dropped. The claim is given back only when nothing can have reached the
service (the responder failed, or every POST failed before being processed),
so a later announcement of the same wait may be answered.

The message POST is not idempotent, so it is sent again only on failures that
prove the service did not process it (see ``_retry``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import TypeAlias

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops

from .._types import Operator
from ..errors import InvalidArgumentError
from ..models import Event, MessageReply
from ._common import deferred, elapsed
from ._prompts import awaiting_input_
from ._protocols import MessageSender, Responder
from ._retry import post_reply, unprocessed
from ._values import Prompt, PromptKey, ReplyOutcome, ReplyStatus

__all__ = ["auto_reply_"]

logger = logging.getLogger(__name__)


_Answer: TypeAlias = tuple[str | None, Exception | None]
"""The responder's reply, or what stopped it."""


def _answered(text: str | None) -> _Answer:
    return (text, None)


def _unanswered(error: Exception, _: Observable[_Answer]) -> Observable[_Answer]:
    return reactivex.return_value((None, error))


class _Turn:
    """The clock readings of one prompt's handling."""

    def __init__(self, prompt: Prompt, arrived: datetime, clock: abc.SchedulerBase):
        self.prompt = prompt
        self.arrived = arrived
        self.clock = clock
        self.began = clock.now
        self.answered: datetime | None = None
        self.attempts = 0

    def outcome(
        self,
        status: ReplyStatus,
        *,
        reply: str | None = None,
        answer: MessageReply | None = None,
        error: Exception | None = None,
        reason: str | None = None,
    ) -> ReplyOutcome:
        now = self.clock.now
        answered = self.answered or now
        return ReplyOutcome(
            prompt=self.prompt,
            status=status,
            reply=reply,
            answer=answer,
            error=error,
            reason=reason,
            attempts=self.attempts,
            responder_seconds=(answered - self.began).total_seconds(),
            post_seconds=(now - answered).total_seconds(),
            total_seconds=(now - self.arrived).total_seconds(),
        )


class _Run:
    """What one ``auto_reply`` subscription shares between its prompts."""

    def __init__(
        self,
        client: MessageSender,
        responder: Responder,
        clock: abc.SchedulerBase,
        *,
        timeout: float | None,
        fatal_errors: bool,
        max_replies: int | None,
        dry_run: bool,
    ) -> None:
        self.client = client
        self.responder = responder
        self.clock = clock
        self.timeout = timeout
        self.fatal_errors = fatal_errors
        self.max_replies = max_replies
        self.dry_run = dry_run
        self.claimed: set[PromptKey] = set()
        self.replies = 0

    def admit(self, prompt: Prompt) -> bool:
        if prompt.key in self.claimed:
            logger.debug("prompt in stage %s already answered", prompt.stage_number)
            return False
        self.claimed.add(prompt.key)
        return True

    def turn(self, prompt: Prompt) -> Observable[ReplyOutcome]:
        # Called as the prompt arrives; the handling starts when its turn comes.
        arrived = self.clock.now

        def start(_: abc.SchedulerBase) -> Observable[ReplyOutcome]:
            turn = _Turn(prompt, arrived, self.clock)
            if self.max_replies is not None and self.replies >= self.max_replies:
                reason = f"the budget of {self.max_replies} replies is spent"
                return reactivex.return_value(
                    turn.outcome(ReplyStatus.SKIPPED, reason=reason)
                )

            def act(answer: _Answer) -> Observable[ReplyOutcome]:
                return self._act(turn, *answer)

            answers = _ask(self.responder, prompt, self.timeout, self.clock)
            return answers.pipe(
                ops.map(_answered), ops.catch(_unanswered), ops.flat_map(act)
            )

        return reactivex.defer(start)

    def _act(
        self, turn: _Turn, text: str | None, error: Exception | None
    ) -> Observable[ReplyOutcome]:
        if error is not None:
            self.claimed.discard(turn.prompt.key)
            return self._failed(turn, error, None)

        turn.answered = self.clock.now
        if text is None:
            reason = "the responder left it to a person"
            return reactivex.return_value(
                turn.outcome(ReplyStatus.SKIPPED, reason=reason)
            )
        if self.dry_run:
            self.replies += 1
            return reactivex.return_value(turn.outcome(ReplyStatus.DRY_RUN, reply=text))

        def sent(answer: MessageReply | None) -> ReplyOutcome:
            self.replies += 1
            logger.debug(
                "reply of %d chars sent in %s", len(text), turn.prompt.interview_id
            )
            return turn.outcome(ReplyStatus.SENT, reply=text, answer=answer)

        def post_failed(error: Exception, _: object) -> Observable[ReplyOutcome]:
            if unprocessed(error):
                self.claimed.discard(turn.prompt.key)
            return self._failed(turn, error, text)

        def count(attempt: int) -> None:
            turn.attempts = attempt

        return post_reply(self.client, turn.prompt, text, self.clock, count).pipe(
            ops.map(sent), ops.catch(post_failed)
        )

    def _failed(
        self, turn: _Turn, error: Exception, text: str | None
    ) -> Observable[ReplyOutcome]:
        logger.warning(
            "reply in %s, stage %s failed: %s",
            turn.prompt.interview_id,
            turn.prompt.stage_number,
            type(error).__name__,
        )
        if self.fatal_errors:
            return reactivex.throw(error)
        return reactivex.return_value(
            turn.outcome(ReplyStatus.ERROR, reply=text, error=error)
        )


def _ask(
    responder: Responder,
    prompt: Prompt,
    timeout: float | None,
    clock: abc.SchedulerBase,
) -> Observable[str | None]:
    """Call the responder when subscribed; emit its reply once."""
    too_slow = f"the responder took longer than {timeout} s"

    def call(_: abc.SchedulerBase) -> Observable[str | None]:
        started = clock.now
        result = responder(prompt)
        if isinstance(result, Observable):
            answer: Observable[str | None] = result.pipe(ops.last_or_default())
        elif isinstance(result, Awaitable):
            answer = _from_awaitable(result)
        elif timeout is not None and elapsed(clock, started) > timeout:
            # A plain function cannot be interrupted: judge it when it returns.
            raise TimeoutError(too_slow)
        else:
            answer = reactivex.return_value(result)
        return answer.pipe(ops.map(_checked))

    answer = reactivex.defer(call)
    if timeout is None:
        return answer
    return answer.pipe(
        ops.timeout(timeout, reactivex.throw(TimeoutError(too_slow)), scheduler=clock)
    )


def _from_awaitable(awaitable: Awaitable[str | None]) -> Observable[str | None]:
    """Run a coroutine's answer as a task of the running loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError(
            "a coroutine responder needs a running asyncio loop in the thread that "
            "delivers the events; subscribe from the loop or use a plain function"
        ) from None
    # Disposing the subscription cancels the task (reactivex.from_future).
    return reactivex.from_future(asyncio.ensure_future(awaitable, loop=loop))


def _checked(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"a responder must give str or None, not {type(value).__name__}")


def auto_reply_(
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
    """Implement ``superme_rx.operators.auto_reply``."""
    if timeout is not None and timeout <= 0:
        raise InvalidArgumentError(f"timeout must be positive, not {timeout}")
    if max_replies is not None and max_replies < 0:
        raise InvalidArgumentError(f"max_replies must be 0 or more, not {max_replies}")

    def reply(source: Observable[Event]) -> Observable[ReplyOutcome]:
        def factory(clock: abc.SchedulerBase) -> Observable[ReplyOutcome]:
            run = _Run(
                client,
                responder,
                clock,
                timeout=timeout,
                fatal_errors=fatal_errors,
                max_replies=max_replies,
                dry_run=dry_run,
            )
            # Replies go one at a time, in order: the service takes one answer
            # per wait, and a second POST would race the first.
            return source.pipe(
                awaiting_input_(interview_id),
                ops.filter(run.admit),
                ops.concat_map(run.turn),
            )

        return deferred(factory, scheduler)

    return reply
