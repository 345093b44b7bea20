"""`trainops import MODEL_ID`: adopt a live model into git (the module is not named `import`,
a Python keyword).

Reads the model in full, downloads its training files through their `downloadUrl`, writes them
with their captions and a manifest adopting the model, then loads that manifest back so a
manifest that would not validate is reported here, with its line numbers, not at the next plan.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.commands.common import list_warnings, open_client, peek_project_id
from trainops.commands.handler import err
from trainops.doctor import DOCTOR_PREFIX
from trainops.errors import ApiError, ConfigError, Diagnostic, TrainopsError
from trainops.leaks import is_probe
from trainops.live import LiveImage, LiveModel
from trainops.lock import HOME_PREFIX
from trainops.manifest.emit import (
    ImportedFile,
    ImportedPair,
    ManifestInput,
    default_key,
    folder_for,
    manifest_text,
    plan_files,
)
from trainops.manifest.load import load_desired
from trainops.manifest.media import sniff
from trainops.manifest.parameters import MODEL_TYPES, TypeInfo
from trainops.manifest.schema import KEY_PATTERN
from trainops.manifest.workspace import shown_path
from trainops.render.json_out import import_json
from trainops.scenario.client import DEFAULT_PARALLELISM, Scenario
from trainops.tags import PROBE_PREFIX

MAX_LISTED = 5


@dataclass(frozen=True)
class ImportRequest:
    model_id: str
    directory: Path | None = None  # files (and by default the manifest) go here; default: key
    out: Path | None = None  # the manifest; default: directory/model.yaml
    key: str | None = None  # metadata.name; default: recorded key, else from the name
    force: bool = False
    sandbox: bool = False
    parallelism: int = DEFAULT_PARALLELISM


@dataclass(frozen=True)
class Imported:
    manifest: Path
    key: str
    files: int
    captions: int
    warnings: tuple[Diagnostic, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Layout:
    manifest: Path
    folder: Path  # where the training files go

    def relative_folder(self) -> str:
        return Path(os.path.relpath(self.folder, self.manifest.parent)).as_posix()


@dataclass(frozen=True)
class BulkImportRequest:
    """`import --tag T` / `import --all`: every matching model, each into `<directory>/<key>/`."""

    tags: tuple[str, ...] = ()  # a model carrying any of them (compared without case)
    every: bool = False  # --all: every model trainops can train that nothing adopts yet
    directory: Path | None = None  # the parent of the models' folders; default: cwd
    force: bool = False
    sandbox: bool = False
    parallelism: int = DEFAULT_PARALLELISM


@dataclass(frozen=True)
class BulkImported:
    imported: tuple[Imported, ...]
    skipped: tuple[str, ...]  # `model_...: why`, for models matched but not imported
    failed: tuple[str, ...]  # `model_...: error`, for models whose import failed


def run_import(
    request: ImportRequest,
    *,
    cwd: Path,
    environ: Mapping[str, str],
    fmt: Literal["text", "json"] = "text",
) -> int:
    async def go() -> Imported:
        where = request.out or request.directory
        client = open_client(
            sandbox=request.sandbox,
            root=cwd,
            where=where,
            environ=environ,
            parallelism=request.parallelism,
            project_id=peek_project_id([str(where)] if where else [], cwd),
        )
        async with client:
            return await import_model(client, request, cwd=cwd)

    done = pipeline.run(go())
    list_warnings(done.warnings)  # what it wrote: said in full
    for note in done.notes:
        err(f"note: {note}")
    shown = shown_path(done.manifest, cwd)
    captions = f", {done.captions} caption(s)" if done.captions else ""
    if fmt == "json":
        print(import_json([_data(done, cwd)], warnings=done.warnings), end="")
    else:
        print(f"wrote {shown} ({done.key}) and {done.files} training file(s){captions}")
    err(f"next: review it, commit it, and run `trainops plan {shown}`")
    return EXIT_OK


def _data(done: Imported, cwd: Path) -> dict[str, object]:
    return {
        "key": done.key,
        "manifest": shown_path(done.manifest, cwd),
        "files": done.files,
        "captions": done.captions,
        "notes": list(done.notes),
    }


async def import_model(client: Scenario, request: ImportRequest, *, cwd: Path) -> Imported:
    model = await _read(client, request.model_id)
    info = MODEL_TYPES.get(model.type)
    if info is None:
        raise ConfigError(
            f"model {model.id} has type {model.type!r}, which trainops cannot train",
            hint="only trainable model types can be managed; `trainops schema` lists them",
        )
    key = _key(request, model)
    layout = _layout(request, key, info, cwd)
    images = _training_images(model, info)
    data = await asyncio.gather(*(_download(client, i) for i in images))
    kinds = {i.id: sniff(d[:64]) for i, d in zip(images, data, strict=True)}
    files = plan_files(images, kinds, captions=not (info.pairs or info.audio))
    pairs, skipped = _pairs(model, files)
    text = manifest_text(
        ManifestInput(model, key, layout.relative_folder(), files, pairs, skipped_pairs=skipped)
    )
    _check_free(layout, files, force=request.force, cwd=cwd)
    _write(layout, files, data, text)
    desired, warnings = load_desired([layout.manifest], cwd=cwd)  # raises: file:line if invalid
    return Imported(
        manifest=layout.manifest,
        key=key,
        files=len(files),
        captions=sum(f.caption is not None for f in files),
        warnings=tuple(warnings),
        notes=_claimed_notes(model, desired.workspace.name),
    )


async def _read(client: Scenario, model_id: str) -> LiveModel:
    try:
        # The files as they were uploaded, not a transformed rendition: they become the
        # manifest's training data, and their hashes its fingerprint.
        return await client.get_model(model_id, original_assets=True)
    except ApiError as exc:
        if exc.status != 404:
            raise
        raise ApiError(
            f"no model {model_id} in this team",
            status=404,
            hint="check the id (model_...) and the API key's team",
        ) from exc


def _claimed_notes(model: LiveModel, workspace: str) -> tuple[str, ...]:
    """A model already carrying an identity tag is managed from somewhere: say from where."""
    owner, key = model.recorded.workspace, model.recorded.key
    if owner is None:
        return ()
    if owner == workspace:
        return (
            f"model {model.id} is already managed by this workspace as {key!r}; "
            "keep only one manifest for it",
        )
    return (
        f"model {model.id} is managed by workspace {owner!r} as {key!r} (tag "
        f"trainops:{owner}/{key}); remove that tag or that manifest, or both workspaces "
        "will train it",
    )


def _key(request: ImportRequest, model: LiveModel) -> str:
    key = request.key or default_key(model)
    if not re.fullmatch(KEY_PATTERN, key):
        raise ConfigError(
            f"--key {key!r} is not a valid metadata.name",
            hint="use lowercase letters, digits and '-' (at most 63), e.g. hero-character",
        )
    return key


def _layout(request: ImportRequest, key: str, info: TypeInfo, cwd: Path) -> _Layout:
    out = cwd / request.out if request.out else None
    base = cwd / request.directory if request.directory else (out.parent if out else cwd / key)
    manifest = out or base / "model.yaml"
    return _Layout(manifest=manifest.resolve(), folder=(base / folder_for(info)).resolve())


def _training_images(model: LiveModel, info: TypeInfo) -> list[LiveImage]:
    if not model.images:
        raise ConfigError(
            f"model {model.id} has no training files: there is nothing to import",
            hint="a manifest declares training data; create the model with trainops instead",
        )
    if len(model.images) < model.images_count:
        raise ApiError(
            f"model {model.id}: the API listed {len(model.images)} of its "
            f"{model.images_count} training files",
            hint="run again; an import must not silently leave files out",
        )
    if not info.pairs:
        return list(model.images)
    # An edit model trains on its pairs: only the files a pair uses are its data.
    used = {i for p in model.pairs for i in (p.source_id, p.target_id) if i}
    return [i for i in model.images if i.id in used]


async def _download(client: Scenario, image: LiveImage) -> bytes:
    if not image.download_url:
        raise ApiError(
            f"training file {image.id} ({image.name}) has no downloadUrl",
            hint="run again; if it persists, the file is gone from the API",
        )
    return await client.download(image.download_url)


def _pairs(model: LiveModel, files: Sequence[ImportedFile]) -> tuple[list[ImportedPair], int]:
    names = {f.image_id: f.name for f in files}
    pairs, skipped = [], 0
    for p in model.pairs:
        source, target = names.get(p.source_id or ""), names.get(p.target_id or "")
        if source and target and p.instruction:
            pairs.append(ImportedPair(source, target, p.instruction))
        else:
            skipped += 1
    return pairs, skipped


def _check_free(layout: _Layout, files: Sequence[ImportedFile], *, force: bool, cwd: Path) -> None:
    ours = {f.name for f in files} | {_caption_name(f) for f in files if f.caption}
    # The manifest takes every file of the folder (a glob): a stranger there would join the data.
    if layout.folder.is_dir():
        strangers = sorted(p.name for p in layout.folder.iterdir() if p.name not in ours)
        if strangers:
            raise ConfigError(
                f"{shown_path(layout.folder, cwd)} already holds other files "
                f"({_listed(strangers)}): they would become training data",
                hint="import into an empty folder: pass --dir NEW_FOLDER",
            )
    if force:
        return
    targets = [layout.manifest, *(layout.folder / name for name in sorted(ours))]
    existing = [shown_path(p, cwd) for p in targets if p.exists()]
    if existing:
        raise ConfigError(
            f"refusing to overwrite {_listed(existing)}",
            hint="pass --force to overwrite, or --dir/--out to write elsewhere",
        )


def _listed(names: Sequence[str]) -> str:
    more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return ", ".join(names[:MAX_LISTED]) + more


def _caption_name(f: ImportedFile) -> str:
    return f"{Path(f.name).stem}.txt"


def _write(
    layout: _Layout, files: Sequence[ImportedFile], data: Sequence[bytes], text: str
) -> None:
    layout.folder.mkdir(parents=True, exist_ok=True)
    for f, content in zip(files, data, strict=True):
        (layout.folder / f.name).write_bytes(content)
        if f.caption:
            (layout.folder / _caption_name(f)).write_text(f.caption + "\n", encoding="utf-8")
    layout.manifest.parent.mkdir(parents=True, exist_ok=True)
    layout.manifest.write_text(text, encoding="utf-8")


# --- many models at once --------------------------------------------------------------------

# Models trainops itself made for its own use: never training data of anyone's.
_INTERNAL_PREFIXES = (PROBE_PREFIX, HOME_PREFIX, DOCTOR_PREFIX)


def run_import_many(
    request: BulkImportRequest,
    *,
    cwd: Path,
    environ: Mapping[str, str],
    fmt: Literal["text", "json"] = "text",
) -> int:
    async def go() -> BulkImported:
        client = open_client(
            sandbox=request.sandbox,
            root=cwd,
            where=request.directory,
            environ=environ,
            parallelism=request.parallelism,
            project_id=peek_project_id([str(request.directory)] if request.directory else [], cwd),
        )
        async with client:
            return await import_many(client, request, cwd=cwd)

    done = pipeline.run(go())
    for one in done.imported:
        list_warnings(one.warnings)
        for note in one.notes:
            err(f"note: {note}")
        if fmt == "text":
            shown = shown_path(one.manifest, cwd)
            print(f"wrote {shown} ({one.key}) and {one.files} training file(s)")
    for line in done.skipped:
        err(f"skipped {line}")
    for line in done.failed:
        err(f"error: {line}")
    if fmt == "json":
        imported = [_data(one, cwd) for one in done.imported]
        warnings = [w for one in done.imported for w in one.warnings]
        print(import_json(imported, done.skipped, done.failed, warnings), end="")
    else:
        print(
            f"imported {len(done.imported)} model(s)"
            + (f", skipped {len(done.skipped)}" if done.skipped else "")
            + (f", {len(done.failed)} failed" if done.failed else "")
        )
    if done.imported:
        err("next: review them, commit them, and run `trainops plan`")
    return EXIT_ERROR if done.failed else EXIT_OK


async def import_many(client: Scenario, request: BulkImportRequest, *, cwd: Path) -> BulkImported:
    """Import every model `request` selects, one directory each, one after the other (each
    import already downloads its files concurrently). One failing import does not stop the
    others: it is reported with its model id."""
    if not request.tags and not request.every:
        raise ConfigError(
            "import needs a MODEL_ID, --tag TAG or --all",
            hint="`trainops import model_...` adopts one model, `--tag T` every model tagged T",
        )
    desired, _ = await asyncio.to_thread(load_desired, [], cwd=cwd)
    workspace = desired.workspace.name
    adopted = {m.model_id for m in desired.models if m.model_id}
    taken = {m.key for m in desired.models}
    wanted = {t.lower() for t in request.tags}
    base = cwd / request.directory if request.directory else cwd
    imported: list[Imported] = []
    skipped: list[str] = []
    failed: list[str] = []
    for m in sorted(await client.list_models(), key=lambda m: (m.created_at or 0.0, m.id)):
        if wanted and not wanted & {t.lower() for t in m.tags}:
            continue
        if any(t.startswith(_INTERNAL_PREFIXES) for t in m.tags) or is_probe(m):
            continue
        why = _not_importable(m, workspace, adopted)
        if why is not None:
            skipped.append(f"{m.id} ({m.name}): {why}")
            continue
        key = _free_key(default_key(m), taken)
        one = ImportRequest(
            m.id,
            directory=base / key,
            key=key,
            force=request.force,
            sandbox=request.sandbox,
            parallelism=request.parallelism,
        )
        try:
            imported.append(await import_model(client, one, cwd=cwd))
        except TrainopsError as exc:
            failed.append(f"{m.id} ({m.name}): {exc.message}")
            continue
        taken.add(key)
    return BulkImported(tuple(imported), tuple(skipped), tuple(failed))


def _not_importable(m: LiveModel, workspace: str, adopted: set[str]) -> str | None:
    if m.id in adopted:
        return "a manifest of this workspace already adopts it (spec.modelId)"
    if keys := m.recorded.keys(workspace):
        return f"already managed by this workspace as {keys[0]!r}"
    if m.recorded.workspace is not None:
        return f"managed by workspace {m.recorded.workspace!r} (tag trainops:...): import it there"
    if m.type not in MODEL_TYPES:
        return f"type {m.type!r} is not one trainops can train"
    if not m.images_count:
        return "no training files: nothing to import"
    return None


def _free_key(key: str, taken: set[str]) -> str:
    """`key`, or `key-2`, `key-3`...: two models of one name get a folder and a key each."""
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        candidate = f"{key[: 63 - len(str(n)) - 1]}-{n}"
    return candidate
