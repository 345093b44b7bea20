"""`trainops import --tag T` / `--all`: every matching model, each into `<directory>/<key>/`,
one after the other through the single-model import (`trainops.commands.import_`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.commands.common import list_warnings
from trainops.commands.handler import err
from trainops.commands.import_ import (
    Imported,
    ImportRequest,
    import_client,
    import_model,
    imported_data,
)
from trainops.doctor import DOCTOR_PREFIX
from trainops.errors import ConfigError, TrainopsError
from trainops.leaks import is_probe
from trainops.live import LiveModel
from trainops.lock import HOME_PREFIX
from trainops.manifest.emit import default_key
from trainops.manifest.load import load_desired
from trainops.manifest.parameters import MODEL_TYPES
from trainops.manifest.workspace import shown_path
from trainops.render.json_out import import_json
from trainops.scenario.client import DEFAULT_PARALLELISM, Scenario
from trainops.tags import PROBE_PREFIX


@dataclass(frozen=True)
class BulkImportRequest:
    """What `import --tag T` / `import --all` selects, and where it writes."""

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
        where = request.directory
        client = import_client(where, request.sandbox, request.parallelism, cwd, environ)
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
        imported = [imported_data(one, cwd) for one in done.imported]
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
