"""awaiting_input in virtual time."""

from __future__ import annotations

from reactivex.testing import ReactiveTest, TestScheduler

from superme_rx.operators import Message, Prompt, awaiting_input

from ._helpers import message, stage, status, token, values

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def test_awaiting_input_emits_prompt_with_question_and_messages() -> None:
    """A wait gives the stage, its messages and the interviewer's last one."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Welcome.")),
        on_next(230, token("Who are ")),
        on_next(240, token("you?")),
        on_next(250, status("awaiting_input", sse_id="7")),
        on_completed(260),
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")))

    prompt = Prompt(
        interview_id="iv-1",
        stage_number=1,
        stage_name="Intro",
        question="Who are you?",
        messages=(
            Message("company", "Welcome.", 1),
            Message("company", "Who are you?", 1, from_tokens=True),
        ),
        event_id="7",
    )
    assert results.messages == [on_next(250, prompt), on_completed(260)]
    assert prompt.key == ("iv-1", 1, "Who are you?")


def test_awaiting_input_drops_repeated_wait() -> None:
    """A second awaiting_input with no new message in between gives no prompt."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Q1")),
        on_next(230, status("awaiting_input")),
        on_next(240, status("in_progress")),
        on_next(250, stage(1, "Intro")),
        on_next(260, status("AWAITING_INPUT")),
        on_next(270, message("Q2")),
        on_next(280, status("awaiting_input")),
        on_completed(290),
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")))

    assert [(tick, p.question) for tick, p in values(results)] == [
        (230, "Q1"),
        (280, "Q2"),
    ]
    assert results.messages[-1] == on_completed(290)


def test_awaiting_input_question_ignores_candidate_messages() -> None:
    """The question is the interviewer's last message, not the candidate's."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(2, "Design")),
        on_next(220, message("Design a queue.", role=None)),
        on_next(230, message("Can I ask something?", role="candidate")),
        on_next(240, status("awaiting_input")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")))

    assert [p.question for _, p in values(results)] == ["Design a queue."]


def test_awaiting_input_new_stage_is_a_new_wait() -> None:
    """Entering another stage makes the next wait new even without a message."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, status("awaiting_input")),
        on_next(230, stage(2, "Design")),
        on_next(240, status("awaiting_input")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")))

    assert results.messages == [
        on_next(220, Prompt("iv-1", 1, "Intro", None)),
        on_next(240, Prompt("iv-1", 2, "Design", None)),
        on_completed(250),
    ]


def test_awaiting_input_passes_errors() -> None:
    """An error passes through after the prompts before it."""
    scheduler = TestScheduler()
    boom = RuntimeError("boom")
    xs = scheduler.create_hot_observable(
        on_next(210, status("awaiting_input")), on_error(220, boom)
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")))

    assert results.messages == [
        on_next(210, Prompt("iv-1", None, None, None)),
        on_error(220, boom),
    ]


def test_awaiting_input_disposal_unsubscribes() -> None:
    """A disposed subscription unsubscribes and hears no later wait."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, message("Q")), on_next(600, status("awaiting_input"))
    )

    results = scheduler.start(lambda: xs.pipe(awaiting_input("iv-1")), disposed=500)

    assert results.messages == []
    assert xs.subscriptions == [subscribe(200, 500)]
