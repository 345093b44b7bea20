"""`trainops cache clean`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_cache(sub: Subparsers) -> None:
    p = sub.add_parser(
        "cache",
        help="manage the caches under .trainops/",
        description="The manifest load cache and the training files' hash cache make a re-plan "
        "with nothing changed cheap; they are optimisations only.",
    )
    verbs = p.add_subparsers(dest="cache_command", metavar="SUBCOMMAND", required=True)
    c = verbs.add_parser(
        "clean",
        help="remove the load cache and the hash cache of the workspace",
        description="Remove the manifest load cache (.trainops/load-cache/) and the training "
        "files' hash cache (.trainops/hash-cache.json) of the workspace holding PATH. Both are "
        "optimisations only: the next command rebuilds them. The sandbox's state is kept.",
    )
    c.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="a directory or manifest of the workspace (default: .)",
    )
    c.set_defaults(handler=_cache_clean)


def _cache_clean(args: argparse.Namespace) -> int:
    from trainops.commands.cache import run_cache_clean

    return run_cache_clean(Path(args.path), cwd=Path.cwd())
