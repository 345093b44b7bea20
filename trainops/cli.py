"""The command line: argument parsing only. Each command's module in `trainops.commands` does
the work; `commands.handler` turns what it raised into a message and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from trainops import __version__
from trainops.commands.handler import handle

if TYPE_CHECKING:
    from trainops.cache.load import Mode
    from trainops.commands.common import Target

Handler = Callable[[argparse.Namespace], int]

_FORMAT_HELP = "print the result as text, or as JSON for machines (default: text)"


# --quiet of validate and plan
QUIET = (
    "do not print the dataset warnings (image sizes and counts, learning rate, ...); other "
    "warnings and errors are always printed"
)


# --- commands: each command adds its parser here and dispatches to a core function ---------


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check manifests against the API's rules")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    p.add_argument("--strict", action="store_true", help="treat dataset warnings as errors")
    p.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    _add_quiet_flag(p, QUIET)
    _add_no_cache_flag(p)
    p.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from trainops.commands.validate import run_validate

    return run_validate(
        args.paths, strict=args.strict, fmt=args.format, cache=_cache_mode(args), quiet=args.quiet
    )


def _add_quiet_flag(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help=help)


def _add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='json: print one versioned JSON document on stdout (README "JSON output"), '
        "progress and notes on stderr",
    )


def _add_no_cache_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="read and write no cache: validate every manifest and read every training file "
        "(env TRAINOPS_CACHE=off|on|verify; this flag wins)",
    )


def _cache_mode(args: argparse.Namespace) -> Mode:
    import os

    from trainops.cache.load import cache_mode

    return cache_mode(os.environ, no_cache=args.no_cache)


def _add_cache(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _add_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of manifest documents, for editors",
        description="Print the JSON Schema of manifest documents, for an editor's "
        "yaml-language-server. `trainops types` lists the trainable types and their parameters.",
    )
    p.set_defaults(handler=_schema)


def _add_types(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    p.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    p.set_defaults(handler=_types)


def _types(args: argparse.Namespace) -> int:
    from trainops.commands.types import run_types

    return run_types(args.model_type, fmt=args.format)


def _schema(_args: argparse.Namespace) -> int:
    from trainops.commands.schema import run_schema

    return run_schema()


def _add_sandbox(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        "quota-in-details, quota-details-list, normalise-parameters, unsigned-samples",
    )
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
    s.set_defaults(handler=_sandbox_serve)


def _sandbox_serve(args: argparse.Namespace) -> int:
    import os

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


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="plan only the manifests under these files or directories (default: .); orphans "
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
    _add_sandbox_flag(p)
    p.add_argument(
        "--parallelism", type=_positive_int, help="concurrent API reads (default: trainops.yaml, 8)"
    )
    p.add_argument("--max-cost", type=float, metavar="CU", help="fail when the plan costs more")
    p.add_argument("--no-color", action="store_true", help="never colour the output")
    p.add_argument(
        "--no-probe",
        action="store_true",
        help="do not create the empty per-type model used to price models that do not exist yet",
    )
    _add_no_cache_flag(p)


def _add_sandbox_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="use the embedded sandbox API in-process (its state in .trainops/sandbox.db at the "
        "workspace root)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also NaN
        raise argparse.ArgumentTypeError("must be a number of seconds, at least 0")
    return value


def _target(args: argparse.Namespace) -> Target:
    import os

    from trainops.commands.common import Target

    return Target(
        paths=tuple(args.paths),
        sandbox=args.sandbox,
        parallelism=args.parallelism,
        environ=dict(os.environ),
        cache=_cache_mode(args),
    )


def _color(args: argparse.Namespace) -> bool:
    import os

    return not args.no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _add_plan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan",
        help="diff manifests against live models and price the trainings",
        description="Show what apply would do: create, train, update, wait, none, orphan or "
        "delete (--prune) for every model, with each training's cost from the API's dry run.",
    )
    _add_target(p)
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="print the plan as text, as markdown (a pull request comment) or as JSON for "
        "machines (default: text)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="save the plan for `apply --plan`")
    p.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when there are, 1 on error",
    )
    p.add_argument(
        "--changed-since",
        metavar="REF",
        help="plan only manifests changed since REF, and the models of those deleted since",
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="plan orphaned models as deletions (what `apply --prune` deletes)",
    )
    p.add_argument(
        "--comment", action="store_true", help="post/update the plan as a pull request comment"
    )
    _add_pr_flag(p)
    _add_quiet_flag(p, QUIET)
    p.set_defaults(handler=_plan)


def _add_pr_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pr",
        type=_positive_int,
        metavar="N",
        help="the pull request to comment on / verify against, when the event names none "
        "(workflow_dispatch: re-plan a merged commit for approval)",
    )


def _plan(args: argparse.Namespace) -> int:
    from trainops.commands.plan import run_plan

    return run_plan(
        _target(args),
        fmt=args.format,
        color=_color(args),
        out=args.out,
        detailed_exitcode=args.detailed_exitcode,
        max_cost=args.max_cost,
        changed_since=args.changed_since,
        comment=args.comment,
        probe=not args.no_probe,
        pr=args.pr,
        targets=tuple(args.targets),
        prune=args.prune,
        quiet=args.quiet,
    )


def _add_drift(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "drift",
        help="check that the live models match the manifests (a scheduled job's check)",
        description="Plan, and exit 0 when apply would change nothing, 2 when it would (a "
        "pending or deferred training, a change made in the web app), 1 on error. With --issue, "
        "keep one GitHub issue open while they differ, updated by each check, closed when they "
        "match again (GITHUB_REPOSITORY, GITHUB_TOKEN with `issues: write`).",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="manifests or directories (default: .)")
    _add_sandbox_flag(p)
    p.add_argument(
        "--parallelism", type=_positive_int, help="concurrent API reads (default: trainops.yaml, 8)"
    )
    p.add_argument(
        "--issue", action="store_true", help="open, update or close the drift issue on GitHub"
    )
    p.add_argument("--no-color", action="store_true", help="never colour the output")
    p.add_argument(
        "--no-probe",
        action="store_true",
        help="do not create the empty per-type model used to price models that do not exist yet",
    )
    _add_json_flag(p)
    _add_no_cache_flag(p)
    p.set_defaults(handler=_drift)


def _drift(args: argparse.Namespace) -> int:
    from trainops.commands.drift import run_drift

    return run_drift(
        _target(args),
        issue=args.issue,
        color=_color(args),
        probe=not args.no_probe,
        fmt=args.format,
    )


def _add_apply(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "apply",
        help="create models, sync images and trigger changed trainings",
        description="Plan, show the plan, ask, then create models, sync training files and "
        "trigger only the trainings whose inputs changed. With --plan FILE, nothing is asked.",
    )
    _add_target(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--wait", action="store_true", help="follow the trainings to the end")
    p.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help=(
            "apply the plan saved by `plan --out FILE`, only if planning again now gives the "
            "same plan (a saved plan is checked, never run as written); the saved plan is the "
            "approval: no --yes needed"
        ),
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="plan orphaned models as deletions, and delete them (asks for their number)",
    )
    p.add_argument(
        "--replace-running",
        action="store_true",
        help="cancel trainings running on outdated inputs and train the declared ones",
    )
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing model")
    p.add_argument("--poll-interval", type=float, default=5.0, help=argparse.SUPPRESS)
    p.add_argument(
        "--wait-timeout",
        type=float,
        metavar="SECONDS",
        help="with --wait, stop waiting after SECONDS and exit 1; the trainings go on "
        "(default: wait as long as they take)",
    )
    p.add_argument(
        "--comment-outcome",
        action="store_true",
        help="comment the outcome on the merged pull request (GitHub Actions)",
    )
    p.add_argument(
        "--verify-reviewed",
        choices=("fail", "warn"),
        help="check the plan does no more than the one reviewed in the merged pull request",
    )
    _add_pr_flag(p)
    p.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another apply of the workspace to release its lock "
        "(default 0: stop at once, exit 75, naming its holder)",
    )
    _add_json_flag(p)
    _add_quiet_flag(
        p, "do not print how many dataset warnings there are (`trainops plan` lists them)"
    )
    p.set_defaults(handler=_apply)


def _apply(args: argparse.Namespace) -> int:
    import os

    from trainops.commands.apply import ApplyFlags, run_apply

    flags = ApplyFlags(
        yes=args.yes,
        wait=args.wait,
        prune=args.prune,
        replace_running=args.replace_running,
        fail_fast=args.fail_fast,
        plan_file=args.plan,
        max_cost=args.max_cost,
        poll_interval=args.poll_interval,
        wait_timeout=args.wait_timeout,
        comment_outcome=args.comment_outcome,
        verify_reviewed=args.verify_reviewed,
        pr=args.pr,
        probe=not args.no_probe,
        live=sys.stderr.isatty() and "CI" not in os.environ,
        lock_timeout=args.lock_timeout,
        targets=tuple(args.targets),
        fmt=args.format,
        quiet=args.quiet,
    )
    # With --format json, stdout is for the JSON (`| jq`): the plan and question are on stderr.
    shown = sys.stderr if args.format == "json" else sys.stdout
    interactive = sys.stdin.isatty() and shown.isatty()
    return run_apply(
        _target(args),
        flags,
        color=_color(args),
        interactive=interactive,
        confirm=lambda q: input(q).strip() == "yes",
        ask=input,
    )


def _add_unlock(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "unlock",
        help="remove an apply lock left by an apply that stopped without releasing it",
        description="Remove the workspace's apply lock LOCK_ID, whoever holds it (the lock id "
        "is in the message of the apply it stopped). Only for a lock whose apply is no longer "
        "running: a lock also expires by itself 10 minutes after its apply stopped renewing it.",
    )
    p.add_argument("lock_id", metavar="LOCK_ID", help="the lock to remove")
    p.add_argument("paths", nargs="*", metavar="PATH", help="a manifest or directory (default: .)")
    _add_sandbox_flag(p)
    p.set_defaults(handler=_unlock)


def _unlock(args: argparse.Namespace) -> int:
    import os

    from trainops.commands.common import Target
    from trainops.commands.lock import run_unlock

    return run_unlock(
        Target(paths=tuple(args.paths), sandbox=args.sandbox, environ=dict(os.environ)),
        args.lock_id,
    )


def _add_status(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "status",
        help="live status of every model of the workspace and its latest job",
        description="Read-only: each model's status, its running or failed job, whether it was "
        "trained on what the manifest declares now, and the commit it was trained from.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="manifests or directories (default: .)")
    _add_sandbox_flag(p)
    p.add_argument(
        "--parallelism", type=_positive_int, help="concurrent API reads (default: trainops.yaml, 8)"
    )
    _add_json_flag(p)
    _add_no_cache_flag(p)
    p.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from trainops.commands.status import run_status

    return run_status(_target(args), fmt=args.format)


def _add_probes(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    clean.add_argument(
        "paths", nargs="*", metavar="PATH", help="manifests or directories (default: .)"
    )
    _add_sandbox_flag(clean)
    clean.add_argument(
        "--parallelism", type=_positive_int, help="concurrent API calls (default: trainops.yaml, 8)"
    )
    _add_json_flag(clean)
    _add_no_cache_flag(clean)
    clean.set_defaults(handler=_probes_clean)


def _probes_clean(args: argparse.Namespace) -> int:
    from trainops.commands.probes import run_probes_clean

    return run_probes_clean(_target(args), fmt=args.format)


def _add_import(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    _add_sandbox_flag(p)
    _add_json_flag(p)
    p.set_defaults(handler=_import)


def _import(args: argparse.Namespace) -> int:
    import os

    from trainops.commands.import_ import (
        BulkImportRequest,
        ImportRequest,
        run_import,
        run_import_many,
    )

    if args.model_id is None or args.tag or args.every:
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
    request = ImportRequest(
        model_id=args.model_id,
        directory=args.dir,
        out=args.out,
        key=args.key,
        force=args.force,
        sandbox=args.sandbox,
    )
    return run_import(request, cwd=Path.cwd(), environ=dict(os.environ), fmt=args.format)


def _add_doctor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor",
        help="check what trainops assumes of the API against this API key's account",
        description="Run once per API key, before the first real apply. Spends nothing (dry "
        "runs only): creates one scratch model, tagged trainops-doctor:<nonce>, checks tags, "
        "uploads, image lists, captions, parameters, job ids, deletion and paging on it, and "
        "deletes it at the end. Exit 0 when every check holds, 1 when one fails.",
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _add_json_flag(p)
    _add_sandbox_flag(p)
    p.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    import os

    from trainops.commands.doctor import run_doctor

    return run_doctor(
        sandbox=args.sandbox,
        yes=args.yes,
        fmt=args.format,
        cwd=Path.cwd(),
        environ=dict(os.environ),
        interactive=sys.stdin.isatty() and sys.stderr.isatty(),
        confirm=lambda q: input(q).strip() == "yes",
    )


def _add_init(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _add_completion(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        _add_init,
        _add_validate,
        _add_schema,
        _add_types,
        _add_plan,
        _add_apply,
        _add_drift,
        _add_unlock,
        _add_status,
        _add_import,
        _add_probes,
        _add_doctor,
        _add_sandbox,
        _add_cache,
        _add_completion,
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
