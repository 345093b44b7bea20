"""`trainops plan`, and `trainops drift`: a plan that a scheduled job checks is empty."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import (
    QUIET,
    add_color_probe_flags,
    add_json_flag,
    add_no_cache_flag,
    add_pr_flag,
    add_quiet_flag,
    add_reads,
    add_report_artifact,
    add_target,
    color,
    target,
)

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_plan(sub: Subparsers) -> None:
    p = sub.add_parser(
        "plan",
        help="diff manifests against live models and price the trainings",
        description="Show what apply would do: create, train, update, wait, none, orphan or "
        "delete (--prune) for every model, with each training's cost from the API's dry run.",
    )
    add_target(p)
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="print the plan as text, as markdown (a pull request comment) or as JSON for "
        "machines (default: text)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="save the plan for `apply --plan`")
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on error",
    )
    p.add_argument(
        "--changed-since",
        metavar="REF",
        help="plan only manifests changed since REF, and the models of those deleted since",
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="plan orphaned models as deletions (what `apply --prune` deletes)",
    )
    p.add_argument(
        "--comment", action="store_true", help="post/update the plan as a pull request comment"
    )
    add_pr_flag(p)
    add_report_artifact(p, "--comment")
    add_quiet_flag(p, QUIET)
    p.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace) -> int:
    from trainops.commands.plan import run_plan

    return run_plan(
        target(args),
        fmt=args.format,
        color=color(args),
        out=args.out,
        detailed_exitcode=args.detailed_exitcode,
        max_cost=args.max_cost,
        changed_since=args.changed_since,
        comment=args.comment,
        probe=not args.no_probe,
        pr=args.pr,
        targets=tuple(args.targets),
        prune=args.prune,
        quiet=args.quiet,
        report_artifact=args.report_artifact,
    )


def add_drift(sub: Subparsers) -> None:
    p = sub.add_parser(
        "drift",
        help="check that the live models match the manifests (a scheduled job's check)",
        description="Plan, and exit 0 when apply would change nothing, 2 when it would (a "
        "pending or deferred training, a change made in the web app), 1 on error. With --issue, "
        "keep one GitHub issue open while they differ, updated by each check, closed when they "
        "match again (GITHUB_REPOSITORY, GITHUB_TOKEN with `issues: write`).",
    )
    add_reads(p)
    p.add_argument(
        "--issue", action="store_true", help="open, update or close the drift issue on GitHub"
    )
    add_color_probe_flags(p)
    add_json_flag(p)
    add_no_cache_flag(p)
    p.set_defaults(handler=_drift)


def _drift(args: argparse.Namespace) -> int:
    from trainops.commands.drift import run_drift

    return run_drift(
        target(args),
        issue=args.issue,
        color=color(args),
        probe=not args.no_probe,
        fmt=args.format,
    )
