"""The commands that need no API: init, validate, schema, types and completion."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cli.flags import (
    QUIET,
    add_format_flag,
    add_no_cache_flag,
    add_paths,
    add_quiet_flag,
    cache_mode,
)

if TYPE_CHECKING:
    from trainops.cli.flags import Subparsers


def add_init(sub: Subparsers) -> None:
    p = sub.add_parser(
        "init",
        help="start a workspace: trainops.yaml, an example manifest, .trainops/ ignored",
        description="Write DIR/trainops.yaml naming the workspace, add .trainops/ to "
        "DIR/.gitignore, and write an example manifest, DIR/models/example/model.yaml.example "
        "(renamed to model.yaml, it is read). A file "
        "that exists is kept, never overwritten, unless --force is given.",
    )
    p.add_argument(
        "directory",
        nargs="?",
        default=".",
        type=Path,
        metavar="DIR",
        help="the workspace's directory, made when missing (default: .)",
    )
    p.add_argument(
        "--workspace",
        metavar="NAME",
        help="the workspace's name, which tags its models (default: DIR's name; below the top "
        "of a git repository, the top's name and the path to DIR)",
    )
    p.add_argument(
        "--workflow",
        action="store_true",
        help="also write .github/workflows/trainops.yml at the top of the git repository: plan "
        "on pull requests, apply on merge",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite the files init writes when they exist"
    )
    p.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    from trainops.commands.init import InitRequest, run_init

    request = InitRequest(
        directory=args.directory,
        workspace=args.workspace,
        workflow=args.workflow,
        force=args.force,
    )
    return run_init(request, cwd=Path.cwd())


def add_validate(sub: Subparsers) -> None:
    p = sub.add_parser("validate", help="check manifests against the API's rules")
    add_paths(p, "files or directories (default: .)")
    p.add_argument("--strict", action="store_true", help="treat dataset warnings as errors")
    add_format_flag(p)
    add_quiet_flag(p, QUIET)
    add_no_cache_flag(p)
    p.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from trainops.commands.validate import run_validate

    return run_validate(
        args.paths, strict=args.strict, fmt=args.format, cache=cache_mode(args), quiet=args.quiet
    )


def add_schema(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of manifest documents, for editors",
        description="Print the JSON Schema of manifest documents, for an editor's "
        "yaml-language-server. `trainops types` lists the trainable types and their parameters.",
    )
    p.set_defaults(handler=_schema)


def _schema(_args: argparse.Namespace) -> int:
    from trainops.commands.schema import run_schema

    return run_schema()


def add_types(sub: Subparsers) -> None:
    p = sub.add_parser(
        "types",
        help="list the trainable model types, or the parameters one type takes",
        description="Without TYPE, list the model types trainops can train (spec.type), with "
        "their family and what they train on. With TYPE, list the parameters that type takes "
        "(spec.parameters), each with its range and the API's documented default.",
    )
    p.add_argument(
        "model_type", nargs="?", metavar="TYPE", help="the model type whose parameters to list"
    )
    add_format_flag(p)
    p.set_defaults(handler=_types)


def _types(args: argparse.Namespace) -> int:
    from trainops.commands.types import run_types

    return run_types(args.model_type, fmt=args.format)


def add_completion(sub: Subparsers) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description="Print the script that completes trainops's commands and options in SHELL. "
        'bash: add `eval "$(trainops completion bash)"` to ~/.bashrc; zsh: the same line with '
        "zsh in ~/.zshrc (after compinit); fish: `trainops completion fish > "
        "~/.config/fish/completions/trainops.fish`.",
    )
    from trainops.completion import SHELLS

    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(handler=_completion)


def _completion(args: argparse.Namespace) -> int:
    from trainops.completion import script

    sys.stdout.write(script(args.shell))
    return 0
