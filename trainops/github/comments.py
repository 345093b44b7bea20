"""PR comments: upsert the plan comment, read back its fingerprint, post the apply outcome.

Trust: a comment only counts as ours when its first line is the marker AND its author is the
identity behind our token (`GET /user`), or, for the workflow's GITHUB_TOKEN (which may not call
`/user`), a bot account. Otherwise a PR author could post a comment carrying the marker and a
forged fingerprint and have apply "verify" a plan nobody reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from trainops.backoff import RetryPolicy
from trainops.errors import ApiError, ConfigError
from trainops.github.api import DEFAULT_RETRY, GithubApi, is_rate_limited
from trainops.github.body import (
    Form,
    PlanComment,
    failure_comment,
    outcome_comment,
    plan_comment,
    read_meta,
)
from trainops.github.context import GithubContext


@dataclass(frozen=True)
class CommentResult:
    comment_id: int
    url: str
    action: Literal["created", "updated", "unchanged"]
    form: Form


def upsert_plan_comment(
    ctx: GithubContext,
    *,
    marker: str,
    full_markdown: str,
    compact_markdown: str,
    plan_fingerprint: str,
    review: dict[str, object] | None = None,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    plain_markdown: str | None = None,
) -> CommentResult:
    """Create the plan comment for `marker`'s workspace, or edit the existing one in place.
    `review` (`trainops.reviewed.Review.data`) is what the merge check compares with;
    `plain_markdown`, the full plan without thumbnails, is what fits when they do not."""
    comment = plan_comment(
        marker=marker,
        full_markdown=full_markdown,
        compact_markdown=compact_markdown,
        plan_fingerprint=plan_fingerprint,
        sha=ctx.planned_sha,
        run_url=ctx.run_url,
        review=review,
        plain_markdown=plain_markdown,
    )
    return _upsert(ctx, marker, comment, client, retry)


def upsert_failure_comment(
    ctx: GithubContext,
    *,
    marker: str,
    markdown: str,
    failure: str,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> CommentResult:
    """Replace the plan comment with a failure (`markdown`, `failure` in one line): the last
    green plan must not stay up when the newest push does not plan."""
    comment = failure_comment(
        marker=marker, markdown=markdown, failure=failure, sha=ctx.planned_sha
    )
    return _upsert(ctx, marker, comment, client, retry)


def _upsert(
    ctx: GithubContext,
    marker: str,
    comment: PlanComment,
    client: httpx.Client | None,
    retry: RetryPolicy,
) -> CommentResult:
    pr = _require_pr(ctx)
    with GithubApi(ctx, client, retry) as api:
        existing = _find_ours(api, pr, marker)
        if existing is None:
            made = _create(api, pr, marker, comment.body)
            return _result(made, "created", comment.form)
        if existing.get("body") == comment.body:
            return _result(existing, "unchanged", comment.form)
        path = f"/repos/{ctx.repository}/issues/comments/{existing['id']}"
        updated = api.call("PATCH", path, json={"body": comment.body})
        return _result(updated, "updated", comment.form)


def _create(api: GithubApi, pr: int, marker: str, body: str) -> Any:
    """POST once; after a 5xx or a lost connection, look again before a second POST, since
    GitHub may have stored the first one (a retried POST is how duplicates are born)."""
    path = f"/repos/{api.ctx.repository}/issues/{pr}/comments"
    try:
        response = api.request("POST", api.url(path), json={"body": body}, replayable=False)
    except ApiError:
        response = None
    if response is not None and response.status_code < 500:
        api.raise_for_status(response)
        return response.json()
    landed = _find_ours(api, pr, marker)
    if landed is None:
        return api.call("POST", path, json={"body": body})
    if landed.get("body") == body:
        return landed
    return api.call(
        "PATCH", f"/repos/{api.ctx.repository}/issues/comments/{landed['id']}", json={"body": body}
    )


def reviewed_fingerprint(
    ctx: GithubContext,
    pr_number: int,
    marker: str,
    *,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> str | None:
    """The plan fingerprint recorded in the PR's plan comment, None when there is none."""
    meta = reviewed_meta(ctx, pr_number, marker, client=client, retry=retry)
    fingerprint = meta.get("fingerprint") if meta else None
    return fingerprint if isinstance(fingerprint, str) else None


def reviewed_meta(
    ctx: GithubContext,
    pr_number: int,
    marker: str,
    *,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> dict[str, Any] | None:
    """The hidden meta of our plan comment on the PR (`body.read_meta`), None without one."""
    with GithubApi(ctx, client, retry) as api:
        comment = _find_ours(api, pr_number, marker)
    return read_meta(str(comment.get("body", "")), marker) if comment else None


def find_merged_pr(
    ctx: GithubContext,
    sha: str,
    *,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> int | None:
    """The merged pull request that produced commit `sha` (merge, squash or rebase)."""
    with GithubApi(ctx, client, retry) as api:
        pulls = api.call("GET", f"/repos/{ctx.repository}/commits/{sha}/pulls")
    merged = [p for p in pulls or [] if isinstance(p, dict) and p.get("merged_at")]
    # Prefer the PR whose merge produced exactly this commit over one that merely contains it.
    merged.sort(key=lambda p: p.get("merge_commit_sha") != sha)
    number = merged[0].get("number") if merged else None
    return number if isinstance(number, int) else None


def comment_outcome(
    ctx: GithubContext,
    pr_number: int,
    markdown: str,
    *,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> CommentResult:
    """A new comment with the apply outcome: a new one, so the PR notifies its followers."""
    body = outcome_comment(markdown)
    with GithubApi(ctx, client, retry) as api:
        made = api.call(
            "POST", f"/repos/{ctx.repository}/issues/{pr_number}/comments", json={"body": body}
        )
    return _result(made, "created", "full")


def _require_pr(ctx: GithubContext) -> int:
    if ctx.pr_number is None:
        raise ConfigError(
            f"--comment needs a pull request, but the {ctx.event_name or 'current'} event has none",
            hint="run `trainops plan --comment` from a `pull_request` workflow, or drop --comment",
        )
    return ctx.pr_number


def _find_ours(api: GithubApi, pr: int, marker: str) -> dict[str, Any] | None:
    trusted = _trusted_login(api)
    for comment in api.paginate(f"/repos/{api.ctx.repository}/issues/{pr}/comments"):
        body = comment.get("body")
        if isinstance(body, str) and _is_ours(body, marker) and _authored(comment, trusted):
            return comment
    return None


def _is_ours(body: str, marker: str) -> bool:
    return body.replace("\r\n", "\n").split("\n", 1)[0] == marker


def _trusted_login(api: GithubApi) -> str | None:
    """Who we post as; None when the token cannot say (GITHUB_TOKEN): then any bot is trusted."""
    response = api.request("GET", api.url("/user"))
    if response.status_code in (401, 403, 404) and not is_rate_limited(response):
        return None
    api.raise_for_status(response)
    login = response.json().get("login")
    return login if isinstance(login, str) else None


def _authored(comment: dict[str, Any], trusted: str | None) -> bool:
    user = comment.get("user")
    if not isinstance(user, dict):
        return False
    if trusted is not None:
        return bool(user.get("login") == trusted)
    return bool(user.get("type") == "Bot")


def _result(
    comment: Any, action: Literal["created", "updated", "unchanged"], form: Form
) -> CommentResult:
    return CommentResult(int(comment["id"]), str(comment.get("html_url", "")), action, form)
