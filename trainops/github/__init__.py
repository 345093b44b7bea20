"""Everything GitHub-facing: event context, the PR plan comment, the outcome comment, the job
summary and the merge-time check that what is applied is what was reviewed.

This package never renders a plan: it receives rendered markdown and a plan fingerprint.
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
    upsert_plan_comment,
)
from trainops.github.context import GithubContext, fork_message
from trainops.github.review import MergeCheck, check_merge, verify_reviewed
from trainops.github.summary import write_step_summary

__all__ = [
    "MAX_COMMENT_CHARS",
    "CommentResult",
    "GithubContext",
    "MergeCheck",
    "RetryPolicy",
    "check_merge",
    "comment_marker",
    "comment_outcome",
    "find_merged_pr",
    "fork_message",
    "reviewed_fingerprint",
    "upsert_plan_comment",
    "verify_reviewed",
    "write_step_summary",
]
