"""The composite action's shell steps, run for real with bash (trainops replaced by a recording
stub only where the step would need the Scenario API)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO as ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {s.get("id", s["name"]): s for s in ACTION["runs"]["steps"]}

STUB = """#!/usr/bin/env python3
import json, pathlib, sys
pathlib.Path(sys.argv[0]).with_name("argv.json").write_text(json.dumps(sys.argv[1:]))
out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
if out:
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(out).write_text(json.dumps({"summary": {"total_cost": 12.5}}))
sys.exit(int(pathlib.Path(sys.argv[0]).with_name("exit_code").read_text()))
"""


def run_step(step: str, tmp_path: Path, env: dict[str, str], exit_code: int = 0) -> Any:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "trainops"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    (bin_dir / "exit_code").write_text(str(exit_code))
    files = {"GITHUB_OUTPUT": tmp_path / "output", "GITHUB_STEP_SUMMARY": tmp_path / "summary"}
    for path in files.values():
        path.touch()
    full_env = {
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        **{k: str(v) for k, v in files.items()},
        **env,
    }
    result = subprocess.run(
        ["bash", "-e", "-c", STEPS[step]["run"]],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    argv = bin_dir / "argv.json"
    outputs = dict(
        line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines() if line
    )
    return result, outputs, json.loads(argv.read_text()) if argv.exists() else None


def test_no_step_interpolates_expressions_into_shell() -> None:
    scripts = [s["run"] for s in ACTION["runs"]["steps"] if "run" in s]
    assert len(scripts) == 6
    assert all("${{" not in script for script in scripts)


PR = {"PR_NUMBER": "7", "BASE_REPO": "acme/models", "INPUT_COMMAND": "plan"}
CHECKS = {"INPUT_ON_MISMATCH": "fail", "INPUT_SANDBOX": "false", "INPUT_API_KEY": "k"}


def test_fork_pull_request_is_skipped_with_a_message(tmp_path: Path) -> None:
    env = {**PR, **CHECKS, "HEAD_REPO": "someone/models", "INPUT_API_KEY": ""}
    result, outputs, _ = run_step("context", tmp_path, env)
    assert result.returncode == 0
    assert outputs == {"skip": "true"}
    assert result.stdout.startswith("::notice title=trainops::trainops: this pull request")
    assert (tmp_path / "summary").read_text().startswith("### trainops\n\ntrainops: this pull")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"INPUT_API_KEY": ""}, "api-key is empty"),
        ({"INPUT_COMMAND": "destroy"}, "input command must be plan or apply"),
        ({"INPUT_ON_MISMATCH": "ignore"}, "input on-mismatch must be fail or warn"),
        ({"INPUT_PULL_REQUEST": "7; rm -rf"}, "input pull-request must be a pull request number"),
        ({"INPUT_PULL_REQUEST": "0"}, "input pull-request must be a pull request number"),
        ({"INPUT_PRUNE": "yes"}, "input prune must be true or false"),
    ],
)
def test_bad_inputs_fail_clearly(tmp_path: Path, change: dict[str, str], error: str) -> None:
    env = {**PR, **CHECKS, "HEAD_REPO": "acme/models", **change}
    result, _, _ = run_step("context", tmp_path, env)
    assert result.returncode == 1
    assert error in result.stdout


def test_sandbox_needs_no_api_key(tmp_path: Path) -> None:
    env = {**PR, **CHECKS, "HEAD_REPO": "acme/models", "INPUT_API_KEY": "", "INPUT_SANDBOX": "true"}
    result, outputs, _ = run_step("context", tmp_path, env)
    assert (result.returncode, outputs) == (0, {"skip": "false"})


PLAN_ENV = {"INPUT_PATH": "models", "INPUT_MAX_COST": "", "INPUT_SANDBOX": "false", "PR_NUMBER": ""}


def test_plan_with_changes_sets_outputs_and_comments_on_the_pr(tmp_path: Path) -> None:
    env = {**PLAN_ENV, "PR_NUMBER": "7", "INPUT_MAX_COST": "500", "INPUT_SANDBOX": "true"}
    result, outputs, argv = run_step("plan", tmp_path, env, exit_code=2)
    plan_file = str(tmp_path / "runner" / "trainops" / "plan.json")
    assert result.returncode == 0, result.stderr
    assert outputs == {"has-changes": "true", "total-cost": "12.5", "plan-file": plan_file}
    assert argv == [
        "plan",
        "models",
        "--format",
        "markdown",
        "--out",
        plan_file,
        "--detailed-exitcode",
        "--comment",
        "--report-artifact",
        "trainops-report",
        "--max-cost",
        "500",
        "--sandbox",
    ]


def test_plan_without_changes_outside_a_pr(tmp_path: Path) -> None:
    result, outputs, argv = run_step("plan", tmp_path, PLAN_ENV, exit_code=0)
    assert (result.returncode, outputs["has-changes"]) == (0, "false")
    assert "--comment" not in argv


def test_plan_error_fails_the_step(tmp_path: Path) -> None:
    result, outputs, _ = run_step("plan", tmp_path, PLAN_ENV, exit_code=1)
    assert (result.returncode, outputs) == (1, {})


def test_inputs_stay_values_not_shell(tmp_path: Path) -> None:
    env = {**PLAN_ENV, "INPUT_PATH": "models; touch pwned $(touch pwned2)"}
    result, _, argv = run_step("plan", tmp_path, env)
    assert result.returncode == 0
    assert argv[1] == "models; touch pwned $(touch pwned2)"
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / "pwned2").exists()


def test_apply_verifies_and_comments_the_outcome(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "INPUT_ON_MISMATCH": "warn"}
    result, _, argv = run_step("apply", tmp_path, env)
    assert result.returncode == 0
    assert argv == [
        "apply",
        "models",
        "--yes",
        "--comment-outcome",
        "--verify-reviewed",
        "warn",
        "--wait",
        "--lock-timeout",
        "900",
        "--report-artifact",
        "trainops-report",
    ]
    _, _, argv = run_step("apply", tmp_path, {**env, "INPUT_REPORT": "false"})
    assert "--report-artifact" not in argv


def test_a_dispatch_replans_for_a_named_pull_request(tmp_path: Path) -> None:
    env = {**PLAN_ENV, "INPUT_PULL_REQUEST": "7"}
    result, _, argv = run_step("plan", tmp_path, env, exit_code=2)
    assert result.returncode == 0, result.stderr
    assert argv[-5:] == ["--comment", "--pr", "7", "--report-artifact", "trainops-report"]


def test_apply_holds_max_cost_and_a_named_pull_request(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "INPUT_ON_MISMATCH": "fail"}
    extra = {"INPUT_MAX_COST": "500", "INPUT_PULL_REQUEST": "7"}
    result, _, argv = run_step("apply", tmp_path, {**env, **extra})
    assert result.returncode == 0
    assert argv[-6:-2] == ["--max-cost", "500", "--pr", "7"]


def test_apply_can_return_once_the_trainings_are_triggered(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "INPUT_ON_MISMATCH": "fail"}
    result, _, argv = run_step("apply", tmp_path, {**env, "INPUT_WAIT": "false"})
    assert result.returncode == 0
    assert "--wait" not in argv


def test_apply_waits_for_another_apply_s_lock(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "INPUT_ON_MISMATCH": "fail"}
    _, _, argv = run_step("apply", tmp_path, env)
    assert argv[argv.index("--lock-timeout") + 1] == "900"  # a laptop's apply does not fail CI
    _, _, argv = run_step("apply", tmp_path, {**env, "INPUT_LOCK_TIMEOUT": "0"})
    assert argv[argv.index("--lock-timeout") + 1] == "0"


def test_prune_is_off_by_default_and_plans_the_deletions_it_applies(tmp_path: Path) -> None:
    assert ACTION["inputs"]["prune"]["default"] == "false"
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "INPUT_ON_MISMATCH": "fail"}
    _, _, argv = run_step("apply", tmp_path, env)
    assert "--prune" not in argv
    _, _, argv = run_step("apply", tmp_path, {**env, "INPUT_PRUNE": "true"})
    assert argv[-3] == "--prune"
    # The pull request's plan shows the deletions the merge will make.
    result, _, argv = run_step("plan", tmp_path, {**PLAN_ENV, "INPUT_PRUNE": "true"}, 2)
    assert result.returncode == 0, result.stderr
    assert argv[-1] == "--prune"
    _, _, argv = run_step("plan", tmp_path, PLAN_ENV, 2)
    assert "--prune" not in argv


def test_secrets_are_masked_line_by_line(tmp_path: Path) -> None:
    env = {"INPUT_API_KEY": "key-1", "INPUT_API_SECRET": "line-a\nline-b"}
    result, _, _ = run_step("Mask secrets", tmp_path, env)
    assert result.stdout == "::add-mask::key-1\n::add-mask::line-a\n::add-mask::line-b\n"


def test_the_example_workflow_replans_a_refused_merge_for_approval() -> None:
    flow = yaml.safe_load((ROOT / "examples/.github/workflows/trainops.yml").read_text())
    inputs = flow[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads the key `on` as True
    assert inputs["pull-request"]["required"] is True
    jobs = flow["jobs"]
    replan, approved = jobs["replan"], jobs["apply-approved"]
    assert replan["steps"][1]["with"]["command"] == "plan"
    assert approved["needs"] == "replan"
    assert approved["environment"] == "trainops-apply"  # the approval gate
    assert approved["concurrency"]["group"] == jobs["apply"]["concurrency"]["group"]
    for job in (replan, approved):
        assert job["steps"][1]["with"]["pull-request"] == "${{ inputs.pull-request }}"
        assert job["steps"][1]["with"]["max-cost"] == jobs["apply"]["steps"][1]["with"]["max-cost"]


def test_no_report_no_link_to_one(tmp_path: Path) -> None:
    env = {**PLAN_ENV, "PR_NUMBER": "7", "INPUT_REPORT": "false"}
    _, _, argv = run_step("plan", tmp_path, env, exit_code=2)
    assert "--comment" in argv
    assert "--report-artifact" not in argv


def test_the_report_step_builds_the_page_and_names_it(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "true"}
    result, outputs, argv = run_step("report", tmp_path, env)
    report_file = str(tmp_path / "runner" / "trainops" / "report.html")
    assert result.returncode == 0, result.stderr
    assert argv == ["report", "models", "--out", report_file, "--sandbox"]
    assert outputs == {"report-file": report_file}


def test_after_a_plan_the_report_shows_that_saved_plan(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text("{}")
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false", "PLAN_FILE": str(plan_file)}
    _, _, argv = run_step("report", tmp_path, env)
    assert argv[-2:] == ["--plan", str(plan_file)]
    # After an apply there is no plan file: the report plans the state apply left.
    _, _, argv = run_step("report", tmp_path, {**env, "PLAN_FILE": ""})
    assert "--plan" not in argv


def test_a_report_that_fails_warns_and_names_no_file(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "models", "INPUT_SANDBOX": "false"}
    result, outputs, _ = run_step("report", tmp_path, env, exit_code=1)
    assert result.returncode == 1
    assert "::warning title=trainops::the review report could not be built" in result.stdout
    assert outputs == {}
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Keep the review report")
    assert "steps.report.outputs.report-file != ''" in upload["if"]
    assert STEPS["report"]["continue-on-error"] is True


def test_the_report_input_is_checked(tmp_path: Path) -> None:
    env = {**PR, **CHECKS, "HEAD_REPO": "acme/models", "INPUT_REPORT": "yes"}
    result, _, _ = run_step("context", tmp_path, env)
    assert result.returncode == 1
    assert "input report must be true or false" in result.stdout


def test_a_plan_fetches_a_missing_base_commit_or_says_removed_images_show_by_name(
    tmp_path: Path,
) -> None:
    env = {**PLAN_ENV, "PR_NUMBER": "7", "BASE_SHA": "1" * 40}
    result, _, _ = run_step("plan", tmp_path, env, exit_code=2)  # no repository here to fetch in
    assert result.returncode == 0, result.stderr
    assert "base commit not fetched: removed images show by name only" in result.stdout
