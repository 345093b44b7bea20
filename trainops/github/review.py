"""Apply-on-merge safety: what is applied must be what was reviewed in the pull request, or less.

The merged PR's plan comment carries what the reviewer saw (`body`'s meta: the fingerprint and,
since meta version 2, the per-model `review`). The merge-time plan passes when it does nothing,
when its fingerprint is the reviewed one, or when, model by model, it does no more than the review
showed, with the same declared inputs, within the cost tolerance (`trainops.reviewed.compare`).
A plan comment that records a failed plan approves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from trainops.backoff import RetryPolicy
from trainops.errors import UnsafePlanError
from trainops.github.api import DEFAULT_RETRY
from trainops.github.comments import find_merged_pr, reviewed_meta
from trainops.github.context import GithubContext
from trainops.reviewed import DEFAULT_TOLERANCE, Review, compare

_SWITCH = "or pass `--verify-reviewed warn` (action input `on-mismatch: warn`) to apply anyway"
SHOWN = 20  # differences listed; the rest are counted


@dataclass(frozen=True)
class Reviewed:
    """What the merged PR's plan comment says was reviewed."""

    fingerprint: str | None = None
    review: Review | None = None
    failed: str | None = None  # the plan failed: this is why, and nothing was approved

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> Reviewed | None:
        if meta is None:
            return None
        failed = meta.get("failed")
        if isinstance(failed, str):
            return cls(failed=failed or "failed")
        fingerprint = meta.get("fingerprint")
        if not isinstance(fingerprint, str):
            return None
        return cls(fingerprint, Review.from_data(meta.get("review")))


@dataclass(frozen=True)
class MergeCheck:
    pr_number: int | None  # the merged PR to comment the outcome (or the refusal) on, if any
    refusal: str | None = None  # why the merge-time plan is not covered by the review
    differences: tuple[str, ...] = ()  # per model (and cost), what goes beyond the review
    hint: str | None = None
    max_cost: float | None = None  # the `--max-cost` the reviewed plan was held to

    @property
    def passed(self) -> bool:
        return self.refusal is None

    def error(self) -> UnsafePlanError:
        return UnsafePlanError(self.message(), hint=self.hint)

    def message(self) -> str:
        lines = [f"  {d}" for d in self.differences[:SHOWN]]
        if len(self.differences) > SHOWN:
            lines.append(f"  ... and {len(self.differences) - SHOWN} more")
        return "\n".join([str(self.refusal), *lines])

    def warning(self) -> str | None:
        if self.passed:
            return None
        return f"warning: {self.message()}\napplying anyway (--verify-reviewed warn)"


def judge(
    reviewed: Reviewed | None,
    current_fingerprint: str,
    current: Review,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    pr_number: int | None = None,
) -> MergeCheck:
    """The merge-time plan (`current_fingerprint`, its acting entries `current`) against what
    was reviewed. Pure."""
    max_cost = reviewed.review.max_cost if reviewed and reviewed.review else None
    if not current.models:
        return MergeCheck(pr_number, max_cost=max_cost)  # nothing to do: nothing to refuse
    short = current_fingerprint[:12]
    forward = _forward(pr_number)
    if reviewed is None:
        return MergeCheck(
            pr_number,
            "no reviewed plan found: the merged pull request has no trainops plan comment "
            f"for this path (the plan now is {short})",
            hint=f"let the plan job comment on the pull request before merging; {forward}",
        )
    if reviewed.failed is not None:
        return MergeCheck(
            pr_number,
            f"the plan reviewed in the pull request failed ({reviewed.failed}), so no plan was "
            f"approved (the plan now is {short})",
            hint=forward,
        )
    fingerprint = reviewed.fingerprint or ""
    if fingerprint.strip().lower() == current_fingerprint.strip().lower():
        return MergeCheck(pr_number, max_cost=max_cost)
    if reviewed.review is None:
        return MergeCheck(
            pr_number,
            f"the plan at merge ({short}) differs from the plan reviewed in the pull "
            f"request ({fingerprint[:12]}): manifests, images, live models or prices changed "
            "after the review",
            hint=forward,
        )
    differences = compare(reviewed.review, current, tolerance=tolerance)
    if not differences:
        return MergeCheck(pr_number, max_cost=max_cost)
    return MergeCheck(
        pr_number,
        f"the plan at merge does more than the plan reviewed in the pull request "
        f"({len(differences)} difference(s)):",
        tuple(differences),
        hint=forward,
        max_cost=max_cost,
    )


def _forward(pr: int | None) -> str:
    where = f"pull request #{pr}" if pr is not None else "the pull request"
    return (
        "re-plan the merged commit for approval: run the workflow's `workflow_dispatch` "
        f"(Actions > trainops > Run workflow, pull-request {pr if pr is not None else 'N'}); "
        f"it posts the plan on {where}, and approving its `trainops-apply` environment applies "
        f"exactly that plan; or open a new pull request to re-plan, {_SWITCH}"
    )


def check_merge(
    ctx: GithubContext,
    *,
    marker: str,
    current_fingerprint: str,
    current: Review,
    tolerance: float = DEFAULT_TOLERANCE,
    pr_number: int | None = None,
    client: httpx.Client | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> MergeCheck:
    """The whole apply-on-merge gate: the merged PR (`pr_number`, else the one that produced
    `ctx.sha`), the plan it reviewed, compared (`judge`). A push with no merged PR counts as
    "no reviewed plan"."""
    pr = pr_number
    if pr is None and ctx.sha:
        pr = find_merged_pr(ctx, ctx.sha, client=client, retry=retry)
    meta = reviewed_meta(ctx, pr, marker, client=client, retry=retry) if pr else None
    return judge(
        Reviewed.from_meta(meta), current_fingerprint, current, tolerance=tolerance, pr_number=pr
    )
