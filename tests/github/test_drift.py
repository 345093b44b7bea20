"""The drift issue: one GitHub issue per workspace, opened or updated while the live models differ
from the manifests, closed when they match again; through the fake GitHub over real HTTP, and
end to end through `trainops drift --issue` against the embedded sandbox."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Cli
from tests.support.fake_github import FakeGithub
from tests.support.github_env import environ
from tests.support.workspace import commit, edit, train_all
from trainops.github import GithubContext, RetryPolicy
from trainops.github.api import DEFAULT_RETRY
from trainops.github.drift import TITLE, drift_marker, sync_drift_issue
from trainops.github.markup import utf16_len

MARKER = drift_marker("models")
PLAN = "### trainops plan\n\n| Model | Action |\n|---|---|\n| hero | 🔁 train |\n"


@pytest.fixture
def retry() -> RetryPolicy:
    return dataclasses.replace(DEFAULT_RETRY, sleep=lambda _s: None, clock=lambda: 1_000_000.0)


@pytest.fixture
def ctx(tmp_path: Path, fake_github: FakeGithub) -> GithubContext:
    return GithubContext.from_env(environ(tmp_path, fake_github, None))


def sync(ctx: GithubContext, retry: RetryPolicy, drifted: bool, plan: str = PLAN, **kw: Any) -> Any:
    return sync_drift_issue(
        ctx,
        marker=MARKER,
        drifted=drifted,
        full_markdown=plan,
        compact_markdown=kw.pop("compact", plan),
        retry=retry,
        **kw,
    )


def test_one_issue_opened_updated_in_place_then_closed(
    ctx: GithubContext, retry: RetryPolicy, fake_github: FakeGithub
) -> None:
    assert sync(ctx, retry, drifted=False).action == "none"
    assert fake_github.writes() == []

    opened = sync(ctx, retry, drifted=True)
    assert opened.action == "opened"
    [issue] = fake_github.open_issues()
    assert (opened.number, issue["title"]) == (issue["number"], TITLE)
    assert issue["body"].startswith(f"{MARKER}\n### The live models differ from the manifests\n")
    assert "at `fedcba987654`" in issue["body"]  # the commit checked
    assert "https://github.com/acme/models/actions/runs/42" in issue["body"]
    assert issue["body"].endswith(PLAN)

    assert sync(ctx, retry, drifted=True).action == "unchanged"
    updated = sync(ctx, retry, drifted=True, plan=PLAN + "| villain | ➕ create |\n")
    assert (updated.action, updated.number) == ("updated", opened.number)
    assert [i["number"] for i in fake_github.open_issues()] == [opened.number]
    assert "villain" in fake_github.issues[issue["number"]]["body"]

    closed = sync(ctx, retry, drifted=False)
    assert (closed.action, closed.number) == ("closed", opened.number)
    assert fake_github.open_issues() == []
    assert fake_github.issues[issue["number"]]["state_reason"] == "completed"
    [said] = fake_github.comments[issue["number"]]
    assert "matching the manifests again: closing" in said["body"]
    # Drift again later: a new issue (the closed one keeps its history).
    again = sync(ctx, retry, drifted=True)
    assert again.action == "opened"
    assert again.number != opened.number


def test_an_issue_with_the_marker_written_by_a_person_or_a_pull_request_is_never_ours(
    ctx: GithubContext, retry: RetryPolicy, fake_github: FakeGithub
) -> None:
    forged = fake_github.add_issue(f"{MARKER}\nforged")
    pull = fake_github.add_issue(f"{MARKER}\na pull request", fake_github.poster, pull_request=True)
    assert sync(ctx, retry, drifted=False).action == "none"
    opened = sync(ctx, retry, drifted=True)
    assert opened.number not in (forged["number"], pull["number"])
    assert forged["body"] == f"{MARKER}\nforged"
    assert forged["state"] == "open"
    assert sync(ctx, retry, drifted=False).action == "closed"
    assert forged["state"] == "open"


def test_another_workspace_has_its_own_issue(
    ctx: GithubContext, retry: RetryPolicy, fake_github: FakeGithub
) -> None:
    sync(ctx, retry, drifted=True)
    other = sync_drift_issue(
        ctx, marker=drift_marker("other"), drifted=True, full_markdown=PLAN,
        compact_markdown=PLAN, retry=retry,
    )  # fmt: skip
    assert other.action == "opened"
    assert len(fake_github.open_issues()) == 2


def test_a_lost_reply_to_the_create_never_opens_a_second_issue(
    ctx: GithubContext, retry: RetryPolicy, fake_github: FakeGithub
) -> None:
    fake_github.fail_next(502, method="POST", after_write=True)
    assert sync(ctx, retry, drifted=True).action == "opened"
    assert len(fake_github.open_issues()) == 1
    assert [c.method for c in fake_github.writes()] == ["POST"]  # looked before posting again


def test_a_plan_too_big_for_an_issue_falls_back_to_compact_then_truncated(
    ctx: GithubContext, retry: RetryPolicy, fake_github: FakeGithub
) -> None:
    huge = PLAN + "".join(f"| model-{i} | 🔁 train |\n" for i in range(4000))
    compact = PLAN + "compact\n"
    sync(ctx, retry, drifted=True, plan=huge, compact=compact)
    [issue] = fake_github.open_issues()
    assert issue["body"].endswith(compact)
    sync(ctx, retry, drifted=True, plan=huge, compact=huge)
    [issue] = fake_github.open_issues()
    assert utf16_len(issue["body"]) <= 65536
    assert "truncated to fit" in issue["body"]


# --- end to end: `trainops drift --issue` ----------------------------------------------------


@pytest.fixture
def cli(cli: Cli, ws: Path, tmp_path: Path, fake_github: FakeGithub) -> Cli:
    """The CLI in the workspace, as a scheduled workflow runs it (event `schedule`)."""
    cli.cwd = ws
    cli.env.update({**environ(tmp_path, fake_github, None), "GITHUB_EVENT_NAME": "schedule"})
    return cli


def test_drift_opens_the_issue_escaped_and_closes_it_once_applied(
    ws: Path, cli: Cli, fake_github: FakeGithub
) -> None:
    edit(ws / "alpha" / "model.yaml", "name: Alpha", "name: 'Alpha @octocat <img src=x> #1'")
    commit(ws, "a hostile name")
    assert cli("drift", "--sandbox", "--issue") == 2
    assert "drift issue opened: https://github.example/issues/" in cli.err
    [issue] = fake_github.open_issues()
    body = issue["body"]
    assert body.startswith(f"{drift_marker('.')}\n")
    assert "| alpha | ➕ create |" in body
    assert "@&#8203;octocat" in body
    assert "#&#8203;1" in body
    assert "<img" not in body
    assert "@octocat" not in body
    assert cli("drift", "--sandbox", "--issue") == 2
    assert "drift issue unchanged" in cli.err

    train_all(ws)
    assert cli("drift", "--sandbox", "--issue") == 0
    assert "drift issue closed" in cli.err
    assert fake_github.open_issues() == []
    assert cli("drift", "--sandbox", "--issue") == 0
    assert "drift issue: none open" in cli.err


def test_drift_without_issue_needs_no_github_and_says_no_changes(ws: Path, cli: Cli) -> None:
    train_all(ws)
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY"):
        cli.env[name] = None
    assert cli("drift", "--sandbox") == 0
    assert "No changes. The live models match the manifests." in cli.out


def test_drift_issue_without_a_token_names_what_to_set(ws: Path, cli: Cli) -> None:
    cli.env["GITHUB_TOKEN"] = None
    assert cli("drift", "--sandbox", "--issue") == 1
    assert "GITHUB_TOKEN is not set" in cli.err


def test_drift_json_says_what_was_done_to_the_issue(
    ws: Path, cli: Cli, fake_github: FakeGithub
) -> None:
    edit(ws / "alpha" / "model.yaml", "name: Alpha", "name: Alpha two")
    commit(ws, "renamed")
    assert cli("drift", "--sandbox", "--issue", "--format", "json") == 2
    doc = json.loads(cli.out)
    [issue] = fake_github.open_issues()
    assert (doc["command"], doc["drifted"]) == ("drift", True)
    assert doc["issue"] == {
        "action": "opened",
        "number": issue["number"],
        "url": f"https://github.example/issues/{issue['number']}",
    }
    assert "drift issue opened" in cli.err
