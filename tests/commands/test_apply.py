"""`apply --plan FILE` against forged plan files (issue 11, item 2): the CLI in a real git
workspace against the embedded sandbox. A forger edits the file and recomputes its
`plan_fingerprint` (an unkeyed sha256 anyone can redo); apply must re-derive the plan and refuse
one that is not what it would do now.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot

from tests.support.aio import synchronous
from tests.support.cli import Cli, scrub
from tests.support.fake_github import FakeGithub
from tests.support.github_env import environ, pr_event
from tests.support.workspace import all_models, app_for, client_for, edit, jobs
from trainops.planfile import plan_from_data


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def forge(path: Path, name: str, **fields: Any) -> None:
    """Edit model `name`'s entry in a saved plan and recompute `plan_fingerprint`, as anyone can."""
    data = json.loads(path.read_text())
    entry = next(m for m in data["models"] if m["name"] == name)
    entry.update(fields)
    data["plan_fingerprint"] = plan_from_data(data).fingerprint()
    path.write_text(json.dumps(data, indent=2))


@synchronous
async def other_workspace_model(root: Path) -> str:
    """A model another workspace (`other`) manages, in the same team's sandbox."""
    async with client_for(app_for(root), root) as client:
        model = await client.create_model(type="flux.1-lora", name="Not ours")
        await client.update_tags(model.id, add=["trainops:other/hero"])
        return model.id


def test_a_saved_plan_of_new_models_applies_at_the_prices_it_shows(ws: Path, cli: Cli) -> None:
    # Plan prices them on a price probe it creates; apply prices them again on that probe.
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 0, cli.err
    assert scrub(cli.out.split("\n\n")[-1]) == "Apply: 2 done, 0 failed, 0 skipped. Cost: 35 CU.\n"
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


def test_a_forged_lower_cost_is_refused_before_max_cost_is_checked(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    forge(trained / "plan.json", "alpha", estimated_cost=0.5)
    assert cli("apply", "--sandbox", "--yes", "--max-cost", "5", "--plan", "plan.json") == 1
    assert scrub(cli.err) == snapshot("""\
error: the saved plan costs more now than it says:
  alpha: estimated_cost: saved 0.5, now 25
hint: run `trainops plan --out FILE` again, review it, and apply the new plan
""")
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_an_up_to_date_model_forged_to_train_is_not_retrained(trained: Path, cli: Cli) -> None:
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    forge(trained / "plan.json", "alpha", action="train", will_train=True)
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 1
    assert scrub(cli.err) == snapshot("""\
error: the saved plan does not match what apply would do now:
  alpha: action: saved train, now none
  alpha: will_train: saved true, now false
hint: run `trainops plan --out FILE` again, review it, and apply the new plan
""")
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_an_entry_pointed_at_another_workspaces_model_is_refused(trained: Path, cli: Cli) -> None:
    theirs = other_workspace_model(trained)
    ours = next(m.id for m in all_models(trained) if m.name == "Alpha")
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    forge(trained / "plan.json", "alpha", model_id=theirs)
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 1
    assert cli.err.splitlines() == [
        "error: the saved plan does not match what apply would do now:",
        f"  alpha: model_id: saved {theirs}, now {ours}",
        "hint: run `trainops plan --out FILE` again, review it, and apply the new plan",
    ]
    untouched = next(m for m in all_models(trained) if m.id == theirs)
    assert (untouched.name, untouched.tags, untouched.images_count) == (
        "Not ours",
        ("trainops:other/hero",),
        0,
    )
    assert jobs(trained) == {"Alpha": 1, "Beta": 1, "Not ours": 0}


def test_a_managed_model_forged_into_an_orphan_is_not_pruned(trained: Path, cli: Cli) -> None:
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    forge(trained / "plan.json", "beta", action="orphan", fingerprint=None)
    assert cli("apply", "--sandbox", "--yes", "--prune", "--plan", "plan.json") == 1
    assert scrub(cli.err) == snapshot("""\
error: the saved plan does not match what apply would do now:
  beta: action: saved orphan, now none
  beta: fingerprint: saved null, now HASH
hint: run `trainops plan --out FILE` again, review it, and apply the new plan
""")
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_a_saved_cost_above_the_price_now_applies_at_the_price_now(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    forge(trained / "plan.json", "alpha", estimated_cost=30.0)
    assert cli("apply", "--sandbox", "--yes", "--plan", "plan.json") == 0, cli.err
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan

  ~ alpha (model_ID) will be retrained  [alpha/model.yaml:1]
      # training inputs changed since the last training (fingerprint 6be8b66a -> a7de4960)
      ~ parameter maxTrainSteps: 100 -> 300  (forces training)
      = estimated cost: 25 CU

1 model up to date.
Plan: 0 to create, 1 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 25 CU.
  ✓ alpha: train done — training started (job job_ID, 25 CU)

Apply: 1 done, 0 failed, 0 skipped, 1 up to date. Cost: 25 CU.
""")
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}


def test_a_saved_plan_passes_verify_reviewed_on_merge_and_a_forged_one_does_not(
    trained: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    cli.env.update(environ(tmp_path, fake_github, pr_event(7)))
    assert cli("plan", "--sandbox", "--comment", "--out", "plan.json") == 0
    merge = "fedcba9876543210fedcba9876543210fedcba98"  # GITHUB_SHA in github_env.environ
    fake_github.pulls_by_commit[merge] = [
        {"number": 7, "merged_at": "2026-11-27T06:00:00Z", "merge_commit_sha": merge}
    ]
    cli.env.update({**environ(tmp_path, fake_github, None), "GITHUB_EVENT_PATH": None})
    apply = ("apply", "--sandbox", "--yes", "--comment-outcome", "--verify-reviewed", "fail")
    reviewed = (trained / "plan.json").read_text()
    forge(trained / "plan.json", "beta", action="train", will_train=True)
    assert cli(*apply, "--plan", "plan.json") == 1
    assert len(fake_github.comments[7]) == 1  # the plan's; no outcome for a refused apply
    (trained / "plan.json").write_text(reviewed)
    assert cli(*apply, "--plan", "plan.json") == 0, cli.err
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}
    assert len(fake_github.comments[7]) == 2
