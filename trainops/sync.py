"""Bring one live model's training files, captions and pairs to what its manifest declares.

Every step is computed from a fresh full read of the model, so running it twice, or again after
an interruption, uploads nothing twice: a file is identified on the live model by the content hash
in its name (see `trainops.live`). Uploads are not idempotent on the API side, so an upload that
fails ambiguously is checked by re-reading the model before it is tried again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from trainops.desired import DesiredImage, DesiredModel
from trainops.errors import StalePlanError
from trainops.live import LiveModel, image_name
from trainops.reader import to_live_model
from trainops.scenario import AmbiguousWriteError, Scenario

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


async def read_full(client: Scenario, model_id: str) -> LiveModel:
    return to_live_model(await client.get_model(model_id), complete=True)


def read_file(root: Path, f: DesiredImage) -> bytes:
    """The file's bytes, refusing a file changed since it was hashed (the plan would lie)."""
    data = (root / f.path).read_bytes()
    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise StalePlanError(
            f"{f.path} changed after it was planned", hint="run `trainops plan` again"
        )
    return data


async def sync_files(client: Scenario, root: Path, d: DesiredModel, model_id: str) -> LiveModel:
    """Upload missing files, delete undeclared ones, fix captions and pairs. Returns the model
    as it is afterwards (read in full)."""
    live = await read_full(client, model_id)
    want = {f.sha256[:16]: f for f in d.training_files}
    keep: dict[str, str] = {}  # sha prefix -> live image id
    for img in live.images:
        if img.sha_prefix in want and img.sha_prefix not in keep:
            keep[img.sha_prefix] = img.id
            caption = want[img.sha_prefix].caption
            if caption is not None and caption != img.description:
                await client.set_image_description(model_id, img.id, caption)
        else:
            await client.delete_training_image(model_id, img.id)
    for sha, f in sorted(want.items(), key=lambda kv: kv[1].path):
        if sha not in keep:
            await _upload(client, root, model_id, f)
    live = await read_full(client, model_id)
    if d.pairs:
        await _sync_pairs(client, d, live)
    return live


async def _upload(client: Scenario, root: Path, model_id: str, f: DesiredImage) -> None:
    name = image_name(f.sha256, f.name)
    data = read_file(root, f)
    mime = _MIME.get(Path(f.name).suffix.lower(), "application/octet-stream")
    try:
        await client.add_training_image(
            model_id, name=name, data=data, mime=mime, description=f.caption
        )
    except AmbiguousWriteError:
        # The upload may have landed: only send it again if the model does not have it.
        live = await read_full(client, model_id)
        if not any(i.sha_prefix == f.sha256[:16] for i in live.images):
            await client.add_training_image(
                model_id, name=name, data=data, mime=mime, description=f.caption
            )


async def _sync_pairs(client: Scenario, d: DesiredModel, live: LiveModel) -> None:
    ids = {i.sha_prefix: i.id for i in live.images if i.sha_prefix}
    want = [
        {
            "sourceId": ids[p.source.sha256[:16]],
            "targetId": ids[p.target.sha256[:16]],
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
