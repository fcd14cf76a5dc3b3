"""The ``superme-rx`` command line, run for real: subprocesses, pipes and a pty."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest
from reactivex import operators as ops

from superme_rx import RxSuperMeClient
from superme_rx.cli import main
from superme_rx.operators import Prompt, auto_reply
from superme_rx.simulator import ROLE_ORDINARY, ROLE_WITHDRAWN, Simulator

from ._terminal import ANSI, CLI, Terminal, cli_env, default_sigint

KEY = "not-a-key-but-SECRET-1234"


Spawn = Callable[..., Coroutine[Any, Any, Process]]
Open = Callable[..., Terminal]


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    """Start the command line with pipes; whatever still runs at the end is killed."""
    started: list[Process] = []

    async def start(*args: str) -> Process:
        process = await asyncio.create_subprocess_exec(
            CLI, *args, env=cli_env(), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, preexec_fn=default_sigint,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
def terminal() -> Iterator[Open]:
    """Start the command line in a pty; whatever still runs at the end is ended."""
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        started.append(Terminal(*args))
        return started[-1]

    yield start
    for term in started:
        term.close()


async def run_cli(spawn: Spawn, *args: str) -> tuple[int, str, str]:
    """Run the command line to its end, while this loop keeps serving."""
    process = await spawn(*args)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def remote(sim: Simulator, *args: str) -> list[str]:
    """Arguments reaching ``sim`` with its key."""
    return [*args, "--base-url", sim.base_url, "--api-key", sim.api_key]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo the logging setup of in-process runs of ``main``."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def start(client: RxSuperMeClient, role: str = ROLE_ORDINARY) -> str:
    """Start an interview and return its id."""
    return (await client.start_interview(role)).interview_id


async def answer_all(client: RxSuperMeClient, interview_id: str) -> None:
    """Answer every question of the interview until it ends."""

    def reply(prompt: Prompt) -> str:
        return f"My answer about stage {prompt.stage_number}."

    replying = auto_reply(client, interview_id, reply)
    await client.stream_interview(interview_id).pipe(replying, ops.to_list())


@pytest.mark.parametrize(
    "command", ["", "serve", "demo", "watch", "status", "transcript"]
)
def test_cli_help_describes_each_command(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--help`` works on the program and every subcommand and exits 0."""
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"] if command else ["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "usage: superme-rx" in shown
    assert "--debug" in shown
    if not command:
        assert all(c in shown for c in ("serve", "demo", "watch", "transcript"))


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A negative time scale is refused by the parser with exit code 2."""
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--time-scale", "-1"])
    assert exited.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err


def test_cli_missing_key_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without any API key, one line names the places to put it; exit code 2."""
    assert main(["status", "iv-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SUPERME_API_KEY" in err and "--api-key" in err


async def test_cli_unreachable_service_exits_1_without_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A refused connection gives one line naming the URL, never the key."""
    args = ["status", "iv-1", "--base-url", "http://127.0.0.1:9", "--api-key", KEY]
    assert await asyncio.to_thread(main, args) == 1
    err = capsys.readouterr().err
    assert err.startswith("superme-rx status: cannot reach http://127.0.0.1:9")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "SECRET" not in err


async def test_cli_rejected_key_exits_1_without_key(
    sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 401 is one line saying the key was refused, without the key."""
    args = ["status", "iv-1", "--base-url", sim.base_url, "--api-key", KEY]
    assert await asyncio.to_thread(main, args) == 1
    err = capsys.readouterr().err
    assert "refused the API key (401)" in err
    assert "SECRET" not in err and err.count("\n") == 1


async def test_cli_debug_shows_traceback_of_unknown_interview(
    sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown id is one line, exit 1; ``--debug`` adds the traceback."""
    assert await asyncio.to_thread(main, remote(sim, "watch", "iv-nope")) == 1
    assert "not found" in capsys.readouterr().err

    assert await asyncio.to_thread(main, remote(sim, "--debug", "watch", "iv-x")) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


async def test_cli_status_and_transcript_read_well_and_as_json(
    sim: Simulator, client: RxSuperMeClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """status and transcript print readable lines, or the service's JSON."""
    interview_id = await start(client)
    await answer_all(client, interview_id)

    assert await asyncio.to_thread(main, remote(sim, "status", interview_id)) == 0
    shown = capsys.readouterr().out
    assert f"interview {interview_id}: completed" in shown
    assert "stage 2 Technical Experience: COMPLETED" in shown

    assert await asyncio.to_thread(main, remote(sim, "transcript", interview_id)) == 0
    shown = capsys.readouterr().out
    assert "4 stages, 15 messages" in shown
    assert "  candidate: My answer about stage 3." in shown

    args = remote(sim, "transcript", interview_id, "--json")
    assert await asyncio.to_thread(main, args) == 0
    stages = json.loads(capsys.readouterr().out)["transcript"]
    assert [s["name"] for s in stages][-1] == "Wrap-up"


async def test_cli_watch_plain_follows_a_live_interview(
    sim: Simulator, client: RxSuperMeClient, spawn: Spawn
) -> None:
    """Through a pipe, watch prints lines as the interview goes, then a summary."""
    interview_id = await start(client)
    process = await spawn(*remote(sim, "watch", interview_id))
    assert process.stdout is not None
    seen: list[str] = []
    while not seen or "status awaiting_input" not in seen[-1]:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, f"watch ended early: {seen}"
        seen.append(line.decode())

    await answer_all(client, interview_id)
    rest, err = await asyncio.wait_for(process.communicate(), 20)
    text = "".join(seen) + rest.decode()

    assert process.returncode == 0, err
    assert not ANSI.search(text)
    assert "stage 2 of 4 · Technical Experience" in text
    assert "interviewer: Which service that you built" in text
    assert "candidate: My answer about stage 2." in text
    assert "status completed" in text
    assert re.search(r"summary: completed after [\d.]+ s, 4 stages, 15 messages", text)
    assert re.search(r"^\[\s+\d+\.\ds\] stage 1 of 4", text, re.MULTILINE)


async def test_cli_watch_json_prints_one_event_per_line(
    sim: Simulator, client: RxSuperMeClient, spawn: Spawn
) -> None:
    """``watch --json`` prints each event as one JSON object with its id."""
    interview_id = await start(client, ROLE_WITHDRAWN)
    code, out, _ = await run_cli(spawn, *remote(sim, "watch", interview_id, "--json"))

    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["id"] for e in events] == [str(n) for n in range(1, len(events) + 1)]
    assert events[0]["payload"]["status"] == "preparing"
    assert events[-1]["payload"] == {**events[-1]["payload"], "status": "withdrawn"}


async def test_cli_watch_live_view_in_a_terminal(
    sim: Simulator, client: RxSuperMeClient, terminal: Open
) -> None:
    """In a pty, watch draws a live panel, then leaves the messages and a table."""
    interview_id = await start(client)
    term = terminal(*remote(sim, "watch", interview_id))
    during = await asyncio.to_thread(term.wait_for, "│ status   awaiting_input")
    assert "│ stage    2 of 4 · Technical Experience" in during
    assert "interviewer: Which service that you built" in during

    await answer_all(client, interview_id)
    status = await asyncio.to_thread(term.wait_exit)
    screen = term.screen

    assert status == 0
    assert "\x1b[?25l" in term.raw  # rich's Live hides the cursor while it draws
    assert "candidate: My answer about stage 3." in screen
    assert re.search(r"│\s+2 │ Technical Experience\s+│\s+4 │\s+2 │", screen)
    assert "╭─ interview" not in screen


@pytest.mark.parametrize("command", ["watch", "demo"])
async def test_cli_ctrl_c_exits_130_quietly(
    command: str, sim: Simulator, client: RxSuperMeClient, terminal: Open
) -> None:
    """Ctrl-C while following an interview ends with 130 and nothing on stderr."""
    if command == "watch":
        term = terminal(*remote(sim, "watch", await start(client)))
    else:
        term = terminal("demo", "--time-scale", "0.3")
    await asyncio.to_thread(term.wait_for, "│ status   awaiting_input")
    term.child.sendintr()
    status = await asyncio.to_thread(term.wait_exit)

    assert status == 130
    assert "Traceback" not in term.raw
    assert "ERROR" not in term.raw and "exception" not in term.raw


def test_cli_demo_live_view_in_a_terminal(terminal: Open) -> None:
    """The demo in a pty streams words, shows replies and ends with a summary."""
    term = terminal("demo", "--time-scale", "0.2")
    term.wait_for("│ stage    2 of 4 · Technical Experience")
    term.wait_for("│ interviewer ▸ ")
    term.wait_for("candidate: A payments API peaking")
    status = term.wait_exit()
    screen = term.screen

    assert status == 0
    assert "submitted for scoring" in screen
    assert "summary: scored after" in screen
    assert "transcript from the service: 4 stages, 15 messages" in screen
    assert "╭─ interview" not in screen


async def test_cli_demo_plain_through_a_pipe(spawn: Spawn) -> None:
    """Through a pipe the demo prints stamped plain lines and a summary, no escapes."""
    code, out, err = await run_cli(spawn, "demo", "--time-scale", "0")

    assert code == 0, err
    assert not ANSI.search(out)
    assert "candidate: A token bucket per client" in out
    assert "summary: scored after" in out
    assert "  stage 3 System Design: 4 interviewer, 2 candidate" in out


async def test_cli_serve_prints_url_key_and_stops_on_ctrl_c(spawn: Spawn) -> None:
    """serve prints a usable URL, key and export line; SIGINT ends it with 130."""
    process = await spawn("serve", "--port", "0", "--time-scale", "0")
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("press Ctrl-C"):
        lines.append((await asyncio.wait_for(process.stdout.readline(), 20)).decode())
    export = next(line for line in lines if line.startswith("export "))
    found = re.fullmatch(
        r"export SUPERME_BASE_URL=(\S+) SUPERME_API_KEY=(\S+)\n", export
    )
    assert found is not None
    url, key = found.groups()

    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        answer = await http.post(
            "/api/v3/agent/interview/start", json={"role_id": ROLE_ORDINARY}
        )
    process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(process.communicate(), 20)

    assert answer.status_code == 200
    assert f"API key (for this simulator only): {key}\n" in lines
    assert process.returncode == 130
    assert b"Traceback" not in err
