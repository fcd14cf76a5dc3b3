"""The ``superme-rx`` command line: follow, inspect and simulate interviews.

::

    superme-rx serve [--host H] [--port P] [--time-scale X]
    superme-rx demo [--time-scale X]
    superme-rx watch INTERVIEW_ID [--json]
    superme-rx status INTERVIEW_ID [--json]
    superme-rx transcript INTERVIEW_ID [--json]

Exit codes: 0 done, 1 the service or the connection failed, 2 a usage or
configuration error, 130 interrupted (Ctrl-C). This is the only module of the
package that configures logging.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TextIO

from rich.console import Console

from . import __version__
from ._client import RxSuperMeClient
from ._commands import Output, serve, show_status, show_transcript, watch
from ._config import API_KEY_ENV, BASE_URL_ENV
from ._demo import demo
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    StreamError,
    SupermeError,
)

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

# Exit codes, as the module docstring lists them.
_EXIT_FAILED = 1
_EXIT_USAGE = 2
_EXIT_INTERRUPTED = 130

_Remote = Callable[[RxSuperMeClient, str, Output], Coroutine[Any, Any, None]]
_REMOTE: dict[str, _Remote] = {
    "watch": watch,
    "status": show_status,
    "transcript": show_transcript,
}


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _add_common(parser: argparse.ArgumentParser, *, remote: bool, top: bool) -> None:
    # Accepted before and after the subcommand; the subcommand's copy defaults
    # to SUPPRESS so that it never overwrites a value given before it.
    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    group = parser.add_argument_group("global options")
    if remote:
        group.add_argument(
            "--base-url",
            default=default(None),
            help=f"the service's URL (else ${BASE_URL_ENV}, else the vendor's)",
        )
        group.add_argument(
            "--api-key",
            default=default(None),
            help=f"the API key (else ${API_KEY_ENV}, else ~/.superme/token); "
            "prefer the variable, a key on the command line shows in `ps`",
        )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default(0),
        help="log more: -v for requests, -vv for every event",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log everything and show tracebacks of errors",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of every subcommand and option."""
    parser = argparse.ArgumentParser(
        prog="superme-rx",
        description="Follow, inspect and simulate SuperMe interviews.",
        epilog="Try `superme-rx demo` for a whole interview against a local "
        "simulator. Exit codes: 1 service or connection error, 2 usage or "
        "configuration error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    _add_common(parser, remote=True, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser(
        "serve",
        help="run the local simulator until Ctrl-C",
        description="Run the local SuperMe simulator and print its URL and its "
        "throwaway API key, with an export line for the other commands.",
    )
    serve_cmd.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    serve_cmd.add_argument(
        "--port", type=int, default=8765, help="default 8765; 0 picks a free one"
    )
    _add_time_scale(serve_cmd)
    _add_common(serve_cmd, remote=False, top=False)

    demo_cmd = commands.add_parser(
        "demo",
        help="run one whole interview against an in-process simulator",
        description="Start the simulator in-process, run one interview with a "
        "rule-based candidate, follow it live, submit it and summarise it.",
    )
    _add_time_scale(demo_cmd)
    _add_common(demo_cmd, remote=False, top=False)

    helps = {
        "watch": "follow an interview live until it ends",
        "status": "print an interview's status and stages",
        "transcript": "print an interview's transcript",
    }
    json_helps = {
        "watch": 'one event per line, {"id": ..., "payload": {...}}, for piping',
        "status": "the service's answer as JSON",
        "transcript": "the service's answer as JSON",
    }
    for name, text in helps.items():
        remote = commands.add_parser(name, help=text, description=text + ".")
        remote.add_argument("interview_id", metavar="INTERVIEW_ID")
        remote.add_argument("--json", action="store_true", help=json_helps[name])
        _add_common(remote, remote=True, top=False)
    return parser


def _add_time_scale(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-scale",
        type=_time_scale,
        default=1.0,
        metavar="X",
        help="factor on the scripted pauses: 1 is real pace, 0 no pause (default 1)",
    )


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is now, which rich's ``Live`` redirects."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _configure_logging(verbose: int, debug: bool) -> None:
    """Send log records to stderr at the level the flags ask for.

    Args:
        verbose: How many ``-v``: 0 warnings, 1 info, 2 or more debug.
        debug: Log at debug level whatever ``verbose`` says.
    """
    level = logging.DEBUG if debug or verbose >= 2 else logging.WARNING
    if verbose == 1 and not debug:
        level = logging.INFO
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CurrentStderr)]:
        root.removeHandler(handler)
    handler = _CurrentStderr()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)


def _describe(error: BaseException, args: argparse.Namespace) -> tuple[str, int]:
    """Say in one line what failed and what to try, with the exit code."""
    if isinstance(error, ConfigurationError | InvalidArgumentError):
        # The library speaks to code; name the flag instead of the argument.
        return str(error).replace("api_key=...", "--api-key"), _EXIT_USAGE
    local = args.command in ("serve", "demo")
    if local and isinstance(error, OSError) and not isinstance(error, SupermeError):
        return f"cannot start the simulator: {error}; try another --port", _EXIT_FAILED
    where = getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV)
    return _explain(error, where or "the service"), _EXIT_FAILED


def _explain(error: BaseException, where: str) -> str:
    if isinstance(error, AuthenticationError):
        hint = f"check --api-key, ${API_KEY_ENV} or ~/.superme/token"
        return f"{where} refused the API key ({error.status_code}); {hint}"
    if isinstance(error, NotFoundError):
        return f"not found: {error.detail}; check the interview id"
    if isinstance(error, RateLimitError):
        wait = f"in {error.retry_after:g} s" if error.retry_after else "later"
        return f"rate limited by {where}; try again {wait}"
    if isinstance(error, ApiError):
        return f"the service answered: {error}"
    if isinstance(error, OSError):  # TransportError, or one the library let by
        hint = f"check --base-url or ${BASE_URL_ENV}, and that the service is up"
        return f"cannot reach {where}: {error}; {hint}"
    if isinstance(error, StreamError):
        return f"the event stream stopped: {error}; run again to resume"
    if isinstance(error, SupermeError):
        return f"{error}; run again with --debug for details"
    return f"unexpected {type(error).__name__}: {error}; run again with --debug"


async def _run(args: argparse.Namespace, out: Output) -> None:
    if args.command == "serve":
        await serve(args.host, args.port, args.time_scale)
    elif args.command == "demo":
        await demo(out, args.time_scale)
    else:
        async with RxSuperMeClient(args.api_key, base_url=args.base_url) as client:
            await _REMOTE[args.command](client, args.interview_id, out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` if None.
    """
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose, args.debug)
    interactive = sys.stdout.isatty()
    console = Console(highlight=False, soft_wrap=not interactive)
    out = Output(console, interactive, json=getattr(args, "json", False))

    try:
        asyncio.run(_run(args, out))
    except KeyboardInterrupt:
        return _EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader left (`| head`): nothing more to say, and nowhere to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _EXIT_FAILED
    except Exception as error:
        message, code = _describe(error, args)
        logger.debug("%s ended by %s", args.command, type(error).__name__)
        if args.debug:
            traceback.print_exc()
        print(f"superme-rx {args.command}: {_redact(message, args)}", file=sys.stderr)
        return code
    return 0


def _redact(message: str, args: argparse.Namespace) -> str:
    """Keep any key out of the message, should the service have echoed it."""
    line = " ".join(message.split())
    for key in (getattr(args, "api_key", None), os.environ.get(API_KEY_ENV)):
        if key and key.strip():
            line = line.replace(key.strip(), "***")
    return line
