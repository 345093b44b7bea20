"""Bring one live model's training files, captions and pairs to what its manifest declares.

Every step is computed from a fresh full read of the model, so running it twice, or again after
an interruption, uploads nothing twice: a file is identified on the live model by the content hash
in its name (see `trainops.live`). Uploads are not idempotent on the API side, so an upload that
fails ambiguously is checked by re-reading the model before it is tried again.

Which way a file goes (Scenario's "Uploading Assets" page, scenario-api.md 10): an image whose
data URL fits in 6 MB goes inline, one call per image; larger images and every audio sample go
through the multipart upload flow, then are attached by asset id, 10 per call
(`trainops.scenario.uploads`). A file still a Git LFS pointer on disk is fetched first, with the
model's others in one `git lfs pull`, and checked against its oid (`trainops.lfs`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import TypeVar, cast

from trainops import lfs
from trainops.contents import known_prefixes
from trainops.desired import DesiredImage, DesiredModel
from trainops.errors import AmbiguousWriteError, StalePlanError
from trainops.live import LiveImage, LiveModel
from trainops.manifest import guard
from trainops.scenario.client import Scenario
from trainops.scenario.uploads import fits_data_url
from trainops.tags import image_name

T = TypeVar("T")
_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
}


def read_file(root: Path, f: DesiredImage) -> bytes:
    """The file's bytes, refusing a file changed since it was hashed (the plan would lie), and,
    through the guard, one that now escapes the root or is no regular file: the manifests were
    checked at plan time, the file is read now."""
    try:
        data = guard.read_bytes(root / f.path, root, guard.MEDIA)
    except guard.Refused as r:
        raise StalePlanError(
            f"{f.path} {r.reason}: it changed after it was planned",
            hint="restore the file, then run `trainops plan` again",
        ) from None
    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise StalePlanError(
            f"{f.path} changed after it was planned", hint="run `trainops plan` again"
        )
    return data


async def sync_files(client: Scenario, root: Path, d: DesiredModel, model_id: str) -> LiveModel:
    """Upload missing files, delete undeclared ones, fix captions and pairs. Returns the model
    as it is afterwards (read in full, or the first read plus what the uploads returned)."""
    live = await client.get_model(model_id)
    want = {f.sha_prefix: f for f in d.training_files}
    keep: dict[str, LiveImage] = {}  # sha prefix -> live image
    drop: list[str] = []
    hashed = known_prefixes(root)  # files uploaded without a hashed name, hashed by the plan
    for img in live.images:
        sha = img.sha_prefix or hashed.get(img.id)
        if sha is not None and sha in want and sha not in keep:
            caption = want[sha].caption
            if caption is not None and caption != img.description:
                await client.set_image_description(model_id, img.id, caption)
                img = dataclasses.replace(img, description=caption)
            keep[sha] = img
        else:
            drop.append(img.id)
    missing = [f for sha, f in sorted(want.items(), key=lambda kv: kv[1].path) if sha not in keep]
    # A pointer's oid is the sha256 the plan recorded: fetch exactly what this model uploads,
    # before anything is deleted, so a missing object leaves the live model as it was.
    wanted = [(f.path, f.sha256) for f in missing]
    await asyncio.to_thread(lfs.fetch, root, wanted, environ=dict(os.environ))
    # Deletes before uploads: the team's image ceiling counts both. Within each, at once.
    await _all(client.delete_training_image(model_id, i) for i in drop)
    inline: list[tuple[DesiredImage, bytes]] = []
    multipart: list[tuple[DesiredImage, bytes]] = []
    for f in missing:
        data = read_file(root, f)
        (inline if fits_data_url(data, _mime(f)) else multipart).append((f, data))
    added = await _all(_upload(client, model_id, f, data) for f, data in inline)
    added += await _upload_multipart(client, model_id, multipart)
    if (drop or missing) and (d.pairs or None in added):
        live = await client.get_model(model_id)  # pairs need every image id the API gave
    elif drop or missing:
        images = (*keep.values(), *(i for i in added if i is not None))
        live = dataclasses.replace(live, images=images, images_count=len(images))
    # Even with no file to add or drop: a pair's instruction or partner may have changed.
    if d.pairs:
        await _sync_pairs(client, d, live)
    return live


async def _all(calls: Iterable[Awaitable[T]]) -> list[T]:
    """Await every call (the client bounds how many run at once); the first error is raised
    only once all have ended, so none is left running unobserved."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return cast(list[T], results)


def _mime(f: DesiredImage) -> str:
    return _MIME.get(Path(f.name).suffix.lower(), "application/octet-stream")


async def _upload(
    client: Scenario, model_id: str, f: DesiredImage, data: bytes
) -> LiveImage | None:
    """Upload one file as a data URL; returns the new image, or None when an ambiguous failure
    was settled by re-reading the model."""
    name = image_name(f.sha256, f.name)
    mime = _mime(f)
    try:
        return await client.add_training_image(
            model_id, name=name, data=data, mime=mime, description=f.caption
        )
    except AmbiguousWriteError:
        # The upload may have landed: only send it again if the model does not have it.
        live = await client.get_model(model_id)
        landed = next((i for i in live.images if i.sha_prefix == f.sha_prefix), None)
        if landed is None:
            await client.add_training_image(
                model_id, name=name, data=data, mime=mime, description=f.caption
            )
        elif f.caption is not None and landed.description != f.caption:
            # It landed, but its caption is set by a second call the lost reply cut off.
            await client.set_image_description(model_id, landed.id, f.caption)
        return None


async def _upload_multipart(
    client: Scenario, model_id: str, files: list[tuple[DesiredImage, bytes]]
) -> list[LiveImage | None]:
    """Upload files by the multipart flow, attach them all by asset id (10 per call), then set
    their captions. An asset uploaded but never attached (a later step failed) is on no model
    and costs nothing: the next apply uploads the file again."""
    if not files:
        return []
    asset_ids = await _all(
        client.upload_asset(name=image_name(f.sha256, f.name), data=data, mime=_mime(f))
        for f, data in files
    )
    images = await client.add_training_images(model_id, asset_ids)
    out: list[LiveImage | None] = []
    for (f, _), image in zip(files, images, strict=True):
        if f.caption is not None and f.caption != image.description:
            await client.set_image_description(model_id, image.id, f.caption)
            image = dataclasses.replace(image, description=f.caption)
        out.append(image)
    return out


async def _sync_pairs(client: Scenario, d: DesiredModel, live: LiveModel) -> None:
    ids = {i.sha_prefix: i.id for i in live.images if i.sha_prefix}
    want = [
        {
            "sourceId": ids[p.source.sha_prefix],
            "targetId": ids[p.target.sha_prefix],
            "instruction": p.instruction,
        }
        for p in d.pairs
    ]
    have = [
        {"sourceId": p.source_id, "targetId": p.target_id, "instruction": p.instruction}
        for p in live.pairs
    ]
    if want != have:
        await client.replace_pairs(live.id, want)
