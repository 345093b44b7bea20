"""Where we run on GitHub: repository, token, event payload. Read once from the environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainops.errors import ConfigError

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class GithubContext:
    """The GitHub side of one workflow run. `token` is kept out of repr so it never reaches logs."""

    api_url: str
    repository: str
    token: str = field(repr=False)
    event_name: str = ""
    sha: str | None = None  # GITHUB_SHA: on pull_request, the test merge commit
    pr_number: int | None = None
    is_fork: bool = False
    head_sha: str | None = None  # the PR head commit a reviewer actually sees
    base_sha: str | None = None  # the PR base commit: the old side of a changed file
    step_summary: str | None = None
    server_url: str = DEFAULT_SERVER_URL
    run_id: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GithubContext:
        event = _load_event(environ.get("GITHUB_EVENT_PATH") or None)
        pr = event.get("pull_request")
        pr = pr if isinstance(pr, dict) else None
        return cls(
            api_url=(environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            repository=_required(environ, "GITHUB_REPOSITORY", "owner/name of the repository"),
            token=_required(environ, "GITHUB_TOKEN", "a token allowed to write PR comments"),
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            sha=environ.get("GITHUB_SHA") or None,
            pr_number=_pr_number(event, pr),
            is_fork=pr is not None and _is_fork(pr),
            head_sha=_dig(pr, "head", "sha") if pr else None,
            base_sha=_dig(pr, "base", "sha") if pr else None,
            step_summary=environ.get("GITHUB_STEP_SUMMARY") or None,
            server_url=(environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID") or None,
        )

    @property
    def planned_sha(self) -> str | None:
        """The commit a plan comment should name: the PR head, else the checked-out commit."""
        return self.head_sha or self.sha

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"


def fork_message() -> str:
    return (
        "trainops: this pull request comes from a fork. GitHub gives workflows triggered by "
        "forks no secrets, so the plan cannot be computed against the Scenario API here. "
        "Nothing failed: a maintainer can review the manifests and push the branch to this "
        "repository to get a priced plan."
    )


def _required(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigError(
            f"{name} is not set ({what})",
            hint=f"set {name}; in a workflow pass `github-token` to the action "
            "or `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    return value


def _load_event(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"GITHUB_EVENT_PATH: cannot read the event payload {path}: {exc}",
            hint="GitHub sets GITHUB_EVENT_PATH to a JSON file; unset it outside workflows",
        ) from exc
    return data if isinstance(data, dict) else {}


def _pr_number(event: Mapping[str, Any], pr: Mapping[str, Any] | None) -> int | None:
    number = pr.get("number") if pr else None
    if number is None and isinstance(event.get("issue"), dict) and "pull_request" in event["issue"]:
        number = event["issue"].get("number")  # issue_comment on a PR
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _is_fork(pr: Mapping[str, Any]) -> bool:
    head = _dig(pr, "head", "repo", "full_name")
    base = _dig(pr, "base", "repo", "full_name")
    # A deleted fork has `head.repo: null`: still a fork, still no secrets.
    return head is None or head != base


def _dig(data: Mapping[str, Any], *keys: str) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node
