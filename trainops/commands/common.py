"""What the plan and apply commands share: options, the client, the workspace path."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainops import pipeline
from trainops.cache.load import Mode
from trainops.commands.handler import err
from trainops.desired import Desired, DesiredModel, SecretRef
from trainops.errors import ConfigError, Diagnostic
from trainops.plan import Plan
from trainops.scenario.client import DEFAULT_PARALLELISM, Scenario
from trainops.statedir import make_parent

# `manifest.workspace.SETTINGS_FILE`: that module imports the manifests' validation, which a
# plan with nothing to do must not import (tests/test_startup.py).
SETTINGS_FILE = "trainops.yaml"


@dataclass(frozen=True)
class Target:
    """Which manifests, and which API."""

    paths: tuple[str, ...] = ()
    sandbox: bool = False
    parallelism: int | None = None
    cwd: Path = field(default_factory=Path.cwd)
    environ: Mapping[str, str] = field(default_factory=dict)
    cache: Mode = "on"  # how the manifests' load cache is used (--no-cache, TRAINOPS_CACHE)

    def client(self, desired: Desired | None = None) -> Scenario:
        """The API client, bounded by --parallelism, else the workspace's (when known), and
        owning the workspace's `projectId` (read ahead of the manifests when not known).

        Every command that asks for it reads or writes identity tags, which the workspace's
        name namespaces: against the real API that name must be written down (`require_name`)."""
        if not self.sandbox:
            require_name(self.paths, self.cwd)
        ws = desired.workspace.parallelism if desired is not None else DEFAULT_PARALLELISM
        project = (
            desired.workspace.project_id
            if desired is not None
            else peek_project_id(self.paths, self.cwd)
        )
        return open_client(
            sandbox=self.sandbox,
            root=self.cwd,
            where=self.paths[0] if self.paths else None,
            environ=self.environ,
            parallelism=self.parallelism or ws,
            project_id=project,
        )

    def client_before(self, load: Callable[[], pipeline.Loaded]) -> Scenario:
        """The client, opened before the manifests are loaded (see `pipeline.load_and_plan`).
        Missing credentials are reported only after the manifests' own errors, if any: those
        come first, as when the manifests were loaded first."""
        try:
            return self.client()
        except ConfigError:
            load()
            raise


def open_client(
    *,
    sandbox: bool,
    root: Path,
    environ: Mapping[str, str],
    parallelism: int,
    project_id: str | None = None,
    where: str | Path | None = None,
) -> Scenario:
    """The embedded sandbox (`--sandbox`) or the API the environment names; `project_id` goes
    on every API call.

    The sandbox's state is kept at the root of the workspace holding `where` (a path relative
    to `root`, the current directory, by default), `sandbox_db`: from any directory of a
    workspace, its commands see the same sandbox."""
    if sandbox:
        from trainops.sandbox.client import sandbox_client

        db = sandbox_db(where, root)
        make_parent(db)  # the sandbox knows nothing of .trainops/ and its .gitignore
        client = sandbox_client(db, parallelism=parallelism)
        client.project_id = project_id
        return client
    return Scenario.from_env(environ, parallelism=parallelism, project_id=project_id)


def sandbox_db(where: str | Path | None, cwd: Path) -> Path:
    """`<root>/.trainops/sandbox.db` of the workspace holding `where` (a file or directory,
    existing or not; default `cwd`), its root found as trainops.yaml is (`peek_settings`): the
    nearest one above, else the git top level, else `cwd`."""
    from trainops.sandbox.client import SANDBOX_DB

    return peek_settings([str(where)] if where else [], cwd).root / SANDBOX_DB


def peek_project_id(paths: Sequence[str], cwd: Path) -> str | None:
    """The `projectId` of the workspace's trainops.yaml, read before the manifests load: a plan
    sends the model list's first request meanwhile, and it must already name the project."""
    project = peek_settings(paths, cwd).get("projectId")
    return project if isinstance(project, str) and project else None


@dataclass(frozen=True)
class Settings:
    """The workspace's trainops.yaml as read ahead of the manifests (`peek_settings`)."""

    root: Path  # where trainops.yaml is, or would be: the git top level, else cwd
    data: Mapping[str, object]  # its `kind: Workspace` document; empty when absent or unread
    found: bool  # the file exists

    def get(self, key: str) -> object:
        return self.data.get(key)

    def name(self) -> str | None:
        """The workspace name the file writes down, if any."""
        name = self.data.get("workspace")
        return name if isinstance(name, str) and name else None


def peek_settings(paths: Sequence[str], cwd: Path) -> Settings:
    """The workspace's trainops.yaml, read before the manifests load.

    The file is found as the load finds it (`manifest.workspace.find_root`: the nearest one
    above the first path, up to the git top level) without asking git, and read without
    validation: an invalid file is the load's to report, and then nothing is sent anyway."""
    start = (cwd / paths[0]).resolve() if paths else cwd.resolve()
    start = start if start.is_dir() else start.parent
    for d in (start, *start.parents):
        settings = d / SETTINGS_FILE
        if settings.is_file():
            return Settings(d, _settings_in(settings), True)
        if (d / ".git").exists():
            return Settings(d, {}, False)
    return Settings(cwd.resolve(), {}, False)


def _settings_in(path: Path) -> Mapping[str, object]:
    import yaml

    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "Workspace":
            return doc
    return {}


_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def suggested_name(root: Path, default: str | None = None) -> str:
    """The name to write down: `default` (the load's), else the git top level's, which the
    models were tagged with until now (`manifest.workspace.default_name`), in the characters
    trainops.yaml accepts."""
    if default is None:
        top = next((d for d in (root, *root.parents) if (d / ".git").exists()), root)
        default = top.name
    return _NAME_CHARS.sub("-", default).strip("-") or "workspace"


def name_hint(settings: Settings, cwd: Path, default: str | None = None) -> str:
    """How to write the workspace's name down: the exact line, and where."""
    name = suggested_name(settings.root, default)
    where = _shown(settings.root / SETTINGS_FILE, cwd)
    if settings.found:
        return f"add the line `workspace: {name}` to {where}"
    return (
        f"create {where} with these lines:\n"
        f"    apiVersion: trainops/v1\n    kind: Workspace\n    workspace: {name}"
    )


def _shown(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def require_name(paths: Sequence[str], cwd: Path) -> None:
    """The workspace name namespaces the identity tags of its models. Taken from the directory,
    it changes with a clone under another name or a `git worktree`, and every model would then
    be planned as new (and the old ones as orphans): against the real API it must be written
    in trainops.yaml. `--sandbox` keeps the directory's name as a default."""
    settings = peek_settings(paths, cwd)
    if settings.name() is not None:
        return
    what = "does not name the workspace" if settings.found else "is missing"
    raise ConfigError(
        f"{SETTINGS_FILE} {what}: against the Scenario API the workspace needs a stable name "
        "(it namespaces the tags that tie each model to its manifest)",
        hint=name_hint(settings, cwd)
        + "\n  (the directory's name is a default for --sandbox only)",
    )


def warn_all(warnings: Sequence[Diagnostic], *, quiet: bool = False) -> None:
    """Warnings about what a command does are printed; the dataset warnings of the lint are
    listed by `validate` and `plan` (`list_warnings`) and only counted here, in one line."""
    if not warnings:
        return
    from trainops.manifest.lintgroups import is_advice

    advice = sum(1 for w in warnings if is_advice(w))
    for w in warnings:
        if not is_advice(w):
            err(f"warning: {w}")
    if advice and not quiet:
        s = "s" if advice != 1 else ""
        err(f"warning: {advice} dataset warning{s} not shown: `trainops validate` lists them")


def list_warnings(
    warnings: Sequence[Diagnostic], models: Sequence[DesiredModel] = (), *, quiet: bool = False
) -> None:
    """Every warning, one line per model and kind (`trainops.manifest.lintgroups`); `quiet`
    hides the dataset warnings."""
    if not warnings:
        return
    from trainops.manifest.lintgroups import grouped, is_advice

    shown = [w for w in warnings if not (quiet and is_advice(w))]
    for line in grouped(shown, models):
        err(f"warning: {line}")


def missing_secrets(plan: Plan, desired: Desired, environ: Mapping[str, str]) -> list[str]:
    """`file:line: parameters.X: ...` for every secret a planned training cannot read."""
    models = desired.by_key()
    out = []
    for entry in plan.models:
        d = models.get(entry.key)
        if d is None or not entry.will_train:
            continue
        for name, value in sorted(d.parameters.items()):
            if isinstance(value, SecretRef) and value.env not in environ:
                out.append(
                    f"{d.source}: parameters.{name}: environment variable {value.env} is not set"
                )
    return out


def check_secrets(plan: Plan, desired: Desired, environ: Mapping[str, str]) -> None:
    """Fail before anything changes, rather than after creating a model it cannot train."""
    missing = missing_secrets(plan, desired, environ)
    if missing:
        raise ConfigError(
            "secrets referenced by the manifests are not set:\n  " + "\n  ".join(missing),
            hint="export them (e.g. from your CI secrets) and run apply again",
        )


def marker_path(target: Target, desired: Desired) -> str:
    """The workspace path that names this plan's PR comment (one comment per workspace)."""
    root = desired.workspace.root
    try:
        return root.relative_to(target.cwd.resolve()).as_posix() or "."
    except ValueError:
        return root.as_posix()
