"""Rows and derived states rendered as the API's JSON objects (shapes from the SDK types)."""

from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache
from typing import Any

from trainops.sandbox.lifecycle import JobState
from trainops.sandbox.rules import FLUX, TRAINABLE
from trainops.sandbox.samples import sample_url
from trainops.sandbox.store import AssetRow, ImageRow, JobRow, ModelRow

OWNER_ID = "proj_sandbox"
AUTHOR_ID = "sandbox-user"
CAPTCHA_FILE = "captcha.png"  # served like sample.png (assets.file_routes)


@lru_cache(maxsize=8192)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def iso(t: float) -> str:
    """`datetime.fromtimestamp(t, utc).isoformat(timespec="milliseconds")` with a Z, without
    the datetime, which a listing page would build thousands of times. The microseconds round
    half to even as `fromtimestamp` rounds them (tests/sandbox/test_payloads.py compares the
    two); milliseconds are then truncated, as `isoformat` does."""
    frac, whole = math.modf(t)
    us = round(frac * 1e6)
    if us >= 1_000_000:
        whole, us = whole + 1, us - 1_000_000
    elif us < 0:
        whole, us = whole - 1, us + 1_000_000
    return f"{_second(int(whole))}.{us // 1000:03d}Z"


def ms(t: float) -> int:
    return int(t * 1000)


def file_url(base_url: str, asset_id: str) -> str:
    return f"{base_url}files/{asset_id}"


def training_image(img: ImageRow, base_url: str) -> dict[str, Any]:
    a = img.asset
    return {
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "automaticCaptioning": a.caption,
        "downloadUrl": file_url(base_url, a.id),
        "createdAt": iso(img.added_at),
    }


def asset(a: AssetRow, base_url: str) -> dict[str, Any]:
    kind = a.mime.split("/", 1)[0] if a.mime.startswith(("image/", "audio/")) else "image"
    return {
        "id": a.id,
        "authorId": AUTHOR_ID,
        "ownerId": OWNER_ID,
        "collectionIds": [],
        "createdAt": iso(a.created_at),
        "updatedAt": iso(a.updated_at),
        "editCapabilities": [],
        "kind": kind,
        "metadata": {"kind": kind, "type": "uploaded" if kind == "image" else "uploaded-audio"},
        "mimeType": a.mime,
        "privacy": "private",
        "properties": {"size": a.size},
        "source": "uploaded" if kind == "image" else "uploaded-audio",
        "status": "success",
        "tags": [],
        "url": file_url(base_url, a.id),
        "description": a.description,
    }


def public_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters echoed in job metadata: never the W&B key."""
    return {k: v for k, v in params.items() if k != "wandbKey"}


def job(j: JobRow, st: JobState) -> dict[str, Any]:
    return {
        "jobId": j.id,
        "jobType": j.job_type,
        "status": st.status,
        "progress": st.progress,
        "statusHistory": [{"status": s, "date": iso(t)} for s, t in st.history],
        "metadata": {"input": public_parameters(j.parameters), "outputModelId": j.model_id},
        "billing": {"cuCost": j.cost, "cuDiscount": 0},
        "createdAt": iso(j.created_at),
        "updatedAt": iso(st.changed_at),
        "authorId": AUTHOR_ID,
        "ownerId": OWNER_ID,
    }


def _capabilities(model_type: str) -> list[str]:
    info = TRAINABLE.get(model_type)
    if info is not None and info.audio:
        return ["txt2audio"]
    return ["img2img", "txt2img"]


def _progress(st: JobState, now: float, base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"stage": st.stage, "updatedAt": ms(st.changed_at)}
    if st.stage == "pending-captcha":
        return {**out, "captchaImageUrl": file_url(base_url, CAPTCHA_FILE)}
    if st.status == "queued":
        out["position"] = 0
    if st.started_at is not None:
        out.update(progress=st.progress, startedAt=ms(st.started_at), updatedAt=ms(now))
    out["remainingTimeMs"] = ms(st.remaining_s)
    return out


def _stats(j: JobRow, st: JobState) -> dict[str, Any]:
    d = j.durations
    out: dict[str, Any] = {}
    if st.started_at is not None:
        out.update(startedAt=iso(st.started_at), queueDuration=d.queued + d.warming_up)
    if st.status == "success" and st.ended_at is not None:
        out.update(endedAt=iso(st.ended_at), trainDuration=d.in_progress + d.finalizing)
    return out


def _epochs(j: JobRow, base_url: str, now: float, key: str) -> list[dict[str, Any]]:
    """One checkpoint per epoch only when sample prompts were given (Scenario's training guide:
    epochs are sampled with `samplePrompts`); each sample its own signed URL (`samples`)."""
    prompts = j.parameters.get("samplePrompts") or []
    epochs = j.parameters.get("nbEpochs", 1) if prompts else 1
    out = []
    for n in range(1, int(epochs) + 1):
        digest = hashlib.sha256(f"{j.id}/{n}".encode()).hexdigest()
        entry: dict[str, Any] = {"epoch": digest[:24]}
        if prompts:
            ids = [f"asset_sample{digest[:12]}{i}" for i in range(len(prompts))]
            entry["assets"] = [
                {"assetId": i, "url": sample_url(base_url, i, key, now)} for i in ids
            ]
        out.append(entry)
    return out


def model_status(state: JobState | None) -> str:
    return "new" if state is None else state.model_status


def model_updated_at(updated_at: float, j: JobRow | None, state: JobState | None) -> float:
    """The latest change: the row itself, a launch, or the end of the latest training."""
    times = [updated_at]
    if j is not None and state is not None:
        times.append(j.created_at)
        if state.ended_at is not None:
            times.append(state.ended_at)
    return max(times)


def model(
    m: ModelRow,
    images: list[ImageRow],
    image_count: int,
    latest: tuple[JobRow, JobState] | None,
    now: float,
    base_url: str,
    *,
    sample_key: str = "",
) -> dict[str, Any]:
    """`sample_key` signs the epochs' sample URLs (the sandbox's API secret)."""
    j, st = latest if latest is not None else (None, None)
    out: dict[str, Any] = {
        "id": m.id,
        "type": m.type,
        "status": model_status(st),
        "privacy": "private",
        "source": "scenario",
        "tags": m.tags,
        "capabilities": _capabilities(m.type),
        "collectionIds": m.extra.get("collectionIds", []),
        "exampleAssetIds": [],
        "custom": False,
        "createdAt": iso(m.created_at),
        "updatedAt": iso(model_updated_at(m.updated_at, j, st)),
        "trainingImagesNumber": image_count,
        "trainingImages": [training_image(i, base_url) for i in images],
        "trainingImagePairs": m.pairs,
        "parameters": m.parameters or {},
        "ownerId": OWNER_ID,
        "authorId": AUTHOR_ID,
    }
    for key in ("concepts", "promptEmbedding", "negativePromptEmbedding", "thumbnail"):
        if m.extra.get(key) is not None:
            out[key] = m.extra[key]
    optional = {
        "name": m.name,
        "shortDescription": m.short_description,
        "epoch": m.epoch,
        "deletedAt": iso(m.deleted_at) if m.deleted_at is not None else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if j is not None and st is not None:
        out["jobId"] = j.id
        if not st.terminal:
            out["trainingProgress"] = _progress(st, now, base_url)
        if stats := _stats(j, st):
            out["trainingStats"] = stats
        info = TRAINABLE.get(m.type)
        if st.status == "success" and info is not None and info.trainer == FLUX:
            out["epochs"] = _epochs(j, base_url, now, sample_key)
    return out
