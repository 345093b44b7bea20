"""`trainops apply`, and `trainops unlock` for the lock an apply left behind."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import (
    add_json_flag,
    add_paths,
    add_pr_flag,
    add_quiet_flag,
    add_report_artifact,
    add_sandbox_flag,
    add_target,
    color,
    confirm,
    seconds,
    target,
)

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers
    from trainops.commands.apply import ApplyFlags


def add_apply(sub: Subparsers) -> None:
    p = sub.add_parser(
        "apply",
        help="create models, sync images and trigger changed trainings",
        description="Plan, show the plan, ask, then create models, sync training files and "
        "trigger only the trainings whose inputs changed. With --plan FILE, nothing is asked.",
    )
    add_target(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--wait", action="store_true", help="follow the trainings to the end")
    p.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help=(
            "apply the plan saved by `plan --out FILE`, only if planning again now gives the "
            "same plan (a saved plan is checked, never run as written); the saved plan is the "
            "approval: no --yes needed"
        ),
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="plan orphaned models as deletions, and delete them (asks for their number)",
    )
    p.add_argument(
        "--replace-running",
        action="store_true",
        help="cancel trainings running on outdated inputs and train the declared ones",
    )
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing model")
    _add_waiting(p)
    p.add_argument(
        "--comment-outcome",
        action="store_true",
        help="comment the outcome on the merged pull request (GitHub Actions)",
    )
    add_report_artifact(p, "--comment-outcome")
    p.add_argument(
        "--verify-reviewed",
        choices=("fail", "warn"),
        help="check the plan does no more than the one reviewed in the merged pull request",
    )
    add_pr_flag(p)
    p.add_argument(
        "--lock-timeout",
        type=seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another apply of the workspace to release its lock "
        "(default 0: stop at once, exit 75, naming its holder)",
    )
    add_json_flag(p)
    add_quiet_flag(
        p, "do not print how many dataset warnings there are (`trainops plan` lists them)"
    )
    p.set_defaults(handler=_apply)


def _add_waiting(p: argparse.ArgumentParser) -> None:
    p.add_argument("--poll-interval", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument(
        "--wait-timeout",
        type=float,
        metavar="SECONDS",
        help="with --wait, stop waiting after SECONDS and exit 1; the trainings go on "
        "(default: wait as long as they take)",
    )


def _flags(args: argparse.Namespace) -> ApplyFlags:
    from trainops.commands.apply import ApplyFlags

    return ApplyFlags(
        yes=args.yes,
        wait=args.wait,
        prune=args.prune,
        replace_running=args.replace_running,
        fail_fast=args.fail_fast,
        plan_file=args.plan,
        max_cost=args.max_cost,
        poll_interval=args.poll_interval,
        wait_timeout=args.wait_timeout,
        comment_outcome=args.comment_outcome,
        report_artifact=args.report_artifact,
        verify_reviewed=args.verify_reviewed,
        pr=args.pr,
        probe=not args.no_probe,
        live=sys.stderr.isatty() and "CI" not in os.environ,
        lock_timeout=args.lock_timeout,
        targets=tuple(args.targets),
        fmt=args.format,
        quiet=args.quiet,
    )


def _apply(args: argparse.Namespace) -> int:
    from trainops.commands.apply import run_apply

    # With --format json, stdout is for the JSON (`| jq`): the plan and question are on stderr.
    shown = sys.stderr if args.format == "json" else sys.stdout
    return run_apply(
        target(args),
        _flags(args),
        color=color(args),
        interactive=sys.stdin.isatty() and shown.isatty(),
        confirm=confirm,
        ask=input,
    )


def add_unlock(sub: Subparsers) -> None:
    p = sub.add_parser(
        "unlock",
        help="remove an apply lock left by an apply that stopped without releasing it",
        description="Remove the workspace's apply lock LOCK_ID, whoever holds it (the lock id "
        "is in the message of the apply it stopped). Only for a lock whose apply is no longer "
        "running: a lock also expires by itself 10 minutes after its apply stopped renewing it.",
    )
    p.add_argument("lock_id", metavar="LOCK_ID", help="the lock to remove")
    add_paths(p, "a manifest or directory (default: .)")
    add_sandbox_flag(p)
    p.set_defaults(handler=_unlock)


def _unlock(args: argparse.Namespace) -> int:
    from trainops.commands.common import Target
    from trainops.commands.lock import run_unlock

    return run_unlock(
        Target(paths=tuple(args.paths), sandbox=args.sandbox, environ=dict(os.environ)),
        args.lock_id,
    )
