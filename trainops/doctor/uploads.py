"""The doctor's upload checks: small images as data URLs, one over 6 MB and an audio sample
through POST /uploads, and the names and caption they read back with."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trainops.doctor import files
from trainops.doctor.report import AUDIO, CAPTION, LARGE, SMALL, SMALL_IMAGES, Check, Scratch
from trainops.errors import ApiError
from trainops.scenario.uploads import fits_data_url
from trainops.tags import image_name

if TYPE_CHECKING:
    from trainops.live import LiveImage
    from trainops.scenario.client import Scenario


def content_name(data: bytes, file_name: str) -> str:
    """The name apply gives an upload (its content hash first): the one to read back."""
    return image_name(hashlib.sha256(data).hexdigest(), file_name)


async def upload_small(client: Scenario, scratch: Scratch, seed: int) -> tuple[list[str], Check]:
    """The names sent, and the small-image check: SMALL_IMAGES data URLs, the first captioned."""
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    model_id = scratch.model_id
    sent: list[str] = []
    try:
        for i in range(SMALL_IMAGES):
            data = files.small_png(seed + i)
            name = content_name(data, f"doctor-{i + 1}.png")
            caption = CAPTION if i == 0 else None
            image = await client.add_training_image(
                model_id, name=name, data=data, mime="image/png", description=caption
            )
            scratch.assets.append(image.id)
            sent.append(name)
    except ApiError as exc:
        return sent, SMALL.result(f"error: {exc.message}", False)
    return sent, SMALL.result(f"{len(sent)} added", True)


async def check_large(client: Scenario, scratch: Scratch, data: bytes, name: str) -> Check:
    # Made over the limit by construction: were it not, this would try the data URL path.
    assert not fits_data_url(data, "image/png")  # noqa: S101
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    asset = await client.upload_asset(name=name, data=data, mime="image/png")
    scratch.assets.append(asset)
    await client.add_training_images(scratch.model_id, [asset])
    return LARGE.result(f"{len(data) / 1e6:.1f} MB added as asset {asset}", True)


async def check_audio(client: Scenario, scratch: Scratch, seed: int) -> Check:
    data = files.wav(seed)
    asset = await client.upload_asset(name="doctor-voice.wav", data=data, mime="audio/wav")
    scratch.assets.append(asset)
    return AUDIO.result(f"asset {asset}", True)


def _full_name(image: LiveImage) -> str:
    return f"{image.sha_prefix}-{image.name}" if image.sha_prefix else image.name


def names_seen(
    sent_model: str, got_model: str | None, sent: Sequence[str], images: Sequence[LiveImage]
) -> tuple[str, bool]:
    # Only the names shown: a short list is the full-list check's to report.
    changed = [n for i in images if (n := _full_name(i)) not in sent]
    if got_model != sent_model:
        return f"model named {got_model!r}", False
    if changed:
        return f"{len(changed)} of {len(images)} file names changed (e.g. {changed[0]})", False
    return f"model and {len(images)} file names as sent", True


def caption_seen(images: Sequence[LiveImage]) -> tuple[str, bool]:
    first = [i for i in images if i.name == "doctor-1.png"]
    if not first:
        return "the captioned image is missing", False
    got = first[0].description
    return ("as set", True) if got == CAPTION else (f"{got!r}", False)
