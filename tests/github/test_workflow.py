"""The example workflow's scheduled jobs: reconcile applies with the merge job's action in its
concurrency group; drift keeps the issue; each cron string reaches exactly one job."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO

WORKFLOW = REPO / "examples" / ".github" / "workflows" / "trainops.yml"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def test_each_schedule_reaches_exactly_one_job() -> None:
    wf = load()
    crons = [entry["cron"] for entry in wf["on"]["schedule"]]
    for cron in crons:
        jobs = [name for name, job in wf["jobs"].items() if f"'{cron}'" in job.get("if", "")]
        assert len(jobs) == 1, (cron, jobs)
    scheduled = {n for n, j in wf["jobs"].items() if "github.event.schedule" in j.get("if", "")}
    assert scheduled == {"reconcile", "drift"}


def test_reconcile_applies_like_the_merge_job_never_beside_it() -> None:
    jobs = load()["jobs"]
    apply, reconcile = jobs["apply"], jobs["reconcile"]
    assert reconcile["concurrency"] == apply["concurrency"]
    assert reconcile["concurrency"]["cancel-in-progress"] is False
    assert reconcile["steps"] == apply["steps"]


def test_drift_keeps_the_issue_and_never_joins_the_apply_group() -> None:
    drift = load()["jobs"]["drift"]
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    assert drift["concurrency"]["group"] != load()["jobs"]["apply"]["concurrency"]["group"]
    script = drift["steps"][-1]["run"]
    assert re.search(r"^trainops drift \S+ --issue$", script, re.M)
    assert "${{" not in script  # secrets reach the shell through env: only


CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")  # a test dependency


@pytest.mark.skipif(not CHECK_JSONSCHEMA.exists(), reason="check-jsonschema not installed")
def test_the_workflow_passes_github_s_schema() -> None:
    result = subprocess.run(
        [
            str(CHECK_JSONSCHEMA),
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
