"""Send a reply, again only when the failure proves it was not processed.

The message POST is not idempotent: a reply the service processed
but whose answer was lost must never go twice. So a failure is retried only
when it proves the service did nothing with the request:

- the connection was never made (a ``TransportError`` with
  ``request_sent=False``, or caused by a connect error or a connect or pool
  timeout): waits 1 s, then 2 s;
- 429 (the service refused before processing): waits its ``retry_after``,
  else as above;
- 503 carrying ``retry_after`` (the service asks to come back): waits that.

Anything else, a 500 or a read timeout included, is final. A request is sent
at most three times, and a ``retry_after`` over two minutes is not waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import httpx
import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops

from ..errors import ApiError, TransportError
from ..models import MessageReply
from ._protocols import MessageSender
from ._values import Prompt

__all__ = ["MAX_ATTEMPTS", "post_reply", "retry_delay", "unprocessed"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
_BACKOFF = 1.0
_LONGEST_WAIT = 120.0
_NOT_CONNECTED = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    ConnectionRefusedError,
)


def unprocessed(error: Exception) -> bool:
    """Whether ``error`` proves the service did not process the request."""
    if isinstance(error, ApiError):
        if error.status_code == 429:
            return True
        return error.status_code == 503 and _retry_after(error) is not None
    if isinstance(error, TransportError):
        if getattr(error, "request_sent", True) is False:
            return True
        return any(isinstance(cause, _NOT_CONNECTED) for cause in _causes(error))
    return False


def retry_delay(error: Exception, attempt: int) -> float | None:
    """Seconds to wait before sending again after ``attempt``, or None to stop.

    Args:
        error: The failure of the attempt.
        attempt: The attempt that failed, from 0.
    """
    if attempt + 1 >= MAX_ATTEMPTS or not unprocessed(error):
        return None
    delay = _retry_after(error)
    if delay is None:
        delay = _BACKOFF * 2**attempt
    return delay if delay <= _LONGEST_WAIT else None


def post_reply(
    client: MessageSender,
    prompt: Prompt,
    text: str,
    clock: abc.SchedulerBase,
    on_attempt: Callable[[int], None],
) -> Observable[MessageReply | None]:
    """POST ``text`` as the answer to ``prompt``, retrying what is safe to.

    Args:
        client: The sender.
        prompt: The prompt answered; gives the interview and stage.
        text: The reply.
        clock: The scheduler to wait on between attempts.
        on_attempt: Told the number of each attempt as it starts, from 1.

    Returns:
        The interviewer's answer, or None if the sender gave none.
    """

    def attempt(number: int) -> Observable[MessageReply | None]:
        def send(_: abc.SchedulerBase) -> Observable[MessageReply]:
            on_attempt(number + 1)
            return client.send_interview_message(
                prompt.interview_id, text, stage_number=prompt.stage_number
            )

        def again(
            error: Exception, _: Observable[MessageReply | None]
        ) -> Observable[MessageReply | None]:
            delay = retry_delay(error, number)
            if delay is None:
                return reactivex.throw(error)
            logger.warning(
                "reply in %s not processed (%s); sending again in %.1f s",
                prompt.interview_id,
                type(error).__name__,
                delay,
            )
            wait = reactivex.timer(delay, scheduler=clock)
            return wait.pipe(ops.flat_map(lambda _: attempt(number + 1)))

        sent: Observable[MessageReply | None] = reactivex.defer(send).pipe(
            ops.last_or_default()
        )
        return sent.pipe(ops.catch(again))

    return attempt(0)


def _retry_after(error: Exception) -> float | None:
    # The errors module gives ApiError a ``retry_after``; read it generically
    # so any error that carries one is honoured.
    value = getattr(error, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The explicit causes behind ``error`` (``raise ... from``), nearest first."""
    # Only __cause__: an implicit __context__ may be an earlier attempt's
    # connect error while this request did reach the service.
    seen: set[int] = set()
    cause = error.__cause__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__
