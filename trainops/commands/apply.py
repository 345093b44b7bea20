"""`trainops apply`: plan, show, confirm, then do exactly that plan. With `--plan FILE` the plan
is made again and applied only if it is the saved one (`pipeline.remake_plan`), without asking:
the saved plan is the approval.

On merge (`--verify-reviewed`, `--comment-outcome`) the gate runs before anything changes: the
plan made now must be covered by the one reviewed in the merged pull request (`github.review`),
and `--max-cost` (the tighter of the flag and the one the review was held to) and `budget` hold
on it. A refusal is posted on the pull request, with the way forward, and exits 1."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.commands.common import Target, check_secrets, marker_path, warn_all
from trainops.commands.handler import err
from trainops.commands.lock import apply_lock
from trainops.commands.probes import created_lines
from trainops.desired import Desired
from trainops.errors import ConfigError, TrainopsError, UnsafePlanError
from trainops.plan import Outcome, Plan
from trainops.planfile import load_plan
from trainops.pricing import check_budget
from trainops.render.json_out import apply_json
from trainops.render.outcome import OutcomeLinks, render_outcome_markdown
from trainops.render.text import render_outcome_text, render_text
from trainops.repo import head_commit
from trainops.scenario.client import Scenario
from trainops.watch import wait_for_trainings

if TYPE_CHECKING:
    from trainops.github import GithubContext, MergeCheck


@dataclass(frozen=True)
class ApplyFlags:
    yes: bool = False
    wait: bool = False
    prune: bool = False
    replace_running: bool = False
    fail_fast: bool = False
    plan_file: Path | None = None
    max_cost: float | None = None
    poll_interval: float = 5.0
    wait_timeout: float | None = None
    comment_outcome: bool = False
    report_artifact: str | None = None  # the run's artifact holding the review report
    verify_reviewed: Literal["fail", "warn"] | None = None
    pr: int | None = None  # the merged pull request, when the event does not say (dispatch)
    probe: bool = True
    live: bool = False  # redraw --wait progress in place (a terminal), else one line per change
    lock_timeout: float = 0.0  # seconds to wait for another apply's lock (trainops.lock)
    targets: tuple[str, ...] = ()  # --target globs: the scope, with the PATH arguments
    fmt: Literal["text", "json"] = "text"  # json: the plan's text goes to stderr, JSON to stdout
    quiet: bool = False  # not even the count of the dataset warnings (plan lists them)


def run_apply(
    target: Target,
    flags: ApplyFlags,
    *,
    color: bool = False,
    interactive: bool = False,
    confirm: Callable[[str], bool] = lambda _q: False,
    ask: Callable[[str], str] = lambda _q: "",
) -> int:
    """`confirm` asks a yes/no question; `ask` asks for a typed answer (the number of models
    a deleting apply deletes)."""
    load = functools.cache(
        functools.partial(
            pipeline.load, target.paths, cwd=target.cwd, targets=flags.targets, cache=target.cache
        )
    )
    return pipeline.run(_apply(target, flags, load, color, interactive, (confirm, ask)))


async def _apply(
    target: Target,
    flags: ApplyFlags,
    load: Callable[[], pipeline.Loaded],
    color: bool,
    interactive: bool,
    prompts: tuple[Callable[[str], bool], Callable[[str], str]],
) -> int:
    confirm, ask = prompts
    async with (
        target.client_before(load) as client,
        apply_lock(
            client, load, target, timeout=flags.lock_timeout, poll=flags.poll_interval
        ) as lock,
    ):
        desired, plan = await _the_plan(client, load, flags, target)
        _check_prune(desired, plan, flags)
        json_out = flags.fmt == "json"
        # With --format json the plan is still shown before the question, on stderr.
        print(render_text(plan, color=color), end="", file=sys.stderr if json_out else None)
        pr = _gate(target, desired, plan, flags)
        if not _has_work(plan, flags):
            _print_json(flags, plan, None)
            return EXIT_OK
        check_secrets(plan, desired, target.environ)
        # A saved plan is the approval (as `terraform apply PLANFILE`): it was reviewed when it
        # was made, and it applies only if planning again now gives that same plan.
        if not flags.yes and flags.plan_file is None:
            if not interactive:
                raise ConfigError(
                    "refusing to apply without confirmation: not a terminal",
                    hint="review the plan above and pass --yes (CI), save it with `plan --out "
                    "FILE` and apply it with `apply --plan FILE`, or run in a terminal",
                )
            if not confirm("Apply this plan? Only 'yes' is accepted: "):
                err("Apply cancelled: nothing was changed.")
                _print_json(flags, plan, None)
                return EXIT_ERROR
            if not _confirm_deletes(plan, ask):
                err("Apply cancelled: nothing was changed.")
                _print_json(flags, plan, None)
                return EXIT_ERROR
            await lock.check()  # the prompt blocked its renewal: it may have expired
        outcome = await _run(client, plan, desired, flags, target)
    if flags.fmt == "json":
        _print_json(flags, plan, outcome)
    else:
        print(render_outcome_text(outcome, color=color), end="")
    if pr is not None:
        _comment_outcome(target, pr, outcome, desired.workspace.model_link, flags.report_artifact)
    # Deferred trainings are not a failure (README "Exit codes"), unless --wait was to start them.
    unfinished = flags.wait and outcome.counts()["deferred"] > 0
    return EXIT_ERROR if outcome.failed or unfinished else EXIT_OK


async def _the_plan(
    client: Scenario, load: Callable[[], pipeline.Loaded], flags: ApplyFlags, target: Target
) -> tuple[Desired, Plan]:
    if flags.plan_file is None:
        planned = await pipeline.load_and_plan(
            client, load, parallelism=target.parallelism, probe=flags.probe, prune=flags.prune
        )
        warn_all(planned.warnings, quiet=flags.quiet)
        for line in created_lines(planned.probes_created):
            err(line)
        return planned.desired, planned.plan
    desired, warnings, scoped = load()
    warn_all(warnings, quiet=flags.quiet)
    client.set_parallelism(target.parallelism or desired.workspace.parallelism)
    saved = load_plan(flags.plan_file)
    planned = await pipeline.remake_plan(
        saved, desired, client, probe=flags.probe, others=scoped.others, prune=flags.prune
    )
    return desired, planned.plan


def _print_json(flags: ApplyFlags, plan: Plan, outcome: Outcome | None) -> None:
    if flags.fmt == "json":
        print(apply_json(plan, outcome), end="")


def _confirm_deletes(plan: Plan, ask: Callable[[str], str]) -> bool:
    """A deletion loses the model's trainings for good: the number of models deleted must be
    typed, so that a "yes" given out of habit deletes nothing."""
    n = sum(1 for m in plan.models if m.action == "delete")
    if not n:
        return True
    s = "s" if n != 1 else ""
    return ask(f"This apply DELETES {n} model{s}. Type {n} to confirm: ").strip() == str(n)


def _check_prune(desired: Desired, plan: Plan, flags: ApplyFlags) -> None:
    """Refuse to delete while a manifest declared nothing: its models would look like orphans."""
    orphans = [m.key for m in plan.models if m.action == "delete"]
    if not (flags.prune and orphans and desired.unloaded_files):
        return
    files = ", ".join(desired.unloaded_files)
    raise ConfigError(
        f"refusing to delete {len(orphans)} model(s) with --prune: "
        f"{len(desired.unloaded_files)} manifest(s) declared nothing: {files}",
        hint="fix or remove the empty manifest(s), plan again, then prune",
    )


def _has_work(plan: Plan, flags: ApplyFlags) -> bool:
    return plan.has_changes or (
        flags.replace_running and any(m.training and m.training.other_inputs for m in plan.models)
    )


async def _run(
    client: Scenario, plan: Plan, desired: Desired, flags: ApplyFlags, target: Target
) -> Outcome:
    options = ApplyOptions(
        prune=flags.prune,
        replace_running=flags.replace_running,
        fail_fast=flags.fail_fast,
        commit=head_commit(desired.workspace.root),
        environ=target.environ,
        limit=min(
            (x for x in (flags.max_cost, desired.workspace.budget) if x is not None), default=None
        ),
        queue=flags.wait,
        poll_interval=flags.poll_interval,
        wait_timeout=flags.wait_timeout,
    )
    started = time.monotonic()
    outcome = await apply_plan(plan, desired, client, options, progress=err)
    if flags.wait:
        show = LiveLines(sys.stderr) if flags.live else err
        # One --wait-timeout for both: the queue behind the team's limits, then the trainings.
        left = None if flags.wait_timeout is None else flags.wait_timeout - time.monotonic()
        outcome = await wait_for_trainings(
            client,
            outcome,
            show,
            interval=flags.poll_interval,
            timeout=None if left is None else max(left + started, 0.0),
        )
    return outcome


class LiveLines:
    """On a terminal: one line per model (`key: status`), redrawn in place as it changes; in CI
    logs the plain lines are printed instead, one per change."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: dict[str, str] = {}
        self.drawn = 0

    def __call__(self, line: str) -> None:
        self.lines[line.split(":", 1)[0]] = line
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        body = "".join(f"\x1b[2K{text}\n" for text in self.lines.values())
        self.stream.write(up + body)
        self.stream.flush()
        self.drawn = len(self.lines)


def _gate(target: Target, desired: Desired, plan: Plan, flags: ApplyFlags) -> int | None:
    """The cost limits and, on merge, the review check; the merged PR to comment the outcome
    on. A refusal is commented there before it is raised."""
    if flags.verify_reviewed is None and not flags.comment_outcome:
        check_budget(plan, flags.max_cost, desired.workspace.budget)
        return None
    from trainops import github
    from trainops.reviewed import review_of

    ctx = github.GithubContext.from_env(target.environ)
    check = github.check_merge(
        ctx,
        marker=github.comment_marker(marker_path(target, desired)),
        current_fingerprint=plan.fingerprint(),
        current=review_of(plan, desired, max_cost=flags.max_cost),
        tolerance=desired.workspace.merge_cost_tolerance,
        pr_number=flags.pr,
    )
    pr = check.pr_number if flags.comment_outcome else None
    try:
        check_budget(plan, _tighter(flags.max_cost, check.max_cost), desired.workspace.budget)
        if flags.verify_reviewed == "fail" and not check.passed:
            raise check.error()
    except UnsafePlanError as exc:
        if pr is not None:
            _comment_refusal(ctx, pr, exc, check)
        raise
    warning = check.warning()
    if warning and flags.verify_reviewed is not None:
        err(warning)
    return pr


def _tighter(a: float | None, b: float | None) -> float | None:
    return min((x for x in (a, b) if x is not None), default=None)


def _comment_refusal(ctx: GithubContext, pr: int, exc: UnsafePlanError, check: MergeCheck) -> None:
    from trainops import github
    from trainops.render.verdict import render_refusal

    review = not check.passed and exc.message == check.message()
    markdown = render_refusal(
        headline=check.refusal.rstrip(":") if review and check.refusal else exc.message,
        differences=check.differences if review else (),
        hint=exc.hint,
    )
    try:
        result = github.comment_outcome(ctx, pr, markdown)
    except TrainopsError as posting:
        err(f"warning: the refusal could not be posted on the pull request: {posting.message}")
        return
    err(f"refusal commented: {result.url}")
    github.write_step_summary(ctx, markdown)


def _comment_outcome(
    target: Target, pr: int, outcome: Outcome, model_link: str, report_artifact: str | None
) -> None:
    from trainops import github

    ctx = github.GithubContext.from_env(target.environ)
    links = OutcomeLinks(
        model=model_link, run_url=ctx.run_url, now=time.time(), report_artifact=report_artifact
    )
    # Room for the comment's marker line: over the limit, the sample grids go first.
    fits = github.MAX_COMMENT_CHARS - 100
    markdown = render_outcome_markdown(outcome, links, max_chars=fits)
    result = github.comment_outcome(ctx, pr, markdown)
    err(f"outcome comment {result.action}: {result.url}")
    github.write_step_summary(ctx, markdown)
