"""assemble_messages in virtual time."""

from __future__ import annotations

from reactivex.testing import ReactiveTest, TestScheduler

from superme_rx.operators import Message, assemble_messages

from ._helpers import message, stage, status, token

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def test_assemble_messages_emits_tokens_then_message_once() -> None:
    """Tokens confirmed by a message with the same text give one message."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Tell me ")),
        on_next(230, token("about yourself.")),
        on_next(240, message("Tell me about yourself.")),
        on_next(250, status("awaiting_input")),
        on_completed(260),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(240, Message("company", "Tell me about yourself.", 1)),
        on_completed(260),
    ]


def test_assemble_messages_joins_unconfirmed_tokens_at_status() -> None:
    """Tokens alone come out joined, flagged, when a status ends them."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(220, token("Hello, ")),
        on_next(230, token("welcome.")),
        on_next(240, status("awaiting_input")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(240, Message("company", "Hello, welcome.", 1, from_tokens=True)),
        on_completed(250),
    ]


def test_assemble_messages_passes_messages_alone() -> None:
    """Messages without tokens pass as they are, their role and stage kept."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(2, "Design")),
        on_next(220, message("Q", role="company")),
        on_next(230, message("A", role="candidate", number=2)),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(220, Message("company", "Q", 2)),
        on_next(230, Message("candidate", "A", 2)),
        on_completed(240),
    ]


def test_assemble_messages_drops_message_repeating_flushed_tokens() -> None:
    """A message arriving after a status already ended its tokens is not doubled."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("Why")),
        on_next(220, token(" Rx?")),
        on_next(230, status("awaiting_input")),
        on_next(240, message("Why  Rx?", role=None)),
        on_next(250, message("Why Rx?")),
        on_completed(260),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(230, Message("company", "Why Rx?", None, from_tokens=True)),
        on_next(250, Message("company", "Why Rx?", None)),
        on_completed(260),
    ]


def test_assemble_messages_splits_on_role_and_stage_change() -> None:
    """A token of another role, or a stage_change, ends the message being streamed."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1)),
        on_next(220, token("Q1")),
        on_next(230, token("A1", role="candidate")),
        on_next(240, stage(2)),
        on_next(250, token("Q2")),
        on_completed(260),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(230, Message("company", "Q1", 1, from_tokens=True)),
        on_next(240, Message("candidate", "A1", 1, from_tokens=True)),
        on_next(260, Message("company", "Q2", 2, from_tokens=True)),
        on_completed(260),
    ]


def test_assemble_messages_keeps_both_when_texts_differ() -> None:
    """A message with other text than the streamed tokens is a second message."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("Draft")),
        on_next(220, message("Final")),
        on_completed(230),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [
        on_next(220, Message("company", "Draft", None, from_tokens=True)),
        on_next(220, Message("company", "Final", None)),
        on_completed(230),
    ]


def test_assemble_messages_ignores_blank_token_runs() -> None:
    """Tokens that join to whitespace make no message."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token(" ")),
        on_next(220, status("active")),
        on_completed(230),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [on_completed(230)]


def test_assemble_messages_drops_pending_tokens_on_error() -> None:
    """An error passes through; an unfinished token run is not emitted."""
    scheduler = TestScheduler()
    boom = RuntimeError("stream lost")
    xs = scheduler.create_hot_observable(
        on_next(210, token("Half a")),
        on_error(220, boom),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()))

    assert results.messages == [on_error(220, boom)]


def test_assemble_messages_disposal_unsubscribes() -> None:
    """Disposing stops the output and unsubscribes from the source."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, message("a")),
        on_next(600, message("b")),
    )

    results = scheduler.start(lambda: xs.pipe(assemble_messages()), disposed=400)

    assert results.messages == [on_next(210, Message("company", "a", None))]
    assert xs.subscriptions == [subscribe(200, 400)]
