"""`trainops doctor` and `trainops probes clean`: what trainops does on the account itself,
outside any manifest (a scratch model, the price probes)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import (
    add_json_flag,
    add_no_cache_flag,
    add_reads,
    add_sandbox_flag,
    confirm,
    target,
)

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_doctor(sub: Subparsers) -> None:
    p = sub.add_parser(
        "doctor",
        help="check what trainops assumes of the API against this API key's account",
        description="Run once per API key, before the first real apply. Spends nothing (dry "
        "runs only): creates one scratch model, tagged trainops-doctor:<nonce>, checks tags, "
        "uploads, image lists, captions, parameters, job ids, deletion and paging on it, and "
        "deletes it at the end. Exit 0 when every check holds, 1 when one fails.",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    add_json_flag(p)
    add_sandbox_flag(p)
    p.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from trainops.commands.doctor import run_doctor

    return run_doctor(
        sandbox=args.sandbox,
        yes=args.yes,
        fmt=args.format,
        cwd=Path.cwd(),
        environ=dict(os.environ),
        interactive=sys.stdin.isatty() and sys.stderr.isatty(),
        confirm=confirm,
    )


def add_probes(sub: Subparsers) -> None:
    p = sub.add_parser(
        "probes",
        help="the workspace's price probes: the empty models a plan prices new models on",
        description="A plan prices a model that does not exist yet on an empty model of its "
        "type, the workspace's price probe, created by the first plan that needs it and tagged "
        "trainops-probe:<workspace>. `trainops status` lists them.",
    )
    actions = p.add_subparsers(dest="probes_command", metavar="ACTION", required=True)
    clean = actions.add_parser(
        "clean",
        help="delete this workspace's price probes",
        description="Delete every price probe of this workspace that is still empty and never "
        "trained (checked again just before each deletion); nothing else is ever deleted. "
        "The next plan that needs one creates it again, unless it runs with --no-probe.",
    )
    add_reads(clean, parallelism="concurrent API calls (default: trainops.yaml, 8)")
    add_json_flag(clean)
    add_no_cache_flag(clean)
    clean.set_defaults(handler=_probes_clean)


def _probes_clean(args: argparse.Namespace) -> int:
    from trainops.commands.probes import run_probes_clean

    return run_probes_clean(target(args), fmt=args.format)
