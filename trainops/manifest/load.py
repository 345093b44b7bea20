"""Manifests -> the frozen desired state, collecting ALL problems before raising one
`ManifestError`. On success: `Desired` with fingerprints computed, and the warnings.

A load is four public steps, which `load_desired` composes (and the load cache in
`trainops.cache.load` composes the same way around its memo; validation knows nothing of it):

1. `find_workspace`: the root (trainops.yaml, else the git top level, else cwd) and its settings.
2. `find_manifest_files`: every candidate YAML file under the given paths.
3. `load_file`: one manifest file's models, the names they claim and its diagnostics, a pure
   function of that file, the workspace, cwd (for the paths shown) and the training files'
   facts (schema, files, parameters, dataset lint).
4. `combine`: names unique across files, `--strict`, a stable order, and the one error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainops.desired import Desired, DesiredModel, Source, Workspace, fingerprint
from trainops.errors import Diagnostic, ManifestError
from trainops.manifest import lint, schema
from trainops.manifest.document import check_header, duplicate_keys, read_documents
from trainops.manifest.media import FactSource, ReadFacts
from trainops.manifest.moved import with_previous_names
from trainops.manifest.parameters import MODEL_TYPES
from trainops.manifest.resolve import (
    Located,
    check_file_fields,
    check_sample_lengths,
    check_type,
    resolve_files,
    resolve_pairs,
    resolve_parameters,
)
from trainops.manifest.schema import ModelDoc
from trainops.manifest.workspace import SETTINGS_FILE, find_root, load_workspace, shown_path
from trainops.manifest.yamlmarks import Document
from trainops.tags import RESERVED_PREFIXES as RESERVED_TAG_PREFIXES

__all__ = [
    "FileResult",
    "combine",
    "find_manifest_files",
    "find_workspace",
    "load_desired",
    "load_file",
]

_SUFFIXES = (".yaml", ".yml")


def find_workspace(paths: Sequence[Path], cwd: Path) -> tuple[Workspace, list[Diagnostic]]:
    """The workspace of the first path (default: cwd) and any problems in its trainops.yaml."""
    root = find_root(paths[0] if paths else Path("."), cwd)
    return load_workspace(root, cwd)


def _walk(directory: Path, seen: set[tuple[int, int]] | None = None) -> Iterator[Path]:
    """Candidate files below `directory`, following symbolic links to directories, each
    directory once (a link to an ancestor is a loop, not a tree)."""
    seen = set() if seen is None else seen
    try:
        st = os.stat(directory)
        with os.scandir(directory) as listing:
            # scandir: the entry type comes with the listing: image folders cost no stat a file.
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return  # vanished or unreadable since it was listed: nothing of ours to read in it
    if (st.st_dev, st.st_ino) in seen:
        return
    seen.add((st.st_dev, st.st_ino))
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .git, .trainops, .github, .venv: never ours
        if _is_dir(entry):
            yield from _walk(Path(entry.path), seen)
        elif entry.name.endswith(_SUFFIXES) and entry.name != SETTINGS_FILE:
            yield Path(entry.path)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic link that loops
        return False


def find_manifest_files(
    paths: Sequence[Path], cwd: Path
) -> tuple[list[tuple[Path, bool]], list[Diagnostic]]:
    """(file, named explicitly) for every candidate YAML file under `paths` (default: cwd),
    each once, in a stable order; and a diagnostic for each path that does not exist."""
    out: dict[Path, bool] = {}
    diags: list[Diagnostic] = []
    for given in paths or [Path(".")]:
        path = (cwd / given).resolve()
        if path.is_dir():
            for f in _walk(path):
                out.setdefault(f, False)
        elif path.is_file():
            out[path] = True
        else:
            diags.append(Diagnostic(str(given), 0, "(path)", "no such file or directory"))
    return list(out.items()), diags


def check_tags(at: Located, tags: Sequence[str]) -> None:
    """trainops's records are tags: a manifest that declared one could forge a model's
    identity or mark inputs trained that never were. Compared in lower case, as an API that
    normalises tags would store them."""
    others: list[tuple[int, str]] = []
    for i, tag in enumerate(tags):
        if tag.lower().startswith(RESERVED_TAG_PREFIXES):
            at.report(
                ("spec", "tags", i),
                f"tag {tag!r} starts with a prefix trainops keeps for its own records",
                hint="remove it or rename it: trainops writes and reads these tags itself",
            )
        else:
            others.append((i, tag))
    lint.user_tags(at, others)


def _build(at: Located, model: ModelDoc) -> DesiredModel | None:
    spec = model.spec
    info = check_type(at, spec)
    if info is None:
        return None
    check_file_fields(at, spec, info)
    check_tags(at, spec.tags)
    params = resolve_parameters(at, spec.type, spec.parameters)
    images = resolve_files(at, spec.training_images, ("spec", "trainingImages"), audio=False)
    samples = resolve_files(at, spec.training_samples, ("spec", "trainingSamples"), audio=True)
    pairs, pair_files = resolve_pairs(at, spec)
    check_sample_lengths(at, params, samples)
    files = images + samples
    examples = len(pairs) if info.pairs else len({f.image.sha256 for f in files})
    count_field = "trainingImagePairs" if info.pairs else "trainingImages"
    lint.lint(
        at, info, params, files + pair_files, examples=examples, count_loc=("spec", count_field)
    )
    if at.failed:
        return None
    desired_files = tuple(f.image for f in files)
    return DesiredModel(
        key=model.metadata.name,
        type=spec.type,
        name=spec.name or model.metadata.name,
        short_description=spec.short_description,
        tags=tuple(spec.tags),
        parameters=params,
        images=desired_files,
        pairs=tuple(pairs),
        model_id=spec.model_id,
        fingerprint=fingerprint(spec.type, params, desired_files, pairs),
        source=Source(at.shown, at.doc.line),
        previous_names=tuple(model.metadata.previous_names),
    )


@dataclass(frozen=True)
class FileResult:
    """One manifest file's share of a load."""

    shown: str  # the file's path as diagnostics show it
    models: tuple[DesiredModel, ...] = ()
    claims: tuple[tuple[str, int], ...] = ()  # each valid document's metadata.name, its line
    diagnostics: tuple[Diagnostic, ...] = ()  # before --strict applies
    unloaded: str | None = None  # the file's workspace-relative path when it declared nothing


@dataclass
class _File:
    """What `load_file` collects while it goes through one file's documents."""

    path: Path
    shown: str
    workspace: Workspace
    facts: FactSource
    models: list[DesiredModel] = field(default_factory=list)
    claims: list[tuple[str, int]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def load_model(self, doc: Document) -> None:
        model, diags = schema.validate(ModelDoc, doc, self.shown)
        self.diagnostics += diags
        if model is None:
            self._check_raw_parameters(doc)
            return
        self.claims.append((model.metadata.name, doc.line_of(("metadata", "name"))))
        at = self._located(doc)
        built = _build(at, model)
        self.diagnostics += at.diagnostics
        if built is not None:
            self.models.append(built)

    def _check_raw_parameters(self, doc: Document) -> None:
        """A shape error elsewhere must not hide the parameter errors: report all in one run."""
        spec = doc.data.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("parameters"), dict):
            return
        model_type = spec.get("type")
        if isinstance(model_type, str) and model_type in MODEL_TYPES:
            at = self._located(doc)
            resolve_parameters(at, model_type, spec["parameters"])
            self.diagnostics += at.diagnostics

    def _located(self, doc: Document) -> Located:
        return Located(doc, self.path, self.shown, self.workspace.root, self.facts)


def load_file(
    path: Path, explicit: bool, *, workspace: Workspace, cwd: Path, facts: FactSource
) -> FileResult:
    """Validate and lint every document of ours in `path` (`explicit`: named by the user, so
    a file that cannot be read or parsed is an error even when it may not be ours)."""
    file = _File(path, shown_path(path, cwd), workspace, facts)
    docs = read_documents(path, file.shown, explicit, file.diagnostics)
    for doc in docs or ():
        file.diagnostics += duplicate_keys(doc, file.shown)
        header = check_header(doc, file.shown)
        if header is not None:
            file.diagnostics.append(header)
            continue
        file.load_model(doc)
    unloaded = Path(os.path.relpath(path, workspace.root)).as_posix() if docs is None else None
    return FileResult(
        file.shown, tuple(file.models), tuple(file.claims), tuple(file.diagnostics), unloaded
    )


def combine(
    workspace: Workspace,
    files: Sequence[FileResult],
    diagnostics: Sequence[Diagnostic] = (),
    *,
    strict: bool = False,
) -> tuple[Desired, list[Diagnostic]]:
    """The desired state of every file's models, and the warnings (`diagnostics`: those of the
    workspace and the paths). Raises ManifestError when anything is an error, with `strict`
    warnings included."""
    diags = [*diagnostics]
    first: dict[str, str] = {}  # metadata.name -> "file:line" of its first definition
    for f in files:
        for key, line in f.claims:
            here = f"{f.shown}:{line}"
            if first.setdefault(key, here) != here:
                diags.append(_duplicate_name(f.shown, line, key, first[key]))
        diags += f.diagnostics
    renamed, rename_diags = with_previous_names(workspace, [m for f in files for m in f.models])
    found = _finish([*diags, *rename_diags], strict)
    models = tuple(sorted(renamed, key=lambda m: m.key))
    unloaded = tuple(sorted(f.unloaded for f in files if f.unloaded is not None))
    return Desired(workspace=workspace, models=models, unloaded_files=unloaded), found


def _duplicate_name(shown: str, line: int, key: str, first: str) -> Diagnostic:
    return Diagnostic(
        shown,
        line,
        "metadata.name",
        f"duplicate model name {key!r}: also defined at {first}",
        hint="metadata.name is the model's identity; make each one unique",
    )


def load_desired(
    paths: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    strict: bool = False,
    facts: FactSource | None = None,
) -> tuple[Desired, list[Diagnostic]]:
    """Load and validate every manifest under `paths` (default: the current directory).

    Returns the desired state and its warnings; raises ManifestError with every problem.
    With `strict`, warnings count as errors. `facts`: where the training files' content facts
    come from (default: read from each file).
    """
    cwd = (cwd or Path.cwd()).resolve()
    given = [Path(p) for p in paths]
    workspace, diags = find_workspace(given, cwd)
    found, missing = find_manifest_files(given, cwd)
    source = ReadFacts() if facts is None else facts
    files = [
        load_file(f, explicit, workspace=workspace, cwd=cwd, facts=source) for f, explicit in found
    ]
    return combine(workspace, files, [*diags, *missing], strict=strict)


def _finish(diags: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    if strict:
        diags = [
            Diagnostic(d.file, d.line, d.field, d.message, d.hint, "error")
            if d.severity == "warning"
            else d
            for d in diags
        ]
    diags = sorted(diags, key=lambda d: (d.file, d.line, d.field))
    if any(d.severity == "error" for d in diags):
        raise ManifestError(diags)
    return diags
