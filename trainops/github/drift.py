"""The drift issue: ONE GitHub issue per workspace path, open while the live models differ from
the manifests on the default branch, updated by each check and closed when they match again.

A scheduled job runs `trainops drift --issue`: changes a merge left waiting (a pending training,
a deferred one) or made by hand in the web app then show up in the repository, not only in a log.

Layout of the issue body (the first line is the only one ever parsed):

    <!-- trainops:drift path=models -->     identity, one per workspace path
    ...a short heading, the check's commit and run, then the rendered plan: full, else compact,
       else compact truncated (issue bodies have the comments' 65536-character limit)...

Trust is the comments' (`trainops.github.comments`): an issue counts as ours only when its first
line is the marker and its author is the identity behind our token (or, with the workflow's
GITHUB_TOKEN, a bot). A person opening an issue with the marker cannot have it updated or closed.
This module never renders a plan: it receives rendered (escaped) markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

import httpx

from trainops.backoff import RetryPolicy
from trainops.errors import ApiError
from trainops.github.api import DEFAULT_RETRY, GithubApi
from trainops.github.body import MAX_COMMENT_CHARS
from trainops.github.comments import _authored, _trusted_login
from trainops.github.context import GithubContext
from trainops.github.markup import truncate_markdown, utf16_len
from trainops.redact import redact, strip_bidi

TITLE = "trainops: the live models differ from the manifests"
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")

Action = Literal["opened", "updated", "unchanged", "closed", "none"]


@dataclass(frozen=True)
class DriftResult:
    action: Action  # none: in sync and no issue open
    number: int | None = None
    url: str | None = None


def drift_marker(workspace_path: str) -> str:
    """The hidden first line naming one workspace; `quote` leaves no `>` to close it early."""
    path = str(PurePosixPath(workspace_path.replace("\\", "/")))
    return f"<!-- trainops:drift path={quote(path, safe='/')} -->"


def drift_body(
    ctx: GithubContext,
    *,
    marker: str,
    full_markdown: str,
    compact_markdown: str,
    max_chars: int = MAX_COMMENT_CHARS,
) -> str:
    """The issue body: what this is, where it was seen, and the plan (the largest that fits)."""
    sha = ctx.sha if ctx.sha and _SHA.fullmatch(ctx.sha) else None
    at = f" at `{sha[:12]}`" if sha else ""
    run = f" ([the check's run]({ctx.run_url}))" if ctx.run_url else ""
    head = "\n".join(
        [
            marker,
            "### The live models differ from the manifests",
            "",
            f"The scheduled drift check{at}{run} found changes that apply would make. The "
            "reconcile job (or the next merge) applies them; `trainops apply` applies them now. "
            "A pending training starts when the training running on that model ends. This issue "
            "is updated by every check and closed when the live models match the manifests again.",
        ]
    )
    for content in (full_markdown, compact_markdown):
        body = f"{head}\n\n{_public(content).strip()}\n"
        if utf16_len(body) <= max_chars:
            return body
    note = (
        "\n\n> ⚠️ The plan was truncated to fit GitHub's size limit; the full plan is in the run.\n"
    )
    budget = max_chars - utf16_len(head) - utf16_len(note) - 3
    return f"{head}\n\n{truncate_markdown(_public(compact_markdown), budget).strip()}{note}"


def sync_drift_issue(
    ctx: GithubContext,
    *,
    marker: str,
    drifted: bool,
    full_markdown: str = "",
    compact_markdown: str = "",
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> DriftResult:
    """Open (or update in place) the workspace's drift issue when `drifted`, else close it."""
    with GithubApi(ctx, client, retry) as api:
        existing = _find_ours(api, marker)
        if not drifted:
            if existing is None:
                return DriftResult("none")
            _close(api, existing)
            return _result(existing, "closed")
        body = drift_body(
            ctx, marker=marker, full_markdown=full_markdown, compact_markdown=compact_markdown
        )
        if existing is None:
            return _result(_create(api, marker, body), "opened")
        if existing.get("body") == body:
            return _result(existing, "unchanged")
        path = f"/repos/{ctx.repository}/issues/{existing['number']}"
        return _result(api.call("PATCH", path, json={"body": body}), "updated")


def _find_ours(api: GithubApi, marker: str) -> dict[str, Any] | None:
    """The open issue whose first line is `marker`, written by us (the list API's default state
    is open; pull requests, which it lists too, are skipped)."""
    trusted = _trusted_login(api)
    for issue in api.paginate(f"/repos/{api.ctx.repository}/issues"):
        body = issue.get("body")
        if (
            "pull_request" not in issue
            and isinstance(issue.get("number"), int)
            and isinstance(body, str)
            and body.replace("\r\n", "\n").split("\n", 1)[0] == marker
            and _authored(issue, trusted)
        ):
            return issue
    return None


def _create(api: GithubApi, marker: str, body: str) -> Any:
    """POST once; after a 5xx or a lost connection, look again before a second POST, since
    GitHub may have opened the first one (two drift issues is what this module must avoid)."""
    path = f"/repos/{api.ctx.repository}/issues"
    payload = {"title": TITLE, "body": body}
    try:
        response = api.request("POST", api.url(path), json=payload, replayable=False)
    except ApiError:
        response = None
    if response is not None and response.status_code < 500:
        api.raise_for_status(response)
        return response.json()
    landed = _find_ours(api, marker)
    if landed is None:
        return api.call("POST", path, json=payload)
    if landed.get("body") == body:
        return landed
    return api.call("PATCH", f"{path}/{landed['number']}", json={"body": body})


def _close(api: GithubApi, issue: dict[str, Any]) -> None:
    """Say why, then close: the comment notifies whoever follows the issue."""
    sha = api.ctx.sha if api.ctx.sha and _SHA.fullmatch(api.ctx.sha) else None
    at = f" at `{sha[:12]}`" if sha else ""
    run = f" ([run]({api.ctx.run_url}))" if api.ctx.run_url else ""
    repo = api.ctx.repository
    api.call(
        "POST",
        f"/repos/{repo}/issues/{issue['number']}/comments",
        json={
            "body": f"✅ The drift check{at}{run} found the live models matching the "
            "manifests again: closing."
        },
    )
    api.call(
        "PATCH",
        f"/repos/{repo}/issues/{issue['number']}",
        json={"state": "closed", "state_reason": "completed"},
    )


def _public(markdown: str) -> str:
    """The renderers already clean every user string; an issue is public, so once more."""
    return strip_bidi(redact(markdown))


def _result(issue: Any, action: Action) -> DriftResult:
    number = issue.get("number") if isinstance(issue, dict) else None
    url = issue.get("html_url") if isinstance(issue, dict) else None
    return DriftResult(
        action,
        number if isinstance(number, int) else None,
        url if isinstance(url, str) else None,
    )
