"""`trainops sandbox serve`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_sandbox(sub: Subparsers) -> None:
    p = sub.add_parser("sandbox", help="a local Scenario-compatible API server")
    verbs = p.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    s = verbs.add_parser("serve", help="serve the sandbox API over HTTP until interrupted")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8787, help="the port to listen on (default: 8787)")
    s.add_argument(
        "--db",
        default=".trainops/sandbox.db",
        help="the SQLite file that keeps the sandbox's state (default: .trainops/sandbox.db)",
    )
    s.add_argument("--speed", type=float, default=1.0, help="training speed factor (default 1)")
    s.add_argument("--api-key", help="the API key clients must send (env TRAINOPS_SANDBOX_API_KEY)")
    s.add_argument(
        "--api-secret", help="the API secret clients must send (env TRAINOPS_SANDBOX_API_SECRET)"
    )
    s.add_argument(
        "--deviate",
        action="append",
        default=[],
        metavar="NAME",
        help="behave as a plausible variant of the API no document rules out (repeatable): "
        "truncate-images, lowercase-tags, no-job-id, list-deleted, repeat-token, "
        "quota-in-details, quota-details-list, normalise-parameters",
    )
    _add_limits(s)
    s.set_defaults(handler=_sandbox_serve)


def _add_limits(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--parallel-trainings",
        type=int,
        metavar="N",
        help="the team's trainings at once (default 2; 0: none allowed)",
    )
    s.add_argument(
        "--launch-cooldown",
        type=float,
        metavar="SECONDS",
        help="the least time between two training launches (default 0)",
    )
    s.add_argument(
        "--dataset-images",
        type=int,
        metavar="N",
        help="the team's training images across its models (default 10000)",
    )


def _sandbox_serve(args: argparse.Namespace) -> int:
    from trainops.commands.sandbox import run_sandbox_serve

    return run_sandbox_serve(
        host=args.host,
        port=args.port,
        db=Path(args.db),
        speed=args.speed,
        api_key=args.api_key,
        api_secret=args.api_secret,
        deviate=args.deviate,
        environ=os.environ,
        limits={
            name: value
            for name, value in (
                ("max_parallel_trainings", args.parallel_trainings),
                ("launch_cooldown_s", args.launch_cooldown),
                ("max_dataset_images", args.dataset_images),
            )
            if value is not None
        },
    )
