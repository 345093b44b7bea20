"""`trainops init [DIR]`: the files a new workspace starts from. Writes what is missing, never
over a file that exists (unless --force), and says which it wrote and which it kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trainops.commands import EXIT_OK
from trainops.commands.common import SETTINGS_FILE, suggested_name
from trainops.errors import ConfigError
from trainops.statedir import STATE_DIR

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")  # `manifest.schema.WorkspaceDoc.workspace`
MODELS_DIR = "models"  # the shipped workflow plans and applies `models/`
EXAMPLE = Path(MODELS_DIR) / "example" / "model.yaml.example"
WORKFLOW = Path(".github") / "workflows" / "trainops.yml"
IGNORE_LINE = f"{STATE_DIR}/"

SETTINGS = """\
# Workspace settings, one per workspace, at its root (README "Manifests").
apiVersion: trainops/v1
kind: Workspace
workspace: {name}  # namespaces the tags tying each model to its manifest: keep it stable
# parallelism: 8   # models applied at once
# budget: 500      # refuse a plan that would spend more creative units than this
"""

# The example is a template, `model.yaml.example`, which trainops does not read: `validate`
# passes before any image is there, and no model is created by accident. Renamed to
# `model.yaml` beside 5 images, it is a valid manifest (tests/commands/test_init.py).
EXAMPLE_MANIFEST = """\
# An example model. To train it: put 5 to 30 images in images/ beside this file (captions, if
# any, in images/<stem>.txt), rename this file to model.yaml, then run `trainops validate` and
# `trainops plan --sandbox` (the embedded sandbox: no account needed, nothing spent).
# The fields of a manifest: README "Manifests"; its JSON Schema: `trainops schema`.
apiVersion: trainops/v1
kind: Model
metadata:
  name: example            # the stable key: a-z, 0-9, '-'; unique in the workspace
spec:
  type: flux.1-lora        # any trainable type
  name: Example            # display name on Scenario (default: metadata.name)
  shortDescription: What this model draws.
  tags: [example]
  trainingImages:
    - images/*.png         # paths or globs, relative to this file
  parameters:
    conceptPrompt: example
    maxTrainSteps: 500
    # Secrets only by reference, never literal: e.g. wandbKey: {env: WANDB_KEY}
"""


@dataclass(frozen=True)
class InitRequest:
    directory: Path  # relative to the current directory; made when missing
    workspace: str | None = None  # default: `default_name`
    workflow: bool = False  # also write .github/workflows/trainops.yml at the git top level
    force: bool = False  # overwrite trainops.yaml, the example and the workflow


def run_init(request: InitRequest, *, cwd: Path) -> int:
    root = (cwd / request.directory).resolve()
    name = request.workspace if request.workspace is not None else default_name(root)
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"--workspace {name!r}: a workspace name is letters, digits, '.', '_' and '-'",
            hint=f"for example --workspace {suggested_name(root, name)}",
        )
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{request.directory}: not a directory", hint="name a directory")
    root.mkdir(parents=True, exist_ok=True)
    shown = _Shown(cwd)
    _write(root / SETTINGS_FILE, SETTINGS.format(name=name), request.force, shown)
    _ignore(root / ".gitignore", shown)
    _write(root / EXAMPLE, EXAMPLE_MANIFEST, request.force, shown)
    (root / EXAMPLE.parent / "images").mkdir(parents=True, exist_ok=True)
    if request.workflow:
        top = _git_top(root) or root
        text = workflow_for(root.relative_to(top).as_posix())
        _write(top / WORKFLOW, text, request.force, shown)
    images, example = shown(root / EXAMPLE.parent / "images"), shown(root / EXAMPLE)
    print(
        f"workspace {name} in {shown(root) or '.'}: next, add images to {images}/, rename "
        f"{example} to model.yaml, then `trainops validate` and `trainops plan --sandbox`"
    )
    return EXIT_OK


def default_name(root: Path) -> str:
    """DIR's name; below the top level of a git repository, the top's name and the path to DIR
    (`shop-art-models`): two workspaces of one repository never share a name."""
    top = _git_top(root)
    if top is None or top == root:
        return suggested_name(root, root.name)
    return suggested_name(root, "-".join((top.name, *root.relative_to(top).parts)))


def workflow_for(where: str) -> str:
    """The shipped workflow (examples/.github/workflows/trainops.yml), its `models` paths
    moved under `where`, the workspace's path from the top of the repository."""
    text = resources.files("trainops").joinpath("templates/workflow.yml").read_text("utf-8")
    if where in ("", "."):
        return text
    models = f"{where}/{MODELS_DIR}"
    text = text.replace(f'"{MODELS_DIR}/**"', f'"{models}/**"')
    text = text.replace(f"path: {MODELS_DIR}\n", f"path: {models}\n")
    return text.replace(f"trainops drift {MODELS_DIR} ", f"trainops drift {models} ")


class _Shown:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd.resolve()

    def __call__(self, path: Path) -> str:
        try:
            rel = path.relative_to(self.cwd).as_posix()
        except ValueError:
            return path.as_posix()
        return "" if rel == "." else rel


def _write(path: Path, text: str, force: bool, shown: _Shown) -> None:
    if path.exists() and not force:
        print(f"kept {shown(path)}: it exists (--force overwrites it)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    path.write_text(text, encoding="utf-8")
    print(f"{'overwrote' if existed else 'wrote'} {shown(path)}")


def _ignore(path: Path, shown: _Shown) -> None:
    """Append `.trainops/` to the .gitignore, unless a line already ignores it."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    ignored = {f"{STATE_DIR}", f"{STATE_DIR}/", f"/{STATE_DIR}", f"/{STATE_DIR}/"}
    if any(line.strip() in ignored for line in text.splitlines()):
        print(f"kept {shown(path)}: it ignores {IGNORE_LINE} already")
        return
    sep = "" if not text or text.endswith("\n") else "\n"
    path.write_text(f"{text}{sep}{IGNORE_LINE}\n", encoding="utf-8")
    print(f"{'added ' + IGNORE_LINE + ' to' if text else 'wrote'} {shown(path)}")


def _git_top(start: Path) -> Path | None:
    return next((d for d in (start, *start.parents) if (d / ".git").exists()), None)
