"""The command line: argument parsing, the one error handler, exit codes. No logic lives here.

Exit codes (a documented contract, see README "Exit codes"):
  0    success; with --detailed-exitcode: no changes
  1    a user-fixable error (invalid manifest, API refusal, failed training, ...)
  2    with --detailed-exitcode: the plan has changes
  3    an internal bug in trainops
  130  interrupted
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from trainops import __version__
from trainops.errors import ManifestError, TrainopsError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _report(exc: TrainopsError) -> None:
    if isinstance(exc, ManifestError):
        for d in exc.diagnostics:
            _err(str(d) if d.severity == "error" else f"warning: {d}")
    _err(f"error: {exc.message}")
    if exc.hint:
        _err(f"hint: {exc.hint}")


def _run(handler: Handler, args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except TrainopsError as exc:
        _report(exc)
        return EXIT_ERROR
    except Exception:
        _err("error: an unexpected error occurred (this is a bug in trainops; please report it)")
        _err(traceback.format_exc())
        return EXIT_BUG


# --- commands: each command adds its parser here and dispatches to a core function ---------


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check manifests against the API's rules")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    p.add_argument("--strict", action="store_true", help="treat dataset warnings as errors")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from trainops.manifest import load_desired

    try:
        desired, warnings = load_desired(args.paths, strict=args.strict)
    except ManifestError as exc:
        if args.format != "json":
            raise
        doc = {"valid": False, "diagnostics": [asdict(d) for d in exc.diagnostics]}
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_ERROR
    if args.format == "json":
        doc = {
            "valid": True,
            "workspace": desired.workspace.name,
            "models": [m.key for m in desired.models],
            "diagnostics": [asdict(d) for d in warnings],
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_OK
    for w in warnings:
        _err(f"warning: {w}")
    n = len(desired.models)
    print(f"ok: {n} model{'s' if n != 1 else ''} valid in workspace {desired.workspace.name}")
    return EXIT_OK


def _add_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the manifest JSON Schema")
    p.set_defaults(handler=_schema)


def _schema(_args: argparse.Namespace) -> int:
    import json

    from trainops.manifest import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def _add_sandbox(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sandbox", help="a local Scenario-compatible API server")
    verbs = p.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    s = verbs.add_parser("serve", help="serve the sandbox API over HTTP until interrupted")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8787, help="port (default: 8787)")
    s.add_argument("--db", default=".trainops/sandbox.db", help="SQLite state file")
    s.add_argument("--speed", type=float, default=1.0, help="training speed factor (default 1)")
    s.add_argument("--api-key", help="API key (env TRAINOPS_SANDBOX_API_KEY)")
    s.add_argument("--api-secret", help="API secret (env TRAINOPS_SANDBOX_API_SECRET)")
    s.set_defaults(handler=_sandbox_serve)


def _sandbox_serve(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from trainops.sandbox import serve

    config = serve.resolve(
        host=args.host,
        port=args.port,
        db=Path(args.db),
        speed=args.speed,
        api_key=args.api_key,
        api_secret=args.api_secret,
        env=os.environ,
    )
    creds = "documented default credentials" if config.default_credentials else "your credentials"
    print(f"sandbox API on {config.url} (state: {config.db}, speed x{config.speed:g}, {creds})")
    print("costs are simulated; press Ctrl+C to stop", flush=True)
    serve.serve(config)
    return EXIT_OK


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="diff manifests against live models and price the trainings")
    p.set_defaults(handler=_not_yet)


def _add_apply(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("apply", help="create models, sync images and trigger changed trainings")
    p.set_defaults(handler=_not_yet)


def _not_yet(args: argparse.Namespace) -> int:
    raise TrainopsError(f"`trainops {args.command}` is not implemented yet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainops",
        description="Training as code for the Scenario API: manifests in git, plan, apply.",
        epilog="exit codes: 0 ok/no changes, 1 error, 2 changes (--detailed-exitcode), "
        "3 internal bug, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"trainops {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (_add_validate, _add_schema, _add_plan, _add_apply, _add_sandbox):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return _run(handler, args)
