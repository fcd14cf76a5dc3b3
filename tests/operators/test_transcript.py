"""live_transcript in virtual time."""

from __future__ import annotations

from reactivex.testing import ReactiveTest, TestScheduler

from superme_rx.models import Transcript, TranscriptMessage, TranscriptStage
from superme_rx.operators import live_transcript

from ._helpers import message, stage, status, token

on_next = ReactiveTest.on_next
on_error = ReactiveTest.on_error
on_completed = ReactiveTest.on_completed
subscribe = ReactiveTest.subscribe


def _transcript(
    *stages: tuple[int | None, str | None, list[tuple[str, str]]],
) -> Transcript:
    return Transcript(
        transcript=tuple(
            TranscriptStage(
                stage_number=number,
                name=name,
                messages=tuple(
                    TranscriptMessage(role=r, content=c) for r, c in messages
                ),
            )
            for number, name, messages in stages
        )
    )


def test_live_transcript_emits_after_each_change() -> None:
    """Each new stage or whole message gives the updated transcript at that tick."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Hi")),
        on_next(230, message("Hi")),
        on_next(240, status("awaiting_input")),
        on_next(250, message("Hello", role="candidate")),
        on_next(260, stage(2, "Design")),
        on_next(270, message("Q2")),
        on_next(280, status("completed")),
        on_completed(290),
    )

    results = scheduler.start(lambda: xs.pipe(live_transcript()))

    intro_hi = (1, "Intro", [("company", "Hi")])
    intro_both = (1, "Intro", [("company", "Hi"), ("candidate", "Hello")])
    assert results.messages == [
        on_next(210, _transcript((1, "Intro", []))),
        on_next(230, _transcript(intro_hi)),
        on_next(250, _transcript(intro_both)),
        on_next(260, _transcript(intro_both, (2, "Design", []))),
        on_next(270, _transcript(intro_both, (2, "Design", [("company", "Q2")]))),
        on_completed(290),
    ]


def test_live_transcript_counts_token_only_messages_once_joined() -> None:
    """A message streamed only as tokens enters whole when it ends."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, token("Wel")),
        on_next(230, token("come")),
        on_next(240, status("awaiting_input")),
        on_completed(250),
    )

    results = scheduler.start(lambda: xs.pipe(live_transcript()))

    assert results.messages == [
        on_next(210, _transcript((1, "Intro", []))),
        on_next(240, _transcript((1, "Intro", [("company", "Welcome")]))),
        on_completed(250),
    ]


def test_live_transcript_can_leave_out_token_only_messages() -> None:
    """With include_streamed=False only message events enter the transcript."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, token("streamed")),
        on_next(220, status("awaiting_input")),
        on_next(230, message("whole", number=1)),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(live_transcript(include_streamed=False)))

    assert results.messages == [
        on_next(230, _transcript((1, None, [("company", "whole")]))),
        on_completed(240),
    ]


def test_live_transcript_files_late_message_under_its_stage() -> None:
    """A message naming an earlier stage is added to that stage, not the current."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, stage(2, "Design")),
        on_next(230, message("late", number=1)),
        on_completed(240),
    )

    results = scheduler.start(lambda: xs.pipe(live_transcript()))

    assert results.messages[-2:] == [
        on_next(
            230, _transcript((1, "Intro", [("company", "late")]), (2, "Design", []))
        ),
        on_completed(240),
    ]


def test_live_transcript_final_value_matches_rest_shape() -> None:
    """The last transcript equals the REST answer parsed from its JSON shape."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(
        on_next(210, stage(1, "Intro")),
        on_next(220, message("Q", number=1)),
        on_next(230, message("A", role="candidate", number=1)),
        on_completed(240),
    )
    rest = Transcript.model_validate(
        {
            "transcript": [
                {
                    "number": 1,
                    "stage": "Intro",
                    "messages": [
                        {"role": "company", "content": "Q"},
                        {"role": "candidate", "message": "A"},
                    ],
                }
            ]
        }
    )

    results = scheduler.start(lambda: xs.pipe(live_transcript()))

    assert results.messages[-2] == on_next(230, rest)


def test_live_transcript_passes_errors() -> None:
    """An error passes through unchanged."""
    scheduler = TestScheduler()
    boom = RuntimeError("boom")
    xs = scheduler.create_hot_observable(on_next(210, stage(1)), on_error(300, boom))

    results = scheduler.start(lambda: xs.pipe(live_transcript()))

    assert results.messages == [
        on_next(210, _transcript((1, None, []))),
        on_error(300, boom),
    ]


def test_live_transcript_disposal_unsubscribes() -> None:
    """Disposing unsubscribes from the source and stops the output."""
    scheduler = TestScheduler()
    xs = scheduler.create_hot_observable(on_next(210, stage(1)), on_next(300, stage(2)))

    results = scheduler.start(lambda: xs.pipe(live_transcript()), disposed=250)

    assert results.messages == [on_next(210, _transcript((1, None, [])))]
    assert xs.subscriptions == [subscribe(200, 250)]
