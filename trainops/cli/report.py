"""`trainops report`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import add_no_cache_flag, add_reads, target

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_report(sub: Subparsers) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML page to review the workspace by looking at it",
        description="Per model: its dataset as thumbnails with their captions, its parameters "
        "(secrets never shown), what the plan would do to it and what that costs, and, once it "
        "is trained, each epoch's sample images under their prompts. Every picture is embedded: "
        "the page fetches nothing when it is opened. Needs Pillow: "
        "pip install 'trainops[report]'.",
    )
    add_reads(p, "concurrent API reads and sample downloads (default: trainops.yaml, 8)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        metavar="FILE",
        help="where to write the page (default: report.html)",
    )
    p.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="show this saved plan (`trainops plan --out FILE`) instead of planning again: the "
        "page then says what the reviewed plan says, and no dry run is sent twice",
    )
    add_no_cache_flag(p)
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from trainops.commands.report import run_report

    return run_report(target(args), out=args.out, plan_file=args.plan)
