"""`trainops status`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trainops.cli.flags import add_json_flag, add_no_cache_flag, add_reads, target

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_status(sub: Subparsers) -> None:
    p = sub.add_parser(
        "status",
        help="live status of every model of the workspace and its latest job",
        description="Read-only: each model's status, its running or failed job, whether it was "
        "trained on what the manifest declares now, and the commit it was trained from.",
    )
    add_reads(p)
    add_json_flag(p)
    add_no_cache_flag(p)
    p.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from trainops.commands.status import run_status

    return run_status(target(args), fmt=args.format)
