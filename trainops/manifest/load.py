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
from trainops.manifest import guard, lint, schema
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
from trainops.manifest.schema import API_VERSION, ModelDoc
from trainops.manifest.workspace import SETTINGS_FILE, find_root, load_workspace, shown_path
from trainops.manifest.yamlmarks import (
    Document,
    YamlLimitError,
    YamlSyntaxError,
    load_documents,
    near_api_version,
)
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
# In any file with a document of ours (its apiVersion), also when written in UTF-16.
_MARKS = tuple("trainops/".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


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


# A document's own fields that no other tool's `spec` or settings hold.
_MODEL_FIELDS = ("trainingImages", "trainingSamples", "trainingImagePairs")
_WORKSPACE_FIELDS = (
    "workspace",
    "projectId",
    "parallelism",
    "budget",
    "pricing",
    "mergeCostTolerance",
    "moved",
)


def _shaped(data: dict[object, object]) -> bool:
    """The document is written as a trainops model or workspace settings are, whatever its
    apiVersion says: a spec of ours, or a Workspace with our settings. A Kubernetes resource,
    a Helm template (`metadata` and `spec` too, even `kind: Model`) is not."""
    spec = data.get("spec")
    kind = data.get("kind")
    if isinstance(spec, dict) and kind in ("Model", None):
        return spec.get("type") in MODEL_TYPES or any(f in spec for f in _MODEL_FIELDS)
    return kind == "Workspace" and any(f in data for f in _WORKSPACE_FIELDS)


def _ours(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if isinstance(version, str):
        return version.startswith("trainops/")
    if data.get("kind") == "Model" and "spec" in data:
        return True  # forgot apiVersion
    return version is None and _shaped(data)


def _near_miss(data: object) -> bool:
    """Meant to be ours, with another apiVersion: skipped, its model would read as removed (an
    orphan, which --prune deletes), so it is an error."""
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if not isinstance(version, str) or version.startswith("trainops/"):
        return False
    return near_api_version(version) or _shaped(data)


def _near_miss_diagnostic(doc: Document, shown: str) -> Diagnostic:
    version, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    what = "workspace settings" if kind == "Workspace" else "a model"
    return Diagnostic(
        shown,
        doc.line_of(("apiVersion",)),
        "apiVersion",
        f"{version!r}: did you mean {API_VERSION}? This document reads as {what} of trainops, "
        "but with another apiVersion it would be skipped",
        hint=f"write `apiVersion: {API_VERSION}`; a model whose manifest is skipped is planned "
        "as removed, and --prune deletes it",
    )


def _bytes(path: Path, shown: str, explicit: bool, diags: list[Diagnostic]) -> bytes | None:
    """The file's bytes through the guard: a regular file, at most `guard.MANIFEST`'s cap."""
    try:
        data, more = guard.read_head(path, guard.MANIFEST)
    except (OSError, guard.Refused) as exc:
        if explicit:
            why = exc.reason if isinstance(exc, guard.Refused) else exc.strerror
            diags.append(Diagnostic(shown, 0, "(file)", f"cannot read: {why}"))
        return None
    if more:
        # Only ours is our business; a big file of another tool says nothing of trainops.
        if explicit or _marked(data):
            big = guard.too_big(None, guard.MANIFEST)
            diags.append(Diagnostic(shown, 0, "(file)", big.reason, big.hint))
        return None
    return data


def _marked(data: bytes) -> bool:
    return any(mark in data for mark in _MARKS)


def _decode(data: bytes, shown: str, explicit: bool, diags: list[Diagnostic]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A manifest dropped silently would read as a removed model (issue 11).
        if explicit or _marked(data):
            line = data[: exc.start].count(b"\n") + 1
            bad = data[exc.start]
            message = f"cannot read: not UTF-8 text (byte {bad:#04x} on line {line})"
            diags.append(Diagnostic(shown, 0, "(file)", message, "save the file as UTF-8"))
        return None


def _blank(text: str) -> bool:
    """No YAML document at all: only blank lines, comments and document markers."""
    for line in text.splitlines():
        kept = line.strip()
        if kept and kept not in ("---", "...") and not kept.startswith("#"):
            return False
    return True


def _read(path: Path, shown: str, explicit: bool, diags: list[Diagnostic]) -> list[Document] | None:
    """The documents of ours in the file; None when it is empty (a warning says so)."""
    data = _bytes(path, shown, explicit, diags)
    text = None if data is None else _decode(data, shown, explicit, diags)
    if text is None:
        return []
    try:
        docs = [
            d for d in load_documents(text, only_ours=True) if _ours(d.data) or _near_miss(d.data)
        ]
    except YamlSyntaxError as exc:
        # Other tools' YAML (CI, Helm templates) may not even parse; only ours is our business.
        if explicit or "trainops/" in text:
            diags.append(Diagnostic(shown, exc.line, "(yaml)", exc.message, _hint(exc)))
        return []
    if not docs and _blank(text):
        diags.append(_empty(shown))
        return None
    return docs


def _hint(exc: YamlSyntaxError) -> str | None:
    return exc.hint if isinstance(exc, YamlLimitError) else None


def _empty(shown: str) -> Diagnostic:
    return Diagnostic(
        shown,
        1,
        "(file)",
        "is empty: no model is declared in it",
        hint="restore its manifest, or delete the file if its models are meant to go",
        severity="warning",
    )


def _header(doc: Document, shown: str) -> Diagnostic | None:
    data = doc.data
    if _near_miss(data):
        return _near_miss_diagnostic(doc, shown)
    version, kind = data.get("apiVersion"), data.get("kind")
    if version != API_VERSION:
        got = "is missing" if version is None else f"{version!r} is not supported"
        loc = ("apiVersion",) if version is not None else ()
        return Diagnostic(shown, doc.line_of(loc), "apiVersion", got, f"use {API_VERSION}")
    if kind == "Workspace":
        return Diagnostic(
            shown,
            doc.line_of(("kind",)),
            "kind",
            "workspace settings belong in the root trainops.yaml",
            hint="move this document to trainops.yaml at the workspace root",
        )
    if kind != "Model":
        what = "is missing" if kind is None else f"unknown kind {kind!r}"
        return Diagnostic(shown, doc.line_of(("kind",)), "kind", what, "use kind: Model")
    return None


def _duplicate_keys(doc: Document, shown: str) -> list[Diagnostic]:
    return [
        Diagnostic(shown, line, schema.field_name(loc), "duplicate key: the last one would win")
        for loc, line in doc.duplicates
    ]


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
    docs = _read(path, file.shown, explicit, file.diagnostics)
    for doc in docs or ():
        file.diagnostics += _duplicate_keys(doc, file.shown)
        header = _header(doc, file.shown)
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
        diags = [Diagnostic(d.file, d.line, d.field, d.message, d.hint, "error") for d in diags]
    diags = sorted(diags, key=lambda d: (d.file, d.line, d.field))
    if any(d.severity == "error" for d in diags):
        raise ManifestError(diags)
    return diags
