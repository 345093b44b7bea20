# ruff: noqa: E501  (snapshots hold whole comment lines)
"""The apply outcome when a training may run unrecorded: its own result, never `failed` at 0 CU."""

from __future__ import annotations

from inline_snapshot import external_file, snapshot

from trainops.plan import EpochSamples, ModelOutcome, Outcome, SampleImage
from trainops.render.outcome import OutcomeLinks
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


def _results(n_epochs: int, url: str) -> ModelOutcome:
    samples = tuple(
        SampleImage(p, f"{url}{i}.png", f"asset_{i}") for i, p in enumerate(("a cat", None))
    )
    return ModelOutcome(
        "px",
        "train",
        "done",
        "trained",
        job_id="job_1",
        cost=14,
        model_id="model_1",
        duration_s=754,
        epochs=tuple(EpochSamples(f"{n:024x}", samples) for n in range(1, n_epochs + 1)),
    )


def test_a_finished_training_shows_its_duration_link_and_one_grid_row_per_epoch() -> None:
    outcome = Outcome((_results(2, "https://cdn.example/s"),))
    links = OutcomeLinks(model="https://app.example/{modelId}", run_url=None, now=0)
    assert render_outcome_markdown(outcome, links) == snapshot("""\
### trainops apply

✅ **Applied: 1 done, 0 skipped**

| Model | Action | Result | Detail | Job | Cost (CU) | Duration |
|---|---|---|---|---|---|---|
| <a href="https://app.example/model_1">px</a> | train | ✅ done | trained | <code>job&#95;1</code> | 14 | 12 min 34 s |

#### Samples of px

| Epoch | a cat | sample 2 |
|---|---|---|
| 1 <code>00000000</code> | <a href="https://cdn.example/s0.png"><img src="https://cdn.example/s0.png" width="128" alt="px epoch 1: a cat"></a> | <a href="https://cdn.example/s1.png"><img src="https://cdn.example/s1.png" width="128" alt="px epoch 1: sample 2"></a> |
| 2 <code>00000000</code> | <a href="https://cdn.example/s0.png"><img src="https://cdn.example/s0.png" width="128" alt="px epoch 2: a cat"></a> | <a href="https://cdn.example/s1.png"><img src="https://cdn.example/s1.png" width="128" alt="px epoch 2: sample 2"></a> |

<sub>Apply: 1 done, 0 failed, 0 skipped. Cost: 14 CU.</sub>
""")


def test_over_the_size_limit_the_sample_grids_go_first_with_a_note() -> None:
    outcome = Outcome((_results(400, "https://cdn.example/s"),))
    full = render_outcome_markdown(outcome)
    assert len(full) > 65_536
    short = render_outcome_markdown(outcome, max_chars=65_000)
    assert "<img" not in short
    assert "sample images were left out to fit GitHub's comment size limit" in short
    assert "| 12 min 34 s |" in short  # the table itself is kept


def test_expiring_sample_links_say_when_and_point_to_the_report() -> None:
    signed = "https://cdn.example/s?Expires=7200&Signature=abc&Key-Pair-Id=K&x="
    outcome = Outcome((_results(1, signed),))
    run = "https://github.com/o/r/actions/runs/9"
    links = OutcomeLinks(run_url=run, now=0, report_artifact="trainops-report")
    *_, note, report, _summary = render_outcome_markdown(outcome, links).split("\n\n")
    assert note == snapshot(
        "⏳ These sample links are signed and expire in about 2 hours; the <b>trainops-report</b> artifact of this run keeps a copy."
    )
    assert report == snapshot(
        '🖼️ Every dataset as thumbnails, with captions, parameters and the epochs\' samples of trained models: the <b>trainops-report</b> artifact of <a href="https://github.com/o/r/actions/runs/9">this run</a> (one HTML page).'
    )
    # No report made in this run (action input `report: false`, or outside CI): none named.
    late = OutcomeLinks(run_url=run, now=10_000)
    assert (
        "expire (some already have); `trainops report` keeps a lasting copy (one HTML page, "
        "pictures embedded)."
    ) in render_outcome_markdown(outcome, late)
    assert "trainops-report" not in render_outcome_markdown(outcome, late)
