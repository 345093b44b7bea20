"""The pull-request flow end to end: `trainops plan --comment` on a pull request, then `trainops
apply --verify-reviewed --comment-outcome` on the merge commit, through the CLI, against the
embedded sandbox and a fake GitHub API over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_github import FakeGithub, serve_fake_github
from tests.support.github_env import TOKEN, environ, pr_event
from tests.support.workspace import app_for, client_for, edit, jobs_by_model, make_workspace
from trainops.cli import main

MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98"  # GITHUB_SHA in github_env.environ


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    with serve_fake_github(TOKEN) as server:
        yield server


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(root)
    monkeypatch.setenv("NO_COLOR", "1")
    for name in ("SCENARIO_API_KEY", "SCENARIO_API_SECRET", "WANDB_KEY"):
        monkeypatch.delenv(name, raising=False)
    return root


def _on_pull_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: FakeGithub) -> None:
    for k, v in environ(tmp_path, fake, pr_event(7)).items():
        monkeypatch.setenv(k, v)


def _on_merge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: FakeGithub) -> None:
    fake.pulls_by_commit[MERGE_SHA] = [
        {"number": 7, "merged_at": "2026-11-27T06:00:00Z", "merge_commit_sha": MERGE_SHA}
    ]
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    for k, v in environ(tmp_path, fake, None).items():
        monkeypatch.setenv(k, v)


def _jobs(root: Path) -> dict[str, int]:
    async def go() -> dict[str, int]:
        async with client_for(app_for(root), root) as client:
            return await jobs_by_model(client)

    return asyncio.run(go())


def test_one_plan_comment_per_pull_request_then_apply_on_merge_comments_the_outcome(
    ws: Path, tmp_path: Path, fake: FakeGithub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_pull_request(monkeypatch, tmp_path, fake)
    assert main(["plan", "--sandbox", "--comment", "--detailed-exitcode"]) == 2
    assert main(["plan", "--sandbox", "--comment", "--format", "markdown"]) == 0
    assert len(fake.comments[7]) == 1  # updated in place, never a second one
    body = fake.comments[7][0]["body"]
    assert "alpha" in body
    assert "beta" in body
    assert (tmp_path / "summary.md").read_text().count("alpha") >= 1

    _on_merge(monkeypatch, tmp_path, fake)
    code = main(["apply", "--sandbox", "--yes", "--comment-outcome", "--verify-reviewed", "fail"])
    assert code == 0
    assert len(fake.comments[7]) == 2
    assert "alpha" in fake.comments[7][1]["body"]
    assert _jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert TOKEN not in (tmp_path / "summary.md").read_text()


def test_apply_on_merge_refuses_a_plan_that_is_not_the_reviewed_one(
    ws: Path,
    tmp_path: Path,
    fake: FakeGithub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _on_pull_request(monkeypatch, tmp_path, fake)
    assert main(["plan", "--sandbox", "--comment"]) == 0
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    _on_merge(monkeypatch, tmp_path, fake)
    capsys.readouterr()
    code = main(["apply", "--sandbox", "--yes", "--comment-outcome", "--verify-reviewed", "fail"])
    assert code == 1
    err = capsys.readouterr().err
    assert "differs from the plan reviewed in the pull request" in err
    assert _jobs(ws) == {}  # nothing was created or trained
    assert len(fake.comments[7]) == 1


def test_plan_comment_on_a_fork_says_why_and_posts_nothing(
    ws: Path,
    tmp_path: Path,
    fake: FakeGithub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for k, v in environ(tmp_path, fake, pr_event(7, head_repo="someone/fork")).items():
        monkeypatch.setenv(k, v)
    assert main(["plan", "--sandbox", "--comment"]) == 0
    assert "fork" in capsys.readouterr().err
    assert fake.writes() == []
