"""Environment and payload builders shared by the GitHub tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.cli import Cli
from tests.support.fake_github import FakeGithub

TOKEN = "ghs_S3cretTokenValue0123456789"
FP = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
HEAD = "0123456789abcdef0123456789abcdef01234567"
MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98"  # GITHUB_SHA of `environ`


def pr_event(number: int = 7, head_repo: str | None = "acme/models") -> dict[str, Any]:
    head: dict[str, Any] = {"sha": HEAD, "repo": {"full_name": head_repo} if head_repo else None}
    return {
        "pull_request": {
            "number": number,
            "head": head,
            "base": {"repo": {"full_name": "acme/models"}},
        }
    }


def environ(
    tmp_path: Path, fake: FakeGithub | None, event: dict[str, Any] | None
) -> dict[str, str]:
    env = {
        "GITHUB_REPOSITORY": "acme/models",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_NAME": "pull_request" if event and "pull_request" in event else "push",
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_RUN_ID": "42",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    if fake is not None:
        env["GITHUB_API_URL"] = fake.url
    if event is not None:
        (tmp_path / "event.json").write_text(json.dumps(event))
        env["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
    return env


def details(i: int) -> str:
    lines = "+ line\n" * 200
    return f"<details><summary>model-{i}</summary>\n\n```diff\n{lines}```\n\n</details>\n"


def on_pull_request(cli: Cli, tmp_path: Path, fake_github: FakeGithub) -> None:
    """The CLI runs as the plan job of pull request 7 does."""
    cli.env.update(environ(tmp_path, fake_github, pr_event(7)))


def on_merge(cli: Cli, tmp_path: Path, fake_github: FakeGithub) -> None:
    """The CLI runs as the apply job on the push of pull request 7's merge commit."""
    fake_github.pulls_by_commit[MERGE_SHA] = [
        {"number": 7, "merged_at": "2026-11-27T06:00:00Z", "merge_commit_sha": MERGE_SHA}
    ]
    cli.env.update({**environ(tmp_path, fake_github, None), "GITHUB_EVENT_PATH": None})
