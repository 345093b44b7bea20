"""Everything GitHub-facing: event context, the PR plan comment, the outcome comment, the job
summary and the merge-time check that what is applied is what was reviewed.

This package never renders a plan: it receives rendered markdown, a plan fingerprint and the
per-model review record (`trainops.reviewed`).
Map: `context` (env + event) → `api` (HTTP, retries) → `body`/`markup` (comment text, size
limits) → `comments` (upsert, read back, outcome) · `summary` · `review`.
"""

from __future__ import annotations

from trainops.backoff import RetryPolicy
from trainops.github.body import MAX_COMMENT_CHARS, comment_marker
from trainops.github.comments import (
    CommentResult,
    comment_outcome,
    find_merged_pr,
    reviewed_fingerprint,
    reviewed_meta,
    upsert_failure_comment,
    upsert_plan_comment,
)
from trainops.github.context import GithubContext, fork_message
from trainops.github.review import MergeCheck, Reviewed, check_merge, judge
from trainops.github.summary import write_step_summary

__all__ = [
    "MAX_COMMENT_CHARS",
    "CommentResult",
    "GithubContext",
    "MergeCheck",
    "RetryPolicy",
    "Reviewed",
    "check_merge",
    "comment_marker",
    "comment_outcome",
    "find_merged_pr",
    "fork_message",
    "judge",
    "reviewed_fingerprint",
    "reviewed_meta",
    "upsert_failure_comment",
    "upsert_plan_comment",
    "write_step_summary",
]
