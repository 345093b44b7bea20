"""The flags several commands share, and what they turn into: a `Target`, a cache mode, colour."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainops.cache.load import Mode
    from trainops.commands.common import Target

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

FORMAT_HELP = "print the result as text, or as JSON for machines (default: text)"

# --quiet of validate and plan
QUIET = (
    "do not print the dataset warnings (image sizes and counts, learning rate, ...); other "
    "warnings and errors are always printed"
)
READS = "concurrent API reads (default: trainops.yaml, 8)"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also NaN
        raise argparse.ArgumentTypeError("must be a number of seconds, at least 0")
    return value


def add_paths(
    p: argparse.ArgumentParser, help: str = "manifests or directories (default: .)"
) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help=help)


def add_parallelism(p: argparse.ArgumentParser, help: str = READS) -> None:
    p.add_argument("--parallelism", type=positive_int, help=help)


def add_reads(p: argparse.ArgumentParser, parallelism: str = READS) -> None:
    """PATH..., --sandbox and --parallelism: the workspace and API a read-only command reads."""
    add_paths(p)
    add_sandbox_flag(p)
    add_parallelism(p, parallelism)


def add_quiet_flag(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help=help)


def add_format_flag(p: argparse.ArgumentParser, help: str = FORMAT_HELP) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help=help)


def add_json_flag(p: argparse.ArgumentParser) -> None:
    add_format_flag(
        p,
        'json: print one versioned JSON document on stdout (README "JSON output"), '
        "progress and notes on stderr",
    )


def add_no_cache_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="read and write no cache: validate every manifest and read every training file "
        "(env TRAINOPS_CACHE=off|on|verify; this flag wins)",
    )


def add_sandbox_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="use the embedded sandbox API in-process (its state in .trainops/sandbox.db at the "
        "workspace root)",
    )


def add_pr_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pr",
        type=positive_int,
        metavar="N",
        help="the pull request to comment on / verify against, when the event names none "
        "(workflow_dispatch: re-plan a merged commit for approval)",
    )


def add_color_probe_flags(p: argparse.ArgumentParser) -> None:
    """--no-color and --no-probe, of the commands that plan."""
    p.add_argument("--no-color", action="store_true", help="never colour the output")
    p.add_argument(
        "--no-probe",
        action="store_true",
        help="do not create the empty per-type model used to price models that do not exist yet",
    )


def add_target(p: argparse.ArgumentParser) -> None:
    """What plan and apply plan: PATH..., --target, the API, and the limits of the run."""
    add_paths(
        p,
        "plan only the manifests under these files or directories (default: .); orphans "
        "are still judged against the whole workspace",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME",
        dest="targets",
        help="plan only the models whose metadata.name matches NAME, a glob (repeatable)",
    )
    add_sandbox_flag(p)
    add_parallelism(p)
    p.add_argument("--max-cost", type=float, metavar="CU", help="fail when the plan costs more")
    add_color_probe_flags(p)
    add_no_cache_flag(p)


def cache_mode(args: argparse.Namespace) -> Mode:
    from trainops.cache.load import cache_mode

    return cache_mode(os.environ, no_cache=args.no_cache)


def target(args: argparse.Namespace) -> Target:
    from trainops.commands.common import Target

    return Target(
        paths=tuple(args.paths),
        sandbox=args.sandbox,
        parallelism=args.parallelism,
        environ=dict(os.environ),
        cache=cache_mode(args),
    )


def color(args: argparse.Namespace) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def confirm(question: str) -> bool:
    """A yes/no question at the terminal: only a typed "yes" goes on."""
    return input(question).strip() == "yes"


def add_report_artifact(p: argparse.ArgumentParser, commenting: str) -> None:
    p.add_argument(
        "--report-artifact",
        metavar="NAME",
        help=f"with {commenting}: the workflow artifact holding this run's `trainops report` "
        "page, which the comment links",
    )
