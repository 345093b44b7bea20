"""The apply outcome when a training may run unrecorded: its own result, never `failed` at 0 CU."""

from __future__ import annotations

from inline_snapshot import external_file, snapshot

from trainops.plan import ModelOutcome, Outcome
from trainops.render.text import render_outcome_markdown, render_outcome_text

STARTED = ModelOutcome(
    "a",
    "train",
    "unrecorded",
    "training started but not recorded: run apply again to record it (it never trains twice); "
    "update tags of model m1: unavailable (503)",
    job_id="job_1",
    cost=12,
)
MAYBE = ModelOutcome(
    "b",
    "create",
    "unrecorded",
    "a training may have started: run apply again to record it (it never trains twice); the "
    "trigger was not confirmed: the request timed out, and the model could not be re-read",
)


def test_unrecorded_trainings_are_counted_apart_and_their_unknown_cost_is_said() -> None:
    outcome = Outcome((STARTED, MAYBE, ModelOutcome("c", "train", "done", "training started")))
    assert outcome.failed
    assert render_outcome_text(outcome, color=False) == external_file(
        "snapshots/outcome-unrecorded.txt", format=".txt"
    )
    assert render_outcome_markdown(outcome) == external_file(
        "snapshots/outcome-unrecorded.md", format=".txt"
    )


def test_a_failure_beside_an_unrecorded_training_is_the_verdict() -> None:
    failed = ModelOutcome("c", "train", "failed", "refused (400)")
    markdown = render_outcome_markdown(Outcome((MAYBE, failed)))
    assert markdown.splitlines()[2] == snapshot("❌ **Apply failed for 1 of 2 models**")


def test_a_training_waiting_for_a_person_is_its_own_verdict() -> None:
    blocked = ModelOutcome(
        "voice",
        "create",
        "blocked",
        "pending-captcha: a person must finish this professional voice clone in Scenario's web app",
        job_id="job_2",
        cost=500,
    )
    outcome = Outcome((ModelOutcome("a", "train", "done", "trained", cost=15), blocked))
    assert outcome.failed  # --wait could not follow it to its end: exit 1
    assert render_outcome_markdown(outcome).splitlines()[:3] == snapshot(
        ["### trainops apply", "", "✋ **1 training waiting for a person in Scenario's web app**"]
    )
    assert render_outcome_text(outcome, color=False).splitlines()[-1] == snapshot(
        "Apply: 1 done, 0 failed, 0 skipped, 1 waiting for a person. Cost: 515 CU."
    )


def _deferred(key: str, by: str = "the team's limit of 1 parallel training") -> ModelOutcome:
    return ModelOutcome(
        key, "create", "deferred", f"deferred by {by}: the next apply starts it", deferred_by=by
    )


def test_deferred_trainings_say_which_limit_and_that_the_next_apply_starts_them() -> None:
    started = ModelOutcome("a", "create", "done", "training started", job_id="job_1", cost=15)
    outcome = Outcome((started, _deferred("b"), _deferred("c"), _deferred("d")))
    assert not outcome.failed  # the change is kept: not a failure
    assert outcome.data()["summary"] == {
        "done": 1,
        "failed": 0,
        "skipped": 0,
        "unrecorded": 0,
        "blocked": 0,
        "deferred": 3,
        "total_cost": 15,
    }
    assert render_outcome_markdown(outcome).splitlines()[:3] == snapshot(
        [
            "### trainops apply",
            "",
            "⏸️ **3 trainings deferred by the team&#39;s limit of 1 parallel training: the next "
            "apply starts them**",
        ]
    )
    assert render_outcome_text(outcome, color=False).splitlines()[-4:] == snapshot(
        [
            "  … d: create deferred — deferred by the team's limit of 1 parallel training: the "
            "next apply starts it",
            "",
            "3 trainings deferred by the team's limit of 1 parallel training: the next apply "
            "starts them",
            "Apply: 1 done, 0 failed, 0 skipped, 3 deferred. Cost: 15 CU.",
        ]
    )


def test_a_failure_beside_deferred_trainings_is_the_verdict_and_the_deferral_still_said() -> None:
    failed = ModelOutcome("a", "train", "failed", "refused (400)")
    cooled = _deferred("c", "the team's launch cooldown")
    markdown = render_outcome_markdown(Outcome((failed, _deferred("b"), cooled)))
    assert markdown.splitlines()[2:5] == snapshot(
        [
            "❌ **Apply failed for 1 of 3 models**",
            "",
            "⏸️ 2 trainings deferred by the team&#39;s limit of 1 parallel training and the "
            "team&#39;s launch cooldown: the next apply starts them",
        ]
    )
