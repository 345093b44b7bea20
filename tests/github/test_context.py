# ruff: noqa: E501  (a snapshot holds the whole repr)
"""The pure or local parts of trainops.github: context, markdown truncation, the review
check, the job summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.github_env import FP, HEAD, environ, pr_event
from trainops.errors import ConfigError
from trainops.github import (
    GithubContext,
    Reviewed,
    comment_marker,
    fork_message,
    judge,
    write_step_summary,
)
from trainops.github.markup import truncate_markdown
from trainops.reviewed import Review, ReviewedModel

MARKER = comment_marker("examples")


# --- context ---------------------------------------------------------------------------------


def test_context_reads_pull_request_event_and_hides_token(tmp_path: Path) -> None:
    ctx = GithubContext.from_env(environ(tmp_path, None, pr_event()))
    assert repr(ctx).replace(str(tmp_path), "TMP") == snapshot(
        "GithubContext(api_url='https://api.github.com', repository='acme/models', event_name='pull_request', sha='fedcba9876543210fedcba9876543210fedcba98', pr_number=7, is_fork=False, head_sha='0123456789abcdef0123456789abcdef01234567', base_sha=None, step_summary='TMP/summary.md', server_url='https://github.com', run_id='42')"
    )
    assert ctx.planned_sha == HEAD
    assert ctx.run_url == "https://github.com/acme/models/actions/runs/42"


@pytest.mark.parametrize("head_repo", ["someone/models", None])
def test_fork_pull_request_is_detected(tmp_path: Path, head_repo: str | None) -> None:
    ctx = GithubContext.from_env(environ(tmp_path, None, pr_event(head_repo=head_repo)))
    assert ctx.is_fork
    assert fork_message() == snapshot(
        "trainops: this pull request comes from a fork. GitHub gives workflows triggered by "
        "forks no secrets, so the plan cannot be computed against the Scenario API here. "
        "Nothing failed: a maintainer can review the manifests and push the branch to this "
        "repository to get a priced plan."
    )


def test_push_event_has_no_pull_request(tmp_path: Path) -> None:
    ctx = GithubContext.from_env(environ(tmp_path, None, {"ref": "refs/heads/main"}))
    assert (ctx.pr_number, ctx.is_fork, ctx.planned_sha) == (None, False, ctx.sha)


def test_missing_variable_is_named(tmp_path: Path) -> None:
    env = environ(tmp_path, None, None)
    del env["GITHUB_TOKEN"]
    with pytest.raises(ConfigError) as exc:
        GithubContext.from_env(env)
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "GITHUB_TOKEN is not set (a token allowed to write PR comments)",
            "set GITHUB_TOKEN; in a workflow pass `github-token` to the action or "
            "`env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    )


def test_unreadable_event_file_is_a_config_error(tmp_path: Path) -> None:
    env = environ(tmp_path, None, None)
    env["GITHUB_EVENT_PATH"] = str(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="GITHUB_EVENT_PATH"):
        GithubContext.from_env(env)


def test_comment_marker_normalizes_path_and_cannot_close_early() -> None:
    assert comment_marker("./examples/") == comment_marker("examples") == MARKER
    assert comment_marker("a-->b <x>") == snapshot("<!-- trainops:plan path=a--%3Eb%20%3Cx%3E -->")


# --- markdown truncation ---------------------------------------------------------------------


def test_truncation_closes_open_fence_and_details() -> None:
    text = "<details><summary>a</summary>\n\n```\n" + "x\n" * 50 + "```\n</details>\n"
    assert truncate_markdown(text, 60) == snapshot(
        "<details><summary>a</summary>\n\n```\nx\nx\nx\nx\nx\n```\n</details>\n"
    )


def test_truncation_never_cuts_inside_a_tag_or_comment() -> None:
    text = "a\n<details\nopen>\nb\n</details>\n<!-- note\nstill note -->\n" + "c\n" * 40
    assert truncate_markdown(text, 30) == snapshot("a\n<details\nopen>\nb\n</details>\n")
    assert truncate_markdown(text, 12) == "a\n"
    assert truncate_markdown("no line fits at all", 5) == ""


def test_truncation_ignores_tags_in_code_spans() -> None:
    text = "model `<script>` is escaped\n" + "row\n" * 30
    assert truncate_markdown(text, 40) == "model `<script>` is escaped\nrow\nrow\nrow\n"


# --- review check ----------------------------------------------------------------------------


ACTS = Review({"alpha": ReviewedModel("train", "in-a", 10.0)})


def test_the_review_check_passes_on_equal_fingerprints() -> None:
    assert judge(Reviewed(FP), FP.upper(), ACTS).passed


def test_a_v1_comment_needs_the_exact_fingerprint_and_says_so() -> None:
    check = judge(Reviewed("a" * 64), FP, ACTS, pr_number=7)
    assert (check.message(), check.hint) == snapshot(
        (
            "the plan at merge (9f86d081884c) differs from the plan reviewed in the pull request "
            "(aaaaaaaaaaaa): manifests, images, live models or prices changed after the review",
            "re-plan the merged commit for approval: run the workflow's `workflow_dispatch` "
            "(Actions > trainops > Run workflow, pull-request 7); it posts the plan on pull "
            "request #7, and approving its `trainops-apply` environment applies exactly that plan;"
            " or open a new pull request to re-plan, or pass `--verify-reviewed warn` (action "
            "input `on-mismatch: warn`) to apply anyway",
        )
    )


def test_the_review_check_without_a_reviewed_plan() -> None:
    check = judge(None, FP, ACTS)
    assert check.error().message.startswith("no reviewed plan found")
    assert check.warning() == snapshot(
        "warning: no reviewed plan found: the merged pull request has no trainops plan comment for"
        " this path (the plan now is 9f86d081884c)\napplying anyway (--verify-reviewed warn)"
    )


def test_a_merge_with_nothing_to_do_needs_no_review() -> None:
    assert judge(None, FP, Review()).passed
    assert judge(Reviewed(failed="over --max-cost of 5"), FP, Review()).passed


def test_a_failed_review_approves_nothing() -> None:
    check = judge(
        Reviewed(failed="the plan costs 35 creative units, over --max-cost of 5"), FP, ACTS
    )
    assert check.message() == snapshot(
        "the plan reviewed in the pull request failed (the plan costs 35 creative units, over "
        "--max-cost of 5), so no plan was approved (the plan now is 9f86d081884c)"
    )


# --- job summary ------------------------------------------------------------------------------


def test_step_summary_appends(tmp_path: Path) -> None:
    env = environ(tmp_path, None, None)
    assert write_step_summary(env, "# plan A")
    assert write_step_summary(GithubContext.from_env(env), "# plan B\n")
    assert (tmp_path / "summary.md").read_text() == "# plan A\n\n# plan B\n\n"
    assert not write_step_summary({}, "# nowhere")


def test_step_summary_stays_under_one_mebibyte(tmp_path: Path) -> None:
    env = environ(tmp_path, None, None)
    block = "<details><summary>é</summary>\n\n" + "é" * 3000 + "\n\n</details>\n"
    write_step_summary(env, "# before\n")
    write_step_summary(env, block * 200)  # 1.2 MB of two-byte characters
    text = (tmp_path / "summary.md").read_text()
    assert 1000 * 1024 < len(text.encode()) <= 1024 * 1024
    assert text.count("<details>") == text.count("</details>")
    assert text.endswith("the full text is in the log.\n")
