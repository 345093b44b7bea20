"""The merge check through the fake GitHub: the plan reviewed in the pull request (its comment's
meta) against the plan at merge, model by model. The merge may do less, never more; a refusal
names each model and is posted on the pull request; a failing plan replaces the plan comment."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.fake_github import FakeGithub
from tests.support.github_env import on_merge, on_pull_request
from tests.support.locks import home_in
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import (
    app_for,
    client_for,
    edit,
    jobs,
    plan_and_apply,
    train_all,
    write_model,
)
from trainops.sandbox import Fault

APPLY = ("apply", "--yes", "--comment-outcome", "--verify-reviewed", "fail")
META = re.compile(r"<!-- trainops:meta (\{.*\}) -->")


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def plan_comment(fake_github: FakeGithub) -> dict[str, object]:
    return fake_github.comments[7][0]


def reviewed_meta(fake_github: FakeGithub) -> dict[str, object]:
    match = META.search(str(plan_comment(fake_github)["body"]))
    assert match
    meta: dict[str, object] = json.loads(match.group(1))
    return meta


def reprice_review(fake_github: FakeGithub, rise: float) -> None:
    """Prices moved since the review: the reviewed costs were `rise` lower than they are now
    (the comment is the bot's, as GitHub stores it; its fingerprint then differs too)."""
    comment = plan_comment(fake_github)
    meta = reviewed_meta(fake_github)
    review = meta["review"]
    assert isinstance(review, dict)
    for entry in review["models"].values():
        entry[2] = round(entry[2] / (1 + rise), 4)
    meta["fingerprint"] = "0" * 64
    body = str(comment["body"])
    comment["body"] = META.sub(lambda _: f"<!-- trainops:meta {json.dumps(meta)} -->", body, 1)


def outcome(fake_github: FakeGithub) -> str:
    return str(fake_github.comments[7][-1]["body"])


@synchronous
async def start_trainings(root: Path, *, speed: float) -> None:
    """Apply the workspace as it is now (a merge before this pull request), without waiting."""
    async with client_for(app_for(root, speed=speed), root) as client:
        await plan_and_apply(root, client)


def test_an_unrelated_training_that_finished_since_the_review_does_not_block_the_merge(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    edit(ws / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    start_trainings(ws, speed=5.0)  # beta trains for about 1.4 s
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")  # the PR
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment", "--format", "json") == 0
    assert {m["name"]: m["action"] for m in json.loads(cli.out)["models"]} == {
        "alpha": "train",
        "beta": "wait",
    }
    time.sleep(1.6)  # beta's training ends: its entry goes from `wait` to `none`
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox") == 0, cli.err
    assert jobs(ws) == {"Alpha": 2, "Beta": 2}
    assert "✅ **Applied: 1 done, 0 skipped, 1 up to date**" in outcome(fake_github)


def test_a_price_up_within_the_tolerance_applies_and_one_above_it_is_refused(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    on_merge(cli, tmp_path, fake_github)
    reviewed = dict(plan_comment(fake_github))
    reprice_review(fake_github, 0.20)
    assert cli(*APPLY, "--sandbox") == 1
    assert "cost: the trainings cost 35 CU now, 29.17 CU at review (+20%), over the 10% " in cli.err
    assert "tolerance (32.08 CU)" in cli.err
    assert "cost: the trainings cost 35 CU now, 29.17 CU at review" in outcome(fake_github)
    assert jobs(ws) == {}
    plan_comment(fake_github).update(reviewed)
    reprice_review(fake_github, 0.05)
    assert cli(*APPLY, "--sandbox") == 0, cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


def test_the_tolerance_is_a_workspace_setting(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    on_merge(cli, tmp_path, fake_github)
    reprice_review(fake_github, 0.20)
    settings = ws / "trainops.yaml"
    settings.write_text(settings.read_text() + "mergeCostTolerance: 25\n")
    assert cli(*APPLY, "--sandbox") == 0, cli.err


def test_a_model_the_review_did_not_show_is_refused_named_and_commented(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    write_model(ws, "gamma", steps=100, first_shade=40)  # landed on main after the review
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox") == 1
    assert "gamma: the review did not show it; the merge would create it and train it" in cli.err
    assert "alpha" not in cli.err.split("hint:")[0]  # reviewed as it is: not a difference
    assert "gamma: the review did not show it" in outcome(fake_github)
    assert "**Way forward:**" in outcome(fake_github)
    assert jobs(ws) == {}


def test_a_rerun_after_a_partial_failure_applies_the_remainder(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli, serve: Serve
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    on_merge(cli, tmp_path, fake_github)
    # The lock model first (`e2e`: the `ws` fixture's workspace), so that the fault below hits
    # a model's create, not the lock model's.
    home_in(ws, "e2e")
    # One of the two creates fails (a 500 the sandbox answers before creating anything).
    url = serve(app_for(ws, faults=(Fault("POST", r"/models$", "500", times=1),)))
    cli.env.update(api_env(url))
    assert cli(*APPLY) == 1
    assert sorted(jobs(ws).values()) == [1]
    # "Re-run failed jobs": the model that trained is now `wait`, the other still `create`.
    assert cli(*APPLY) == 0, cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


def test_a_failing_plan_replaces_the_comment_and_approves_nothing(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    edit(ws / "alpha" / "model.yaml", "type: flux.1-lora", "type: flux.9-lora")
    assert cli("plan", "--sandbox", "--comment") == 1
    [comment] = fake_github.comments[7]  # the same comment, now red
    body = str(comment["body"])
    assert "❌ **Plan failed: 1 error&#40;s&#41; in manifests**" in body
    assert "- alpha/model.yaml:" in body
    assert "spec.type" in body
    assert "🏋️" not in body  # the earlier green plan is gone
    assert reviewed_meta(fake_github)["failed"] == "1 error(s) in manifests"
    on_merge(cli, tmp_path, fake_github)
    edit(ws / "alpha" / "model.yaml", "type: flux.9-lora", "type: flux.1-lora")
    assert cli(*APPLY, "--sandbox") == 1
    assert "the plan reviewed in the pull request failed (1 error(s) in manifests)" in cli.err
    assert jobs(ws) == {}


def test_a_plan_over_max_cost_is_red_on_the_pr_and_refused_at_merge(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    assert cli("plan", "--sandbox", "--comment", "--max-cost", "20") == 1
    body = str(plan_comment(fake_github)["body"])
    assert "❌ **Plan failed: the plan costs 35 creative units, over --max-cost of 20**" in body
    assert "<details><summary>The refused plan</summary>" in body
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox") == 1
    assert "over --max-cost of 20" in cli.err
    assert "Nothing was applied" in outcome(fake_github)
    assert jobs(ws) == {}


def test_max_cost_holds_at_merge_even_on_the_reviewed_plan(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment", "--max-cost", "40") == 0
    assert reviewed_meta(fake_github)["review"]["max_cost"] == 40.0  # type: ignore[index]
    on_merge(cli, tmp_path, fake_github)
    # The reviewed plan, unchanged; the merge job's own limit still holds.
    assert cli(*APPLY, "--sandbox", "--max-cost", "30") == 1
    assert "the plan costs 35 creative units, over --max-cost of 30" in cli.err
    assert "over --max-cost of 30" in outcome(fake_github)
    # Prices rose 5% (within the tolerance) past the --max-cost the review was held to: the
    # review's limit holds although the merge job passes none.
    reprice_review(fake_github, 0.05)
    comment = plan_comment(fake_github)
    comment["body"] = str(comment["body"]).replace('"max_cost": 40.0', '"max_cost": 34.0')
    assert cli(*APPLY, "--sandbox") == 1
    assert "over --max-cost of 34" in cli.err
    assert jobs(ws) == {}


def test_a_refused_merge_is_replanned_for_the_pr_and_then_applies(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    write_model(ws, "gamma", steps=100, first_shade=40)
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox") == 1
    # workflow_dispatch: no pull request in the event; the input names it.
    cli.env.update({"GITHUB_EVENT_NAME": "workflow_dispatch"})
    fake_github.pulls_by_commit.clear()
    assert cli("plan", "--sandbox", "--comment", "--pr", "7") == 0
    assert "gamma" in str(plan_comment(fake_github)["body"])  # the plan to approve, in place
    assert cli(*APPLY, "--sandbox", "--pr", "7") == 0, cli.err
    # The sandbox is a small team (2 parallel trainings): the third waits for the next apply.
    assert jobs(ws) == {"Alpha": 1, "Beta": 1, "Gamma": 0}
    assert "deferred by the team's limit of 2 parallel trainings" in cli.out


def test_a_delete_the_review_did_not_show_is_refused_and_one_it_showed_applies(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    shutil.rmtree(ws / "beta")  # the pull request retires beta
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0  # without --prune: an orphan, kept
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox", "--prune") == 1
    assert "beta: the review did not show it; the merge would delete it (--prune)" in cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}  # nothing deleted
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment", "--prune") == 0
    assert "🗑️ **1 to delete**" in str(plan_comment(fake_github)["body"])
    on_merge(cli, tmp_path, fake_github)
    assert cli(*APPLY, "--sandbox", "--prune") == 0, cli.err
    assert jobs(ws) == {"Alpha": 1}
