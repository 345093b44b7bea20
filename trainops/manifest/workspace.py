"""The workspace: its root directory and the optional root `trainops.yaml` settings."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from trainops.desired import Workspace
from trainops.errors import Diagnostic
from trainops.links import MODEL_LINK
from trainops.manifest import guard
from trainops.manifest.schema import API_VERSION, WorkspaceDoc, validate
from trainops.manifest.yamlmarks import Document, YamlSyntaxError, load_documents

SETTINGS_FILE = "trainops.yaml"


def shown_path(path: Path, cwd: Path) -> str:
    """`path` as the user should see it: relative to the current directory when possible."""
    return Path(os.path.relpath(path, cwd)).as_posix()


def git_toplevel(start: Path) -> Path | None:
    import git  # deferred: gitpython spawns nothing at import, but is slow to import

    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    top = repo.working_tree_dir
    return Path(top).resolve() if top else None


def find_root(first: Path, cwd: Path) -> Path:
    """Nearest directory holding trainops.yaml above `first` (up to the git top level),
    else the git top level, else `cwd`."""
    start = (cwd / first).resolve()
    start = start if start.is_dir() else start.parent
    top = git_toplevel(start) if start.exists() else None
    for d in (start, *start.parents):
        if (d / SETTINGS_FILE).is_file():
            return d
        if d == top:
            break
    return top or cwd.resolve()


def default_name(root: Path) -> str:
    top = git_toplevel(root)
    return (top or root).name or "workspace"


def load_workspace(root: Path, cwd: Path) -> tuple[Workspace, list[Diagnostic]]:
    """The settings of `root/trainops.yaml` (defaults when absent) and any problems in it."""
    path = root / SETTINGS_FILE
    name = default_name(root)
    if not path.is_file():
        return Workspace(name=name, root=root), []
    shown = shown_path(path, cwd)
    try:
        docs = list(load_documents(_text(path)))
    except YamlSyntaxError as exc:
        return Workspace(name=name, root=root), [Diagnostic(shown, exc.line, "(yaml)", exc.message)]
    except (OSError, guard.Refused, UnicodeDecodeError) as exc:
        why = exc.reason if isinstance(exc, guard.Refused) else _why(exc)
        return Workspace(name=name, root=root), [
            Diagnostic(shown, 0, "(file)", f"cannot read: {why}")
        ]
    settings = [d for d in docs if isinstance(d.data, dict) and d.data.get("kind") == "Workspace"]
    if len(settings) != 1:
        return Workspace(name=name, root=root), [_one_settings_doc(shown, docs, settings)]
    ws, diags = validate(WorkspaceDoc, settings[0], shown)
    if ws is None:
        return Workspace(name=name, root=root), [_near_miss(d, settings[0]) for d in diags]
    return Workspace(
        name=ws.workspace or name,
        root=root,
        project_id=ws.project_id,
        parallelism=ws.parallelism,
        budget=ws.budget,
        pricing=ws.pricing,
        merge_cost_tolerance=ws.merge_cost_tolerance,
        moved=tuple((m.from_, m.to) for m in ws.moved),
        model_link=(ws.links and ws.links.model) or MODEL_LINK,
    ), []


def _near_miss(diag: Diagnostic, doc: Document) -> Diagnostic:
    """An apiVersion that is not ours on the settings document: say which one is."""
    version = doc.data.get("apiVersion")
    if diag.field != "apiVersion" or not isinstance(version, str):
        return diag
    return dataclasses.replace(
        diag,
        message=f"{version!r}: did you mean {API_VERSION}?",
        hint=f"write `apiVersion: {API_VERSION}`",
    )


def _text(path: Path) -> str:
    data, more = guard.read_head(path, guard.MANIFEST)
    if more:
        raise guard.too_big(None, guard.MANIFEST)
    return data.decode("utf-8")


def _why(exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.object[exc.start]:#04x})"
    return exc.strerror or str(exc)


def _one_settings_doc(shown: str, docs: list[Document], settings: list[Document]) -> Diagnostic:
    line = settings[1].line if len(settings) > 1 else (docs[0].line if docs else 1)
    return Diagnostic(
        shown,
        line,
        "kind",
        "trainops.yaml must hold exactly one `kind: Workspace` document",
        hint="put models in their own manifest files; keep only workspace settings here",
    )
