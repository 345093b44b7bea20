"""Manifests -> the frozen desired state.

`load_desired` finds the YAML documents that are ours under the given paths, validates every one
of them (schema, files, parameters, duplicates) and lints the datasets, collecting ALL problems
before raising one `ManifestError`. On success it returns `Desired` with fingerprints computed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from trainops.cache.load import FileRecord, LoadStats, Memo
from trainops.cache.stats import Inputs
from trainops.desired import Desired, DesiredModel, Source, Workspace
from trainops.errors import Diagnostic, ManifestError
from trainops.manifest import files as dataset
from trainops.manifest import lint, schema
from trainops.manifest.files import HashCache
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
from trainops.manifest.yamlmarks import Document, YamlSyntaxError, load_documents

__all__ = ["find_manifest_files", "load_desired"]

_SUFFIXES = (".yaml", ".yml")


def _walk(directory: Path, inputs: Inputs) -> Iterator[Path]:
    # scandir: the entry type comes with the listing, so image folders cost no stat per file.
    inputs.directory(directory)
    with os.scandir(directory) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .git, .trainops, .github, .venv: never ours
        if entry.is_dir():
            yield from _walk(Path(entry.path), inputs)
        elif entry.name.endswith(_SUFFIXES) and entry.name != SETTINGS_FILE:
            yield Path(entry.path)


def find_manifest_files(
    paths: Sequence[Path], cwd: Path, diags: list[Diagnostic], inputs: Inputs | None = None
) -> list[tuple[Path, bool]]:
    """(file, named explicitly) for every candidate YAML file, each once, in a stable order."""
    inputs = Inputs() if inputs is None else inputs
    out: dict[Path, bool] = {}
    for given in paths:
        path = (cwd / given).resolve()
        if path.is_dir():
            for f in _walk(path, inputs):
                out.setdefault(f, False)
        elif path.is_file():
            out[path] = True
        else:
            diags.append(Diagnostic(str(given), 0, "(path)", "no such file or directory"))
    return list(out.items())


def _ours(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if isinstance(version, str):
        return version.startswith("trainops/")
    return data.get("kind") == "Model" and "spec" in data  # forgot apiVersion


def _read(path: Path, shown: str, explicit: bool, diags: list[Diagnostic]) -> list[Document]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        if explicit:
            diags.append(Diagnostic(shown, 0, "(file)", f"cannot read: {exc}"))
        return []
    try:
        return [d for d in load_documents(text) if _ours(d.data)]
    except YamlSyntaxError as exc:
        # Other tools' YAML (CI, Helm templates) may not even parse; only ours is our business.
        if explicit or "trainops/" in text:
            diags.append(Diagnostic(shown, exc.line, "(yaml)", exc.message))
        return []


def _header(doc: Document, shown: str) -> Diagnostic | None:
    data = doc.data
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


def _build(at: Located, model: ModelDoc) -> DesiredModel | None:
    spec = model.spec
    info = check_type(at, spec)
    if info is None:
        return None
    check_file_fields(at, spec, info)
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
        fingerprint=dataset.fingerprint(spec.type, params, desired_files, pairs),
        source=Source(at.shown, at.doc.line),
    )


class _Loader:
    def __init__(self, workspace: Workspace, cwd: Path, memo: Memo | None) -> None:
        self.workspace = workspace
        self.cwd = cwd
        self.memo = memo
        self.cache = HashCache(workspace.root)
        self.diagnostics: list[Diagnostic] = []
        self.models: list[DesiredModel] = []
        self.files: list[FileRecord] = []  # each file's share, for the load cache
        self.keys: dict[str, str] = {}  # key -> "file:line" of its first definition

    def load_file(self, path: Path, explicit: bool) -> None:
        shown = shown_path(path, self.cwd)
        reused = self.memo.reuse(path, explicit, self.workspace.root) if self.memo else None
        if reused is not None:
            # Names are claimed across files: a reused file can still clash with a new one.
            for key, line in reused.claims:
                duplicate = self._claim(shown, key, line)
                self.diagnostics += [duplicate] if duplicate else []
            self.models += reused.models
            self.diagnostics += reused.diagnostics
            self.files.append(reused)
            return
        record = FileRecord(str(path), explicit)
        record.inputs.file(path)
        before, built = len(self.diagnostics), len(self.models)
        for doc in _read(path, shown, explicit, self.diagnostics):
            self.diagnostics += _duplicate_keys(doc, shown)
            header = _header(doc, shown)
            if header is not None:
                self.diagnostics.append(header)
                continue
            self.load_model(path, shown, doc, record)
        record.models = self.models[built:]
        record.diagnostics = self.diagnostics[before:]
        self.files.append(record)

    def load_model(self, path: Path, shown: str, doc: Document, record: FileRecord) -> None:
        model, diags = schema.validate(ModelDoc, doc, shown)
        self.diagnostics += diags
        if model is None:
            self._check_raw_parameters(path, shown, doc, record)
            return
        at = Located(doc, path, shown, self.workspace.root, self.cache, inputs=record.inputs)
        claim = (model.metadata.name, doc.line_of(("metadata", "name")))
        record.claims.append(claim)
        duplicate = self._claim(shown, *claim)
        at.diagnostics += [duplicate] if duplicate else []
        built = _build(at, model)
        self.diagnostics += at.diagnostics
        if built is not None:
            self.models.append(built)

    def _check_raw_parameters(
        self, path: Path, shown: str, doc: Document, record: FileRecord
    ) -> None:
        """A shape error elsewhere must not hide the parameter errors: report all in one run."""
        spec = doc.data.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("parameters"), dict):
            return
        model_type = spec.get("type")
        if isinstance(model_type, str) and model_type in MODEL_TYPES:
            at = Located(doc, path, shown, self.workspace.root, self.cache, inputs=record.inputs)
            resolve_parameters(at, model_type, spec["parameters"])
            self.diagnostics += at.diagnostics

    def _claim(self, shown: str, key: str, line: int) -> Diagnostic | None:
        here = f"{shown}:{line}"
        first = self.keys.setdefault(key, here)
        if first == here:
            return None
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
    cache: bool = True,
    stats: LoadStats | None = None,
    missed: Memo | None = None,
) -> tuple[Desired, list[Diagnostic]]:
    """Load and validate every manifest under `paths` (default: the current directory).

    Returns the desired state and its warnings; raises ManifestError with every problem.
    With `strict`, warnings count as errors. With `cache`, a result whose inputs are all
    unchanged since an earlier identical call is reused, or else each unchanged manifest
    file's share of it (see `loadcache`); `stats` says which. `missed` is this call's memo
    when the caller already looked the whole result up in it, in vain (see `engine.load`).
    """
    cwd = (cwd or Path.cwd()).resolve()
    given = [Path(p) for p in paths] or [Path(".")]
    memo = (missed or Memo(given, cwd, strict)) if cache else None
    hit = memo.lookup() if memo is not None and missed is None else None
    if stats is not None:
        stats.cache_hit = hit is not None
    if hit is not None:
        return hit
    try:
        desired, found, loader = _load(given, cwd, strict, memo)
    finally:
        if stats is not None and memo is not None:
            stats.reused_files = memo.reused
    if memo is not None:
        memo.store(desired, found, loader.files, loader.cache.stats)
    return desired, found


def _load(
    given: list[Path], cwd: Path, strict: bool, memo: Memo | None
) -> tuple[Desired, list[Diagnostic], _Loader]:
    root = find_root(given[0], cwd)
    workspace, diags = load_workspace(root, cwd)
    loader = _Loader(workspace, cwd, memo)
    loader.diagnostics += diags
    walk = memo.walk if memo else None
    for file, explicit in find_manifest_files(given, cwd, loader.diagnostics, walk):
        loader.load_file(file, explicit)
    loader.cache.save()
    found = _finish(loader.diagnostics, strict)
    models = tuple(sorted(loader.models, key=lambda m: m.key))
    return Desired(workspace=workspace, models=models), found, loader


def _finish(diags: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    if strict:
        diags = [Diagnostic(d.file, d.line, d.field, d.message, d.hint, "error") for d in diags]
    diags = sorted(diags, key=lambda d: (d.file, d.line, d.field))
    if any(d.severity == "error" for d in diags):
        raise ManifestError(diags)
    return diags
