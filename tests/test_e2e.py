# ruff: noqa: E501  (snapshots hold whole output lines)
"""`trainops plan` and `trainops apply` end to end: the CLI in a real git workspace, against the
embedded sandbox (`--sandbox`, state in `.trainops/sandbox.db`) or a served one over real HTTP.

Trained starting states are made in-process at a high sandbox speed on the same state file the
CLI's `--sandbox` opens, so no test waits for a simulated training.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot

from tests.support.aio import synchronous
from tests.support.cli import Cli, scrub
from tests.support.paths import EXAMPLES
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import (
    all_models,
    app_for,
    client_for,
    commit,
    edit,
    init_repo,
    jobs,
    png,
    write_model,
)
from trainops.sandbox import Limits


def outcome(out: str) -> str:
    """What apply printed after the plan it showed: the per-model results and the summary."""
    return out[out.index("\n", out.index("\nPlan: ") + 1) + 1 :]


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    """`trainops ...` run in the workspace."""
    cli.cwd = ws
    return cli


@pytest.fixture
def http_sandbox(ws: Path, cli: Cli, serve: Serve) -> str:
    """A served sandbox (fast trainings) the CLI reaches over HTTP with credentials from env."""
    base_url = serve(app_for(ws, speed=1000.0))
    cli.env.update(api_env(base_url))
    return base_url


@synchronous
async def change_by_hand(
    root: Path, model: str, *, image: bytes | None = None, **fields: Any
) -> None:
    """What someone does in the web app: edits the live model named `model` outside trainops."""
    async with client_for(app_for(root), root) as client:
        found = next(m for m in await client.list_models() if m.name == model)
        await client.update_model(found.id, **fields)
        if image is not None:
            await client.add_training_image(
                found.id, name="by-hand.png", data=image, mime="image/png"
            )


# --- the whole cycle --------------------------------------------------------------------------


def test_empty_sandbox_plans_creates_applies_waits_then_has_nothing_to_do(
    ws: Path, cli: Cli, http_sandbox: str
) -> None:
    assert cli("plan", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  + alpha will be created and trained  [alpha/model.yaml:1]
      # no live model: create it, upload 5 training files and train
      + parameter conceptPrompt = "alpha"
      + parameter maxTrainSteps = 100
      + image alpha-1.png
      + image alpha-2.png
      + image alpha-3.png
      + image alpha-4.png
      + image alpha-5.png
      + name = "Alpha"
      + tag trainops:e2e/alpha
      = estimated cost: 15 CU (estimated with a dry run on the workspace's empty price probe model_ID)

  + beta will be created and trained  [beta/model.yaml:1]
      # no live model: create it, upload 5 training files and train
      + parameter conceptPrompt = "beta"
      + parameter maxTrainSteps = 200
      + image beta-1.png
      + image beta-2.png
      + image beta-3.png
      + image beta-4.png
      + image beta-5.png
      + name = "Beta"
      + tag trainops:e2e/beta
      = estimated cost: 20 CU (estimated with a dry run on the workspace's empty price probe model_ID)

Plan: 2 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 35 CU.
""")
    assert cli("apply", "--yes", "--wait", "--poll-interval", "0.05") == 0
    assert scrub(outcome(cli.out)) == snapshot("""\
  ✓ alpha: create done — trained (job job_ID, 15 CU)
  ✓ beta: create done — trained (job job_ID, 20 CU)

Apply: 2 done, 0 failed, 0 skipped. Cost: 35 CU.
""")
    assert cli("plan", "--detailed-exitcode") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

2 models up to date.
No changes. The live models match the manifests.
Plan: 0 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 0 CU.
""")
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


def test_the_examples_apply_and_end_up_up_to_date(tmp_path: Path, cli: Cli, serve: Serve) -> None:
    """The quickstart: every kind of model (captions, pairs, voice) through the whole cycle."""
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".trainops"))
    init_repo(root)
    cli.cwd = root
    cli.env.update(api_env(serve(app_for(root, speed=1000.0))))
    assert cli("apply", "--yes", "--wait", "--poll-interval", "0.05") == 0
    assert scrub(outcome(cli.out)) == snapshot("""\
  ✓ day-to-night: create done — trained (job job_ID, 95 CU)
  ✓ hero-character: create done — trained (job job_ID, 50 CU); 4 epochs with samples: `trainops status hero-character`
  ✓ narrator-voice: create done — trained (job job_ID, 50 CU)
  ✓ watercolor-style: create done — trained (job job_ID, 37 CU)

Apply: 4 done, 0 failed, 0 skipped. Cost: 232 CU.
""")
    assert cli("plan", "--detailed-exitcode") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace examples · commit HASH · plan HASH

4 models up to date.
No changes. The live models match the manifests.
Plan: 0 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 0 CU.
""")


# --- what counts as a change ------------------------------------------------------------------


def test_one_parameter_change_is_exactly_one_train_showing_old_and_new(
    trained: Path, cli: Cli
) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  ~ alpha (model_ID) will be retrained  [alpha/model.yaml:1]
      # training inputs changed since the last training (fingerprint 6be8b66a -> a7de4960)
      ~ parameter maxTrainSteps: 100 -> 300  (forces training)
      = estimated cost: 25 CU

1 model up to date.
Plan: 0 to create, 1 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 25 CU.
""")


def test_a_renamed_image_is_no_change(trained: Path, cli: Cli) -> None:
    images = trained / "beta" / "images"
    (images / "beta-3.png").rename(images / "beta-three.png")
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

2 models up to date.
No changes. The live models match the manifests.
Plan: 0 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 0 CU.
""")


def test_an_image_with_new_bytes_is_a_train(trained: Path, cli: Cli) -> None:
    (trained / "beta" / "images" / "beta-3.png").write_bytes(png(99))
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  ~ beta (model_ID) will be retrained  [beta/model.yaml:1]
      # training inputs changed since the last training (fingerprint abbb5b71 -> fe6eada7)
      ~ image beta-3.png replaced (new bytes, same name)  (forces training)
      = estimated cost: 20 CU

1 model up to date.
Plan: 0 to create, 1 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 20 CU.
""")


def test_a_changed_caption_file_is_a_train(trained: Path, cli: Cli) -> None:
    (trained / "alpha" / "images" / "alpha-1.txt").write_text("alpha seen from behind\n")
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  ~ alpha (model_ID) will be retrained  [alpha/model.yaml:1]
      # training inputs changed since the last training (fingerprint 6be8b66a -> c91f7a4e)
      ~ caption of alpha-1.png: "alpha seen from the front" -> "alpha seen from behind"  (forces training)
      = estimated cost: 15 CU

1 model up to date.
Plan: 0 to create, 1 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 15 CU.
""")


def test_drift_made_by_hand_is_shown_on_the_model(trained: Path, cli: Cli) -> None:
    change_by_hand(trained, "Alpha", parameters={"maxTrainSteps": 999}, image=png(123))
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  ~ alpha (model_ID) will be updated in place, without training  [alpha/model.yaml:1]
      # changed outside trainops: apply restores the declared values without training
      + parameter conceptPrompt = "alpha"
      ~ parameter maxTrainSteps: 999 -> 100
      - image by-hand.png
      ! drift: parameter conceptPrompt was changed outside trainops
      ! drift: parameter maxTrainSteps was changed outside trainops
      ! drift: image by-hand.png was not uploaded by trainops

1 model up to date.
Plan: 0 to create, 0 to train, 1 to update, 0 waiting, 0 orphaned. Estimated cost: 0 CU.
""")


def test_changed_since_plans_only_the_touched_manifests(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    base = commit(trained, "alpha: more steps")
    assert cli("plan", "--sandbox", "--format", "json", "--changed-since", "HEAD~1") == 0
    doc = json.loads(cli.out)
    assert [(m["name"], m["action"]) for m in doc["models"]] == [("alpha", "train")]
    assert cli("plan", "--sandbox", "--format", "json", "--changed-since", base) == 0
    assert json.loads(cli.out)["models"] == []
    (trained / "beta" / "images" / "beta-2.txt").write_text("a new caption\n")  # uncommitted
    assert cli("plan", "--sandbox", "--format", "json", "--changed-since", base) == 0
    assert [(m["name"], m["action"]) for m in json.loads(cli.out)["models"]] == [("beta", "train")]


# --- never a second training ------------------------------------------------------------------


def test_a_running_training_is_wait_and_apply_triggers_nothing(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox", "--yes") == 0  # speed 1: the training runs for seconds
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  … alpha (model_ID) is training  [alpha/model.yaml:1]
      training: STATUS, job job_ID, 25 CU so far
      # a training is running: trainops never starts another one

1 model up to date.
No changes to apply.
Plan: 0 to create, 0 to train, 0 to update, 1 waiting, 0 orphaned. Estimated cost: 0 CU.
""")
    assert cli("apply", "--sandbox", "--yes") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  … alpha (model_ID) is training  [alpha/model.yaml:1]
      training: STATUS, job job_ID, 25 CU so far
      # a training is running: trainops never starts another one

1 model up to date.
No changes to apply.
Plan: 0 to create, 0 to train, 0 to update, 1 waiting, 0 orphaned. Estimated cost: 0 CU.
""")
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}


def test_a_training_running_on_other_inputs_is_a_pending_training(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox", "--yes") == 0
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 300", "maxTrainSteps: 400")
    # A change still to make, never "no changes".
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  … alpha (model_ID) is training on other inputs: pending training, trains when the running training ends  [alpha/model.yaml:1]
      training: STATUS, job job_ID, 25 CU so far
      # a training is running: trainops never starts another one
      # running on other inputs (fingerprint a7de4960, declared 0a5f445b): the declared inputs train when it ends (`apply --wait` waits for it; `apply --replace-running` cancels it and trains them now; 25 CU spent so far)
      ~ parameter maxTrainSteps: 300 -> 400
      = estimated cost: 30 CU

1 model up to date.
Plan: 0 to create, 0 to train, 0 to update, 1 waiting (1 pending training), 0 orphaned. Estimated cost: 30 CU.
""")
    assert cli("apply", "--sandbox", "--yes") == 0
    assert "· alpha: wait skipped — a training is running on other inputs" in cli.out
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}
    assert cli("apply", "--sandbox", "--yes", "--replace-running") == 0
    assert scrub(outcome(cli.out)) == snapshot("""\
  ✓ alpha: wait done — training started (job job_ID, 30 CU)

Apply: 1 done, 0 failed, 0 skipped, 1 up to date. Cost: 30 CU.
""")
    assert jobs(trained) == {"Alpha": 3, "Beta": 1}
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0
    assert "running on other inputs" not in cli.out


class HeldClock:
    """The sandbox's clock, still until `run()`; then a thousand times faster than real time.
    A training started before `run()` is running for as long as the test needs it to."""

    def __init__(self) -> None:
        self.start = time.time()
        self.since: float | None = None

    def __call__(self) -> float:
        if self.since is None:
            return self.start
        return self.start + (time.monotonic() - self.since) * 1000

    def run(self) -> None:
        self.since = time.monotonic()


def test_apply_wait_trains_a_pending_training_when_the_running_one_ends(
    trained: Path, cli: Cli, serve: Serve
) -> None:
    clock = HeldClock()
    cli.env.update(api_env(serve(app_for(trained, speed=1.0, clock=clock))))
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--yes") == 0
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 300", "maxTrainSteps: 400")
    assert cli("plan", "--detailed-exitcode") == 2
    assert "pending training, trains when the running training ends" in cli.out
    # The running training ends half a second into the apply: then the declared inputs train.
    timer = threading.Timer(0.5, clock.run)
    timer.start()
    try:
        assert cli("apply", "--yes", "--wait", "--poll-interval", "0.05") == 0
    finally:
        timer.cancel()
    assert "alpha: waiting for the running training to end, then training" in cli.err
    assert "✓ alpha: wait done — trained (job job_" in cli.out
    assert jobs(trained) == {"Alpha": 3, "Beta": 1}
    assert cli("plan", "--detailed-exitcode") == 0


def test_one_model_deferred_does_not_stop_the_other_and_a_rerun_completes(
    ws: Path, cli: Cli, serve: Serve
) -> None:
    app = app_for(ws, speed=1000.0, limits=Limits(launch_cooldown_s=600))
    cli.env.update(api_env(serve(app)))
    # The cooldown lets one training start and defers the other (either one): not a failure.
    assert cli("apply", "--yes") == 0
    lines = sorted(scrub(outcome(cli.out)).splitlines())
    assert [line[:4] for line in lines] == ["", "  … ", "  ✓ ", "1 tr", "Appl"]
    assert re.search(r"deferred by the team's launch cooldown \(10 min left\)", lines[1])
    assert lines[3] == "1 training deferred by the team's launch cooldown: the next apply starts it"
    assert lines[4] in (
        "Apply: 1 done, 0 failed, 0 skipped, 1 deferred. Cost: 15 CU.",
        "Apply: 1 done, 0 failed, 0 skipped, 1 deferred. Cost: 20 CU.",
    )
    app.state.sandbox.limits = Limits()
    assert cli("apply", "--yes") == 0
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert cli("plan", "--detailed-exitcode") == 0


# --- saved plans ------------------------------------------------------------------------------


def test_a_saved_plan_applies_when_nothing_changed(trained: Path, cli: Cli) -> None:
    edit(trained / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 0
    assert jobs(trained) == {"Alpha": 1, "Beta": 2}


def test_a_saved_changed_since_plan_applies_when_nothing_changed(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    commit(trained, "alpha: more steps")
    assert cli("plan", "--sandbox", "--changed-since", "HEAD~1", "--out", "plan.json") == 0
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 0, cli.err
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}


def test_a_saved_plan_applies_only_its_models_when_a_manifest_was_added(
    trained: Path, cli: Cli
) -> None:
    edit(trained / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    write_model(trained, "gamma", first_shade=40)
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 0
    assert jobs(trained) == {"Alpha": 1, "Beta": 2}
    assert cli("plan", "--sandbox", "--format", "json") == 0
    assert [(m["name"], m["action"]) for m in json.loads(cli.out)["models"]] == [
        ("alpha", "none"),
        ("beta", "wait"),
        ("gamma", "create"),
    ]


def test_a_saved_plan_is_refused_when_a_manifest_changed(trained: Path, cli: Cli) -> None:
    edit(trained / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 1
    assert cli.err.startswith("error: the saved plan is stale: the manifests")
    assert cli.err.endswith(
        "hint: run `trainops plan --out FILE` again, review it, and apply the new plan\n"
    )
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_a_stale_plan_names_only_the_side_that_changed(trained: Path, cli: Cli) -> None:
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 1
    assert scrub(cli.err) == snapshot("""\
error: the saved plan is stale: the manifests or their training files changed since it was computed
hint: run `trainops plan --out FILE` again, review it, and apply the new plan
""")


def test_a_saved_plan_is_refused_when_a_live_model_changed(trained: Path, cli: Cli) -> None:
    edit(trained / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    change_by_hand(trained, "Alpha", name="Alpha (renamed by hand)")
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 1
    assert scrub(cli.err) == snapshot("""\
error: the saved plan is stale: the live models changed since it was computed
hint: run `trainops plan --out FILE` again, review it, and apply the new plan
""")
    assert jobs(trained) == {"Alpha (renamed by hand)": 1, "Beta": 1}


# --- orphans, budgets, confirmation -----------------------------------------------------------


def test_an_orphan_is_reported_kept_and_deleted_only_with_prune(trained: Path, cli: Cli) -> None:
    shutil.rmtree(trained / "beta")
    # Nothing for a plain apply to do: an orphan is not a change (apply keeps it).
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  - beta (model_ID) has no manifest
      # no manifest declares it: reported only; `apply --prune` deletes it

1 model up to date.
No changes to apply.
Plan: 0 to create, 0 to train, 0 to update, 0 waiting, 1 orphaned. Estimated cost: 0 CU.
""")
    assert cli("apply", "--sandbox", "--yes") == 0
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}
    assert cli("apply", "--sandbox", "--yes", "--prune") == 0
    assert scrub(outcome(cli.out)) == snapshot("""\
  ✓ beta: delete done — deleted orphan model_ID

Apply: 1 done, 0 failed, 0 skipped, 1 up to date. Cost: 0 CU.
""")
    assert jobs(trained) == {"Alpha": 1}


def test_max_cost_exceeded_fails_the_plan(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--max-cost", "10") == 1
    assert scrub(cli.err) == snapshot("""\
error: the plan costs 25 creative units, over --max-cost of 10
hint: most expensive: alpha (25); raise --max-cost, or train fewer models in this change
""")
    assert cli("apply", "--sandbox", "--yes", "--max-cost", "10") == 1
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_apply_refuses_the_unpriced_training_that_would_go_over_max_cost(
    ws: Path, cli: Cli
) -> None:
    # A plan cannot price a model that does not exist yet: apply prices it once created.
    assert cli("apply", "--sandbox", "--yes", "--no-probe", "--max-cost", "25") == 1
    lines = outcome(cli.out).splitlines()
    refused = next(line for line in lines if line.startswith("  ✗"))
    assert re.fullmatch(
        r"  ✗ (alpha|beta): create failed — not trained: its cost (15|20) CU would take this "
        r"apply to 35 CU, over the limit of 25 CU \(hint: raise --max-cost or `budget` in "
        r"trainops.yaml, then apply again\)",
        refused,
    )
    assert sorted(jobs(ws).values()) == [0, 1]


def test_the_workspace_budget_exceeded_fails_the_plan(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    with (trained / "trainops.yaml").open("a") as f:
        f.write("budget: 10\n")
    assert cli("plan", "--sandbox") == 1
    assert scrub(cli.err) == snapshot("""\
error: the plan costs 25 creative units, over the workspace budget (trainops.yaml) of 10
hint: most expensive: alpha (25); raise `budget` in trainops.yaml, or train fewer models in this change
""")


def test_apply_without_yes_and_without_a_terminal_refuses(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox") == 1
    assert scrub(cli.err) == snapshot("""\
error: refusing to apply without confirmation: not a terminal
hint: review the plan above and pass --yes (CI), save it with `plan --out FILE` and apply it with `apply --plan FILE`, or run in a terminal
""")
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


# --- secrets ----------------------------------------------------------------------------------

SECRET = "wandb-SECRET-0123456789abcdef"


def test_a_secret_never_appears_in_any_output(trained: Path, cli: Cli) -> None:
    # A trained model, so the plan prices the training with a dry run that carries the secret.
    edit(
        trained / "alpha" / "model.yaml",
        "maxTrainSteps: 100",
        "maxTrainSteps: 110\n    wandbKey: {env: WANDB_KEY}",
    )
    cli.env["WANDB_KEY"] = SECRET
    seen: list[str] = []
    for fmt in ("text", "markdown", "json"):
        assert cli("plan", "--sandbox", "--format", fmt, "--out", f"{fmt}.plan") == 0
        seen += [cli.out, cli.err, (trained / f"{fmt}.plan").read_text()]
    assert "wandbKey" in seen[0]  # named, never shown
    assert cli("apply", "--sandbox", "--yes", "--plan", "json.plan") == 0
    seen += [cli.out, cli.err]
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 110", "maxTrainSteps: 120")
    for fmt in ("text", "markdown", "json"):
        assert cli("plan", "--sandbox", "--format", fmt) == 0
        seen += [cli.out, cli.err]
    assert cli("apply", "--sandbox", "--yes", "--replace-running") == 0
    seen += [cli.out, cli.err]
    assert [text for text in seen if SECRET in text] == []


def test_an_unset_secret_is_warned_at_plan_and_refused_before_apply_changes_anything(
    ws: Path, cli: Cli
) -> None:
    edit(
        ws / "alpha" / "model.yaml",
        "maxTrainSteps: 100",
        "maxTrainSteps: 100\n    wandbKey: {env: WANDB_KEY}",
    )
    assert cli("plan", "--sandbox") == 0
    assert scrub(cli.err) == snapshot(
        "note: created price probe model_ID (flux.1-lora): an empty model, never trained, that plans dry-run new models on; `trainops status` lists it, `trainops probes clean` removes it\n"
        "warning: alpha/model.yaml:1: parameters.wandbKey: environment variable WANDB_KEY is not set: apply will refuse to start until it is set\n"
    )
    assert cli("apply", "--sandbox", "--yes") == 1
    assert cli.err == snapshot("""\
error: secrets referenced by the manifests are not set:
  alpha/model.yaml:1: parameters.wandbKey: environment variable WANDB_KEY is not set
hint: export them (e.g. from your CI secrets) and run apply again
""")
    assert jobs(ws) == {}


def test_plan_prices_new_models_on_one_reusable_empty_probe_per_type(ws: Path, cli: Cli) -> None:
    assert cli("plan", "--sandbox", "--format", "json") == 0
    first = json.loads(cli.out)
    assert first["summary"]["total_cost"] == 35
    assert first["summary"]["unpriced_trainings"] == 0
    probes = all_models(ws)
    assert [(m.name, m.status, m.images_count, list(m.tags)) for m in probes] == [
        ("trainops price probe (flux.1-lora)", "new", 0, ["trainops-probe:e2e"])
    ]
    (probe,) = probes
    assert f"note: created price probe {probe.id} (flux.1-lora)" in cli.err  # said, once
    assert cli("plan", "--sandbox", "--format", "json") == 0
    assert json.loads(cli.out)["plan_fingerprint"] == first["plan_fingerprint"]
    assert len(all_models(ws)) == 1  # reused, not created again
    assert "price probe" not in cli.err
    assert cli("apply", "--sandbox", "--yes", "--wait", "--poll-interval", "0.05") == 0
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0  # the probe is no orphan
    assert cli("status", "--sandbox") == 0
    assert cli.out.endswith(f"removes them):\n  {probe.id}  flux.1-lora\n")  # listed, no row
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}  # the probe was never trained


def test_a_plan_over_max_cost_changes_nothing_when_new_models_are_priced(
    ws: Path, cli: Cli
) -> None:
    assert cli("apply", "--sandbox", "--yes", "--max-cost", "25") == 1
    assert next(line for line in cli.err.splitlines() if not line.startswith("note:")) == (
        "error: the plan costs 35 creative units, over --max-cost of 25"
    )
    assert jobs(ws) == {}


def test_no_probe_leaves_new_models_unpriced_and_creates_nothing(ws: Path, cli: Cli) -> None:
    assert cli("plan", "--sandbox", "--no-probe", "--format", "json") == 0
    assert json.loads(cli.out)["summary"]["unpriced_trainings"] == 2
    assert all_models(ws) == []


# --- which error first ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_manifest_errors_come_before_missing_credentials(ws: Path, cli: Cli, command: str) -> None:
    assert cli(command) == 1
    assert cli.err.startswith("error: missing Scenario API credentials")
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: -1")
    assert cli(command) == 1
    assert "alpha/model.yaml:" in cli.err
    assert "credentials" not in cli.err
