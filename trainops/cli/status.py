"""`trainops status`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trainops.cli.flags import (
    add_json_flag,
    add_no_cache_flag,
    add_parallelism,
    add_sandbox_flag,
    target,
)

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_status(sub: Subparsers) -> None:
    p = sub.add_parser(
        "status",
        help="live status of every model of the workspace, or of one model in detail",
        description="Read-only: each model's status, its running or failed job, whether it was "
        "trained on what the manifest declares now, and the commit it was trained from. "
        "`trainops status NAME` shows one model in detail: its jobs (status, credits, dates), "
        "its epochs' sample images beside their prompts, and its parameters (secrets masked).",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="NAME|PATH",
        help="a model's metadata.name (declared in the workspace of the current directory, or "
        "live with its identity tag) shows that model in detail; anything else is a manifest "
        "or directory whose models the table shows (default: .). A name wins over a directory "
        "of the same name (write ./NAME for the directory); a PATH beside a NAME says where the "
        "workspace is",
    )
    add_sandbox_flag(p)
    add_parallelism(p)
    add_json_flag(p)
    add_no_cache_flag(p)
    p.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from trainops.commands.status import run_status

    return run_status(target(args), fmt=args.format)
