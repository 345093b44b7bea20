"""`trainops plan`: what apply would do, and what it would cost.

With `--comment` the pull request's plan comment follows the truth: a plan that fails (manifest
errors, API errors, over `--max-cost` or the budget) replaces it with the failure, so a green
plan of an earlier push never stays up, and the comment's meta approves nothing a merge could
apply (`github.review`)."""

from __future__ import annotations

import dataclasses
import functools
import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from trainops import pipeline
from trainops.commands import EXIT_CHANGES, EXIT_OK
from trainops.commands.common import (
    Target,
    list_warnings,
    marker_path,
    missing_secrets,
)
from trainops.commands.handler import err
from trainops.commands.probes import created_lines
from trainops.desired import Desired
from trainops.errors import Diagnostic, ManifestError, TrainopsError, UnsafePlanError
from trainops.plan import Plan
from trainops.planfile import save_plan
from trainops.pricing import check_budget
from trainops.render.markdown import ReportLink, render_markdown
from trainops.render.text import render_json, render_text

if TYPE_CHECKING:
    from trainops.github import GithubContext
    from trainops.render.pictures import Pictures

Format = Literal["text", "markdown", "json"]


def render(plan: Plan, fmt: Format, *, color: bool) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan, details=True)
    return render_text(plan, color=color)


def run_plan(
    target: Target,
    *,
    fmt: Format = "text",
    color: bool = False,
    out: Path | None = None,
    detailed_exitcode: bool = False,
    max_cost: float | None = None,
    changed_since: str | None = None,
    comment: bool = False,
    probe: bool = True,
    pr: int | None = None,
    targets: tuple[str, ...] = (),
    prune: bool = False,
    quiet: bool = False,
    report_artifact: str | None = None,
) -> int:
    load = functools.partial(
        pipeline.load,
        target.paths,
        cwd=target.cwd,
        changed=changed_since,
        targets=targets,
        cache=target.cache,
    )

    async def go() -> pipeline.Planned:
        async with target.client_before(load) as client:
            return await pipeline.load_and_plan(
                client, load, parallelism=target.parallelism, probe=probe, prune=prune
            )

    try:
        planned = pipeline.run(go())
    except TrainopsError as exc:
        if comment:
            comment_failure(target, exc, pr=pr)
        raise
    desired, plan = planned.desired, planned.plan
    list_warnings(planned.warnings, desired.models, quiet=quiet)
    print(render(plan, fmt, color=color), end="" if fmt == "text" else "\n")
    for line in created_lines(planned.probes_created):
        err(line)
    for line in missing_secrets(plan, desired, target.environ):
        err(f"warning: {line}: apply will refuse to start until it is set")
    if out is not None:
        save_plan(plan, out)
    try:
        check_budget(plan, max_cost, desired.workspace.budget)
    except UnsafePlanError as exc:
        if comment:
            comment_failure(target, exc, desired=desired, plan=plan, pr=pr)
        raise
    if comment:
        comment_plan(
            target,
            desired,
            plan,
            max_cost=max_cost,
            pr=pr,
            warnings=planned.warnings,
            report_artifact=report_artifact,
        )
    return EXIT_CHANGES if detailed_exitcode and plan.has_changes else EXIT_OK


def _context(target: Target, pr: int | None) -> GithubContext:
    from trainops import github

    ctx = github.GithubContext.from_env(target.environ)
    # `workflow_dispatch` (re-plan a merged commit for approval) names the pull request itself.
    return dataclasses.replace(ctx, pr_number=pr) if pr is not None else ctx


def comment_plan(
    target: Target,
    desired: Desired,
    plan: Plan,
    *,
    max_cost: float | None = None,
    pr: int | None = None,
    warnings: Sequence[Diagnostic] = (),
    report_artifact: str | None = None,
) -> None:
    """Post or update the plan comment on the pull request, with what the merge check compares
    with (`trainops.reviewed`); forks have no token: say so. `report_artifact`: the artifact
    of this run that holds the review report, linked from the comment."""
    from trainops import github
    from trainops.reviewed import review_of

    ctx = _context(target, pr)
    if ctx.is_fork:
        err(github.fork_message())
        return
    render_comment = functools.partial(
        render_markdown,
        plan,
        warnings=model_warnings(warnings, desired),
        budget=desired.workspace.budget,
        max_cost=max_cost,
        report=ReportLink(report_artifact, ctx.run_url)
        if report_artifact and ctx.run_url
        else None,
    )
    full = render_comment(details=True, pictures=pictures_of(ctx, desired, plan))
    result = github.upsert_plan_comment(
        ctx,
        marker=github.comment_marker(marker_path(target, desired)),
        full_markdown=full,
        plain_markdown=render_comment(details=True),
        compact_markdown=render_comment(details=False),
        plan_fingerprint=plan.fingerprint(),
        review=review_of(plan, desired, max_cost=max_cost).data(),
    )
    err(f"plan comment {result.action}: {result.url}")
    github.write_step_summary(ctx, full)


def model_warnings(warnings: Sequence[Diagnostic], desired: Desired) -> dict[str, list[str]]:
    """The dataset warnings per model key, one line per kind (`12 images under 1024 px: ...`),
    without the `file:line` and hint the terminal shows."""
    from trainops.manifest.lintgroups import grouped, owner

    out: dict[str, list[str]] = {}
    for key in dict.fromkeys(owner(w, desired.models) for w in warnings):
        if key is None:
            continue
        mine = [w for w in warnings if owner(w, desired.models) == key]
        lines = [line.split("\n", 1)[0] for line in grouped(mine, desired.models)]
        out[key] = [_unlocated(line, key) for line in lines]
    return out


def _unlocated(line: str, key: str) -> str:
    _, _, rest = line.partition(": ")  # `file:line: ` first
    return rest.removeprefix(f"{key}: ")


def pictures_of(ctx: GithubContext, desired: Desired, plan: Plan) -> Pictures | None:
    """The thumbnails of the plan's image changes, at the pull request's head and base commits;
    None outside a pull request or outside git."""
    from trainops.render.pictures import Blobs, locate_removed, plan_pictures
    from trainops.repo import files_at, path_in_repo

    root = desired.workspace.root
    prefix = path_in_repo(root)
    if ctx.pr_number is None or prefix is None:
        return None
    # The base commit's tree is listed only to find removed images (no path of their own).
    removing = any(c.kind == "image" and c.op == "remove" for m in plan.models for c in m.changes)
    files = files_at(root, ctx.base_sha) if ctx.base_sha and removing else ()
    dirs = {
        m.key: frozenset(
            posixpath.dirname(posixpath.join(prefix, f.path)) for f in m.training_files
        )
        for m in desired.models
    }
    return plan_pictures(
        plan,
        Blobs(ctx.server_url, ctx.repository),
        head=ctx.planned_sha,
        base=ctx.base_sha,
        prefix=prefix,
        removed=locate_removed(plan, files, dirs),
    )


def comment_failure(
    target: Target,
    exc: TrainopsError,
    *,
    desired: Desired | None = None,
    plan: Plan | None = None,
    pr: int | None = None,
) -> None:
    """Replace the plan comment with the failure. A failure to post is a warning: the plan's
    own error is the one to report."""
    from trainops import github
    from trainops.render.verdict import render_plan_failure

    errors = []
    if isinstance(exc, ManifestError):
        errors = [str(d).split("\n", 1)[0] for d in exc.diagnostics if d.severity == "error"]
    markdown = render_plan_failure(
        workspace=desired.workspace.name if desired else None,
        headline=exc.message,
        errors=errors,
        hint=exc.hint,
        plan=plan,
    )
    try:
        ctx = _context(target, pr)
        if ctx.is_fork:
            err(github.fork_message())
            return
        result = github.upsert_failure_comment(
            ctx,
            marker=github.comment_marker(_marker(target, desired)),
            markdown=markdown,
            failure=exc.message,
        )
        err(f"plan comment {result.action} with the failure: {result.url}")
        github.write_step_summary(ctx, markdown)
    except TrainopsError as posting:
        err(f"warning: the plan comment could not be updated with the failure: {posting.message}")


def _marker(target: Target, desired: Desired | None) -> str:
    """The workspace path naming the comment; found as the load finds the root when the load
    itself failed."""
    if desired is not None:
        return marker_path(target, desired)
    from trainops.manifest.workspace import find_root

    root = find_root(Path(target.paths[0]) if target.paths else Path("."), target.cwd)
    try:
        return root.relative_to(target.cwd.resolve()).as_posix() or "."
    except ValueError:
        return root.as_posix()
