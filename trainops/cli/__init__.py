"""The command line: argument parsing only. Each command's module in `trainops.commands` does
the work; `commands.handler` turns what it raised into a message and an exit code.

One module here per group of commands, each with its `add_*(sub)` and handlers: `workspace`
(init, validate, schema, types, completion), `plan` (plan, drift), `apply` (apply, unlock),
`status`, `report`, `importing` (import), `doctor` (doctor, probes), `sandbox`, `cache`; the
flags they share are in `flags`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from trainops import __version__
from trainops.cli.apply import add_apply, add_unlock
from trainops.cli.cache import add_cache
from trainops.cli.doctor import add_doctor, add_probes
from trainops.cli.importing import add_import
from trainops.cli.plan import add_drift, add_plan
from trainops.cli.report import add_report
from trainops.cli.sandbox import add_sandbox
from trainops.cli.status import add_status
from trainops.cli.workspace import add_completion, add_init, add_schema, add_types, add_validate
from trainops.commands.handler import handle

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainops",
        description="Training as code for the Scenario API: manifests in git, plan, apply.",
        epilog="exit codes: 0 ok/no changes, 1 error, 2 changes (--detailed-exitcode, drift), "
        "3 internal bug, 75 another apply holds the lock, 130 interrupted, 141 output pipe "
        "closed",
    )
    parser.add_argument("--version", action="version", version=f"trainops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        add_init,
        add_validate,
        add_schema,
        add_types,
        add_plan,
        add_apply,
        add_drift,
        add_unlock,
        add_status,
        add_report,
        add_import,
        add_probes,
        add_doctor,
        add_sandbox,
        add_cache,
        add_completion,
    ):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import os

    from trainops.completion import complete

    parser = build_parser()
    complete(parser, os.environ)  # exits here when the shell asks for completions
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return handle(lambda: handler(args))
