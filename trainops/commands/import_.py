"""`trainops import MODEL_ID`: adopt a live model into git (the module is not named `import`,
a Python keyword; `--tag`/`--all`, many models at once, are `import_all`).

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
from trainops.commands import EXIT_OK
from trainops.commands.common import list_warnings, open_client, peek_project_id
from trainops.commands.handler import err
from trainops.errors import ApiError, ConfigError, Diagnostic
from trainops.live import LiveImage, LiveModel
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


def run_import(
    request: ImportRequest,
    *,
    cwd: Path,
    environ: Mapping[str, str],
    fmt: Literal["text", "json"] = "text",
) -> int:
    async def go() -> Imported:
        where = request.out or request.directory
        client = import_client(where, request.sandbox, request.parallelism, cwd, environ)
        async with client:
            return await import_model(client, request, cwd=cwd)

    done = pipeline.run(go())
    list_warnings(done.warnings)  # what it wrote: said in full
    for note in done.notes:
        err(f"note: {note}")
    shown = shown_path(done.manifest, cwd)
    captions = f", {done.captions} caption(s)" if done.captions else ""
    if fmt == "json":
        print(import_json([imported_data(done, cwd)], warnings=done.warnings), end="")
    else:
        print(f"wrote {shown} ({done.key}) and {done.files} training file(s){captions}")
    err(f"next: review it, commit it, and run `trainops plan {shown}`")
    return EXIT_OK


def import_client(
    where: Path | None, sandbox: bool, parallelism: int, cwd: Path, environ: Mapping[str, str]
) -> Scenario:
    """The client of an import writing to `where`: its workspace's project, its sandbox."""
    return open_client(
        sandbox=sandbox,
        root=cwd,
        where=where,
        environ=environ,
        parallelism=parallelism,
        project_id=peek_project_id([str(where)] if where else [], cwd),
    )


def imported_data(done: Imported, cwd: Path) -> dict[str, object]:
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
