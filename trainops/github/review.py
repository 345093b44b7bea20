"""Apply-on-merge safety: what is applied must be what was reviewed in the pull request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from trainops.backoff import RetryPolicy
from trainops.errors import UnsafePlanError
from trainops.github.api import DEFAULT_RETRY
from trainops.github.comments import find_merged_pr, reviewed_fingerprint
from trainops.github.context import GithubContext

Mode = Literal["fail", "warn"]
_SWITCH = "or pass `--verify-reviewed warn` (action input `on-mismatch: warn`) to apply anyway"


def verify_reviewed(reviewed: str | None, current: str, *, mode: Mode) -> str | None:
    """None when the merge-time plan is the reviewed one, else raise ("fail") or warn."""
    if reviewed is not None and reviewed.strip().lower() == current.strip().lower():
        return None
    message, hint = _mismatch(reviewed, current)
    if mode == "fail":
        raise UnsafePlanError(message, hint=hint)
    return f"warning: {message}; applying anyway (--verify-reviewed warn)"


def _mismatch(reviewed: str | None, current: str) -> tuple[str, str]:
    if reviewed is None:
        return (
            "no reviewed plan found: the merged pull request has no trainops plan comment "
            f"for this path (the plan now is {current[:12]})",
            f"let the plan job comment on the pull request before merging, {_SWITCH}",
        )
    return (
        f"the plan at merge ({current[:12]}) differs from the plan reviewed in the pull "
        f"request ({reviewed[:12]}): manifests, images, live models or prices changed "
        "after the review",
        f"open a pull request to re-plan and review the current changes, {_SWITCH}",
    )


@dataclass(frozen=True)
class MergeCheck:
    pr_number: int | None  # the merged PR to comment the outcome on, if any
    warning: str | None  # set in "warn" mode when the plan is not the reviewed one


def check_merge(
    ctx: GithubContext,
    *,
    marker: str,
    current_fingerprint: str,
    mode: Mode,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> MergeCheck:
    """The whole apply-on-merge gate: find the merged PR of `ctx.sha`, read the fingerprint it
    reviewed, compare. A push with no merged PR counts as "no reviewed plan"."""
    pr = find_merged_pr(ctx, ctx.sha, client=client, retry=retry) if ctx.sha else None
    reviewed = reviewed_fingerprint(ctx, pr, marker, client=client, retry=retry) if pr else None
    return MergeCheck(pr, verify_reviewed(reviewed, current_fingerprint, mode=mode))
