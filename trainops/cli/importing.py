"""`trainops import`: one live model by its id, or many by tag or all at once."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import add_json_flag, add_sandbox_flag

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_import(sub: Subparsers) -> None:
    p = sub.add_parser(
        "import",
        help="write a manifest for an existing live model (adoption)",
        description="Download a live model's training files and write a manifest that adopts it "
        "(spec.modelId): its type, name, description, user tags and stored parameters. "
        "Secrets are never written.",
    )
    p.add_argument(
        "model_id", nargs="?", metavar="MODEL_ID", help="the live model to adopt (model_...)"
    )
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="adopt every model tagged TAG, one folder each (repeatable)",
    )
    p.add_argument(
        "--all",
        action="store_true",
        dest="every",
        help="adopt every trainable model that no manifest of this workspace manages yet",
    )
    _add_where(p)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    add_sandbox_flag(p)
    add_json_flag(p)
    p.set_defaults(handler=_import)


def _add_where(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="folder for the manifest and files (default: KEY); with --tag/--all, the parent "
        "of one folder per model (default: .)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write the manifest to FILE (default: DIR/model.yaml)",
    )
    p.add_argument(
        "--key",
        metavar="KEY",
        help="the manifest's metadata.name (default: made from the model's name)",
    )


def _import(args: argparse.Namespace) -> int:
    if args.model_id is None or args.tag or args.every:
        return _import_many(args)
    from trainops.commands.import_ import ImportRequest, run_import

    request = ImportRequest(
        model_id=args.model_id,
        directory=args.dir,
        out=args.out,
        key=args.key,
        force=args.force,
        sandbox=args.sandbox,
    )
    return run_import(request, cwd=Path.cwd(), environ=dict(os.environ), fmt=args.format)


def _import_many(args: argparse.Namespace) -> int:
    from trainops.commands.import_all import BulkImportRequest, run_import_many

    if args.model_id is not None or args.out is not None or args.key is not None:
        from trainops.errors import ConfigError

        raise ConfigError(
            "MODEL_ID, --out and --key name one model: they do not go with --tag or --all",
            hint="`trainops import MODEL_ID` for one model, `--tag T` or `--all` for many",
        )
    bulk = BulkImportRequest(
        tags=tuple(args.tag),
        every=args.every,
        directory=args.dir,
        force=args.force,
        sandbox=args.sandbox,
    )
    return run_import_many(bulk, cwd=Path.cwd(), environ=dict(os.environ), fmt=args.format)
