# ruff: noqa: E501  (snapshots hold whole comment lines)
"""Apply counts the models it had nothing to do for in one line (issue 15, item 3): never a
`skipped — up to date` line per model, in the terminal or in the outcome comment."""

from __future__ import annotations

from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.fake_github import FakeGithub
from tests.support.github_env import environ, pr_event
from tests.support.workspace import edit, jobs, train_all


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def test_apply_counts_up_to_date_models_in_its_summary_and_outcome_comment(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    cli.env.update(environ(tmp_path, fake_github, pr_event(7)))
    assert cli("plan", "--sandbox", "--comment") == 0
    merge = "fedcba9876543210fedcba9876543210fedcba98"  # GITHUB_SHA in github_env.environ
    fake_github.pulls_by_commit[merge] = [
        {"number": 7, "merged_at": "2026-11-27T06:00:00Z", "merge_commit_sha": merge}
    ]
    cli.env.update({**environ(tmp_path, fake_github, None), "GITHUB_EVENT_PATH": None})
    assert cli("apply", "--sandbox", "--yes", "--comment-outcome") == 0, cli.err
    assert jobs(ws) == {"Alpha": 2, "Beta": 1}
    out = scrub(cli.out)
    assert out[out.index("  ✓") :] == snapshot("""\
  ✓ alpha: train done — training started (job job_ID, 25 CU)

Apply: 1 done, 0 failed, 0 skipped, 1 up to date. Cost: 25 CU.
""")
    assert scrub(fake_github.comments[7][-1]["body"]) == snapshot("""\
<!-- trainops:outcome -->
### trainops apply

✅ **Applied: 1 done, 0 skipped, 1 up to date**

| Model | Action | Result | Detail | Job | Cost (CU) |
|---|---|---|---|---|---|
| <a href="https://app.scenario.com/models/model_ID">alpha</a> | train | ✅ done | training started | <code>job&#95;ID</code> | 25 |

<sub>Apply: 1 done, 0 failed, 0 skipped, 1 up to date. Cost: 25 CU.</sub>
""")
