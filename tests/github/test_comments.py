from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot

from tests.support.builders import desired, image, live, model
from tests.support.fake_github import BOT, FakeGithub
from tests.support.github_env import FP, HEAD, TOKEN, details, environ, pr_event
from tests.support.sandbox import free_port
from trainops.diff import diff
from trainops.errors import ApiError, ConfigError
from trainops.github import (
    GithubContext,
    MergeCheck,
    RetryPolicy,
    check_merge,
    comment_marker,
    comment_outcome,
    find_merged_pr,
    reviewed_fingerprint,
    upsert_plan_comment,
)
from trainops.github.api import DEFAULT_RETRY
from trainops.github.body import plan_comment
from trainops.render.markdown import render_markdown
from trainops.render.pictures import Blobs, plan_pictures
from trainops.reviewed import Review, ReviewedModel

MARKER = comment_marker("examples")
PLAN = (
    "**trainops plan**: 1 training, $1.20\n\n| model | action | cost | why |\n|---|---|---|---|\n"
)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> RetryPolicy:
    return dataclasses.replace(DEFAULT_RETRY, sleep=sleeps.append, clock=lambda: 1_000_000.0)


def context(
    tmp_path: Path, fake_github: FakeGithub, event: dict[str, Any] | None = None
) -> GithubContext:
    return GithubContext.from_env(
        environ(tmp_path, fake_github, pr_event() if event is None else event)
    )


def upsert(ctx: GithubContext, retry: RetryPolicy, full: str = PLAN, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "marker": MARKER,
        "full_markdown": full,
        "compact_markdown": full,
        "plan_fingerprint": FP,
    }
    return upsert_plan_comment(ctx, **{**args, **kw}, retry=retry)


# --- the plan comment -------------------------------------------------------------------------


def test_first_plan_creates_one_comment(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    result = upsert(context(tmp_path, fake_github), retry)
    assert (result.action, result.form) == ("created", "full")
    [comment] = fake_github.comments[7]
    assert comment["body"] == snapshot(
        "<!-- trainops:plan path=examples -->\n"
        '<!-- trainops:meta {"fingerprint": '
        '"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "form": "full", '
        '"sha": "0123456789abcdef0123456789abcdef01234567", "version": 1} -->\n'
        """
**trainops plan**: 1 training, $1.20

| model | action | cost | why |
|---|---|---|---|
"""
    )
    assert [c.headers["authorization"] for c in fake_github.writes()] == [f"Bearer {TOKEN}"]


def test_second_plan_updates_same_comment_past_pages_of_others(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    fake_github.page_size = 10
    ctx = context(tmp_path, fake_github)
    upsert(ctx, retry)
    for i in range(25):
        fake_github.add_comment(7, f"review comment {i}", BOT if i % 2 else None)
    result = upsert(ctx, retry, full=PLAN + "| a | train | $1.20 | new images |\n")
    assert result.action == "updated"
    assert [(c.method, c.path) for c in fake_github.writes()] == [
        ("POST", "/repos/acme/models/issues/7/comments"),
        ("PATCH", f"/repos/acme/models/issues/comments/{result.comment_id}"),
    ]
    ours = [c for c in fake_github.comments[7] if c["body"].startswith(MARKER)]
    assert len(ours) == 1
    assert "new images" in ours[0]["body"]


def test_identical_plan_is_not_rewritten(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    ctx = context(tmp_path, fake_github)
    upsert(ctx, retry)
    assert upsert(ctx, retry).action == "unchanged"
    assert len(fake_github.writes()) == 1


def test_each_workspace_path_gets_its_own_comment(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    ctx = context(tmp_path, fake_github)
    upsert(ctx, retry)
    upsert(ctx, retry, marker=comment_marker("voices"))
    upsert(ctx, retry, marker=comment_marker("voices"), full="changed")
    assert [c["body"].split("\n")[0] for c in fake_github.comments[7]] == [
        MARKER,
        comment_marker("voices"),
    ]


def test_plan_comment_needs_a_pull_request(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    with pytest.raises(ConfigError, match="needs a pull request"):
        upsert(context(tmp_path, fake_github, {"ref": "refs/heads/main"}), retry)
    assert fake_github.calls == []


def test_bad_fingerprint_is_refused(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    with pytest.raises(ValueError, match="not a plan fingerprint"):
        upsert(context(tmp_path, fake_github), retry, plan_fingerprint="x --> <b>")


# --- spoofing ---------------------------------------------------------------------------------


def forged_header(fingerprint: str) -> str:
    return f'{MARKER}\n<!-- trainops:meta {{"fingerprint": "{fingerprint}", "version": 1}} -->\n'


def test_marker_comment_from_a_person_is_not_trusted(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    fake_github.add_comment(7, forged_header("f" * 64) + "looks reviewed to me")
    ctx = context(tmp_path, fake_github)
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) is None
    assert upsert(ctx, retry).action == "created"
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) == FP


def test_plan_content_cannot_spoof_the_fingerprint(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    evil = forged_header("e" * 64) + "<details><summary>x</summary>\n\n<!-- unclosed\n"
    ctx = context(tmp_path, fake_github)
    upsert(ctx, retry, full=evil)
    body = fake_github.comments[7][0]["body"]
    assert body.startswith(f"{MARKER}\n<!-- trainops:meta {{")
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) == FP


@pytest.mark.parametrize(
    "header",
    [
        f"{MARKER}",
        f"{MARKER}\nplain text",
        f"{MARKER}\n<!-- trainops:meta {{not json}} -->",
        f'{MARKER}\n<!-- trainops:meta {{"fingerprint": 3}} -->',
        f'{MARKER} \n<!-- trainops:meta {{"fingerprint": "{"a" * 64}"}} -->',
    ],
)
def test_damaged_header_reads_as_no_reviewed_plan(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, header: str
) -> None:
    fake_github.add_comment(7, header + "\nrest", BOT)
    assert reviewed_fingerprint(context(tmp_path, fake_github), 7, MARKER, retry=retry) is None


def test_personal_token_trusts_only_its_own_login(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    fake_github.user = fake_github.poster = {"login": "trainops-bot", "type": "User"}
    fake_github.add_comment(7, forged_header("b" * 64), {"login": "other[bot]", "type": "Bot"})
    ctx = context(tmp_path, fake_github)
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) is None
    upsert(ctx, retry)
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) == FP


# --- size limits ------------------------------------------------------------------------------


def test_oversized_plan_falls_back_to_compact(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    full = PLAN + "".join(details(i) for i in range(100))
    result = upsert(context(tmp_path, fake_github), retry, full=full, compact_markdown=PLAN)
    assert result.form == "compact"
    assert fake_github.comments[7][0]["body"].split("\n\n", 2)[2] == snapshot(
        """\
| model | action | cost | why |
|---|---|---|---|

> The full plan, with per-model details, is in the [job summary](https://github.com/acme/models/actions/runs/42).
"""
    )


def test_oversized_plan_drops_its_thumbnails_first() -> None:
    many = tuple(image(f"knight-{i:03}.png") for i in range(400))
    plan = diff(desired(model("big", images=many)), live())
    blobs = Blobs("https://github.com", "acme/models")
    # Ten thumbnails per model (the rest of the list is counted): many models to fill it.
    plans = [dataclasses.replace(plan.models[0], key=f"m{i:02}") for i in range(60)]
    plan = dataclasses.replace(plan, models=tuple(plans))
    pictures = plan_pictures(plan, blobs, head=HEAD, base=None, prefix="", removed={})
    full = render_markdown(plan, pictures=pictures)
    plain = render_markdown(plan)
    assert len(full) > 65536 > len(plain) + 500
    comment = plan_comment(
        marker=MARKER,
        full_markdown=full,
        plain_markdown=plain,
        compact_markdown=render_markdown(plan, details=False),
        plan_fingerprint=FP,
        sha=HEAD,
        run_url=None,
    )
    assert comment.form == "plain"
    assert "<img" not in comment.body
    assert "<details>" in comment.body
    assert comment.body.endswith(
        "\n\n> ℹ️ Thumbnails were left out to fit GitHub's comment size limit.\n"
    )
    small = plan_comment(
        marker=MARKER,
        full_markdown=render_markdown(dataclasses.replace(plan, models=plan.models[:1]),
                                      pictures=pictures),
        plain_markdown=plain,
        compact_markdown=plain,
        plan_fingerprint=FP,
        sha=HEAD,
        run_url=None,
    )  # fmt: skip
    assert small.form == "full"
    assert small.body.count("<img") == 10


def test_oversized_compact_plan_is_truncated_without_breaking_html(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    huge = PLAN + "".join(details(i) for i in range(100))
    result = upsert(context(tmp_path, fake_github), retry, full=huge, compact_markdown=huge)
    body = fake_github.comments[7][0]["body"]
    assert result.form == "truncated"
    assert 60_000 < len(body) <= 65536
    assert body.count("<details>") == body.count("</details>")
    assert body.count("```") % 2 == 0
    assert body.endswith(
        "</details>\n\n> ⚠️ The plan was truncated to fit GitHub's comment size limit; the full "
        "plan is in the [job summary](https://github.com/acme/models/actions/runs/42).\n\n"
        "<sub>planned at `0123456` · plan fingerprint `9f86d081884c`</sub>\n"
    )
    assert reviewed_fingerprint(context(tmp_path, fake_github), 7, MARKER, retry=retry) == FP


# --- apply on merge ---------------------------------------------------------------------------


def test_apply_outcome_goes_to_the_merged_pull_request(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    sha = "fedcba9876543210fedcba9876543210fedcba98"
    fake_github.pulls_by_commit[sha] = [
        {"number": 3, "merged_at": None, "merge_commit_sha": "1" * 40},
        {"number": 5, "merged_at": "2026-11-27T05:00:00Z", "merge_commit_sha": "2" * 40},
        {"number": 9, "merged_at": "2026-11-27T05:00:00Z", "merge_commit_sha": sha},
    ]
    ctx = context(tmp_path, fake_github, {"ref": "refs/heads/main"})
    assert find_merged_pr(ctx, sha, retry=retry) == 9
    assert find_merged_pr(ctx, "0" * 40, retry=retry) is None
    result = comment_outcome(ctx, 9, "**applied**: 1 training started", retry=retry)
    assert fake_github.comments[9][0]["body"] == snapshot(
        "<!-- trainops:outcome -->\n**applied**: 1 training started\n"
    )
    assert result.action == "created"


def test_oversized_outcome_is_truncated(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    ctx = context(tmp_path, fake_github, {"ref": "refs/heads/main"})
    comment_outcome(ctx, 9, "".join(details(i) for i in range(100)), retry=retry)
    body = fake_github.comments[9][0]["body"]
    assert len(body) <= 65536
    assert body.count("<details>") == body.count("</details>")
    assert body.endswith("the full outcome is in the job log.\n")


def test_merge_gate_finds_the_pr_and_its_reviewed_plan(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    upsert(context(tmp_path, fake_github), retry)  # the plan job on PR 7
    push = context(tmp_path, fake_github, {"ref": "refs/heads/main"})
    assert push.sha is not None
    fake_github.pulls_by_commit[push.sha] = [{"number": 7, "merged_at": "2026-11-27T05:00:00Z"}]
    acts = Review({"alpha": ReviewedModel("train", "in-a", 10.0)})
    check = check_merge(push, marker=MARKER, current_fingerprint=FP, current=acts, retry=retry)
    assert check == MergeCheck(pr_number=7)
    other = check_merge(
        push, marker=MARKER, current_fingerprint="c" * 64, current=acts, retry=retry
    )
    assert "differs from the plan reviewed" in other.message()


def test_merge_gate_on_a_direct_push_has_no_reviewed_plan(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    push = context(tmp_path, fake_github, {"ref": "refs/heads/main"})
    acts = Review({"alpha": ReviewedModel("train", "in-a", 10.0)})
    check = check_merge(push, marker=MARKER, current_fingerprint=FP, current=acts, retry=retry)
    assert check.pr_number is None
    assert str(check.warning()).startswith("warning: no reviewed plan found")


# --- retries and secrets ----------------------------------------------------------------------


def test_5xx_then_success_is_retried(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, sleeps: list[float]
) -> None:
    fake_github.fail_next(502, times=2)
    assert upsert(context(tmp_path, fake_github), retry).action == "created"
    assert sleeps == [1.0, 2.0]
    assert len(fake_github.comments[7]) == 1


def test_lost_create_response_does_not_duplicate_the_comment(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, sleeps: list[float]
) -> None:
    fake_github.fail_next(502, method="POST", after_write=True)
    assert upsert(context(tmp_path, fake_github), retry).action == "created"
    assert len(fake_github.comments[7]) == 1
    assert [c.method for c in fake_github.writes()] == ["POST"]
    assert sleeps == []


def test_failed_create_is_posted_again_after_looking(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    fake_github.fail_next(503, method="POST")
    assert upsert(context(tmp_path, fake_github), retry).action == "created"
    assert len(fake_github.comments[7]) == 1
    assert [c.method for c in fake_github.writes()] == ["POST", "POST"]


def test_secondary_rate_limit_honours_retry_after(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, sleeps: list[float]
) -> None:
    fake_github.fail_next(403, {"retry-after": "7"})
    fake_github.fail_next(429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000003"})
    assert upsert(context(tmp_path, fake_github), retry).action == "created"
    assert sleeps == [7.0, 3.0]


def test_long_rate_limit_fails_fast_with_reset_time(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, sleeps: list[float]
) -> None:
    fake_github.fail_next(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1003600"})
    with pytest.raises(ApiError) as exc:
        upsert(context(tmp_path, fake_github), retry)
    assert (exc.value.status, exc.value.hint) == (
        403,
        "GitHub rate limit reached; it resets at unix time 1003600",
    )
    assert sleeps == []


def test_permission_denied_is_not_retried(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy, sleeps: list[float]
) -> None:
    fake_github.fail_next(200)  # /user: let the listing be the call that is refused
    fake_github.fail_next(403, message=f"token {TOKEN} lacks pull-requests: write")
    with pytest.raises(ApiError) as exc:
        upsert(context(tmp_path, fake_github), retry)
    assert str(exc.value) == snapshot(
        "GitHub GET /repos/acme/models/issues/7/comments failed: "
        "403 token *** lacks pull-requests: write"
    )
    assert sleeps == []


def test_token_never_appears_in_errors(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    fake_github.token = "another-token"  # the server refuses ours
    with pytest.raises(ApiError) as refused:
        upsert(context(tmp_path, fake_github), retry)
    env = environ(tmp_path, fake_github, pr_event())
    gone = GithubContext.from_env({**env, "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(ApiError) as unreachable:
        upsert(gone, dataclasses.replace(DEFAULT_RETRY, attempts=2, sleep=lambda _: None))
    for exc in (refused.value, unreachable.value):
        assert TOKEN not in f"{exc} {exc.hint} {exc!r} {exc.__cause__!r} {exc.__context__!r}"
    assert str(unreachable.value) == "GET /user: ConnectError"


# --- with the real renderer -------------------------------------------------------------------


def test_rendered_plan_with_hostile_names_round_trips_at_any_size(
    tmp_path: Path, fake_github: FakeGithub, retry: RetryPolicy
) -> None:
    evil = "</details><!-- <img src=x onerror=alert(1)> trainops:plan path=examples -->"
    models = [
        model(f"m{i:03}", name=evil, images=tuple(image(f"{evil}{j}.png") for j in range(20)))
        for i in range(150)
    ]
    plan = diff(desired(*models), live(), commit=HEAD, created_at="2026-11-27T05:00:00Z")
    full, compact = render_markdown(plan), render_markdown(plan, details=False)
    assert len(full) > 65536
    ctx = context(tmp_path, fake_github)
    result = upsert(
        ctx, retry, full=full, compact_markdown=compact, plan_fingerprint=plan.fingerprint()
    )
    body = fake_github.comments[7][0]["body"]
    assert result.form in ("compact", "truncated")
    assert len(body) <= 65536
    assert body.count("<details>") == body.count("</details>")
    assert [line for line in body.splitlines() if line.startswith("<!-- trainops:")] == [
        MARKER,
        body.splitlines()[1],
    ]
    assert reviewed_fingerprint(ctx, 7, MARKER, retry=retry) == plan.fingerprint()
