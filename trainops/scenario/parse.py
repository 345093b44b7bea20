"""The API's JSON as the frozen values of `trainops.live`: every conversion, once.

Shapes as `scenario-sdk` 2.4 types them: a model (`ModelRetrieveResponse.model`, each entry of
`ModelListResponse`), a training image (`TrainingImageAddResponse.training_image`), a job
(`JobRetrieveResponse.job`: its id is `jobId`, its cost `billing.cuCost`, its error
`metadata.error`) and a dry run's price (`TrainTriggerResponse`). Keys are camelCase, as on the
wire. A field the reply leaves out becomes None, empty or zero; only an id is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from trainops.live import (
    DryRun,
    LiveEpoch,
    LiveImage,
    LiveJob,
    LiveModel,
    LivePair,
    LiveSample,
    TrainingStats,
)
from trainops.scenario.wire import JsonObject
from trainops.tags import parse_image_name, parse_recorded

__all__ = [
    "number",
    "parse_dry_run",
    "parse_image",
    "parse_job",
    "parse_listing",
    "parse_model",
    "timestamp",
]


def number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (a boolean is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def timestamp(value: object) -> float | None:
    """An ISO timestamp (`2023-02-03T11:19:41.579Z`) as epoch seconds; None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_model(raw: JsonObject, *, complete: bool) -> LiveModel:
    """A model. `complete` when `raw` is a single model's reply, which should carry all its
    images; a listing's entry carries a preview of its first images only, kept apart in
    `preview`. A single reply whose list is shorter than its `trainingImagesNumber` is not
    complete either: its images are kept as a preview (see `Scenario.get_model`)."""
    tags = tuple(str(t) for t in raw.get("tags") or ())
    images = tuple(parse_image(i) for i in raw.get("trainingImages") or ())
    progress: Mapping[str, object] = raw.get("trainingProgress") or {}
    counted = number(raw.get("trainingImagesNumber"))
    stated = int(counted) if counted is not None else None
    # More images than counted is a stale count, not a partial list: complete.
    complete = complete and (stated is None or len(images) >= stated)
    parameters = raw.get("parameters")
    return LiveModel(
        id=str(raw["id"]),
        type=str(raw.get("type") or ""),
        status=str(raw.get("status") or ""),
        name=_text(raw.get("name")),
        short_description=_text(raw.get("shortDescription")),
        tags=tags,
        parameters=dict(parameters) if isinstance(parameters, dict) else None,
        images=images if complete else (),
        images_count=stated or 0,
        complete=complete,
        pairs=tuple(_pair(p) for p in raw.get("trainingImagePairs") or ()),
        job=None,
        progress=number(progress.get("progress")),
        stage=_text(progress.get("stage")),
        remaining_ms=number(progress.get("remainingTimeMs")),
        updated_at=str(raw.get("updatedAt") or ""),
        recorded=parse_recorded(tags),
        job_id=str(raw["jobId"]) if raw.get("jobId") else None,
        created_at=timestamp(raw.get("createdAt")),
        preview=() if complete else images,
        training_images_number=stated,
        deleted_at=_deleted_at(raw.get("deletedAt")),
        epochs=tuple(_epoch(e) for e in raw.get("epochs") or () if isinstance(e, dict)),
        epoch=_text(raw.get("epoch")),
        stats=_stats(raw.get("trainingStats")),
    )


def _epoch(raw: JsonObject) -> LiveEpoch:
    assets = [a for a in raw.get("assets") or () if isinstance(a, dict)]
    return LiveEpoch(
        epoch=str(raw.get("epoch") or ""),
        samples=tuple(
            LiveSample(str(a.get("assetId") or ""), str(a.get("url") or "")) for a in assets
        ),
    )


def _stats(raw: object) -> TrainingStats | None:
    if not isinstance(raw, dict):
        return None
    return TrainingStats(
        started_at=timestamp(raw.get("startedAt")),
        ended_at=timestamp(raw.get("endedAt")),
        queue_seconds=number(raw.get("queueDuration")),
        train_seconds=number(raw.get("trainDuration")),
    )


def _deleted_at(value: object) -> float | None:
    if not value:
        return None
    # Deleted all the same when the date cannot be read: the mark is what counts.
    return timestamp(value) or 0.0


def parse_listing(page: JsonObject) -> list[LiveModel]:
    """The models of one page of `GET /models`."""
    return [parse_model(m, complete=False) for m in page.get("models") or () if isinstance(m, dict)]


def _pair(raw: JsonObject) -> LivePair:
    return LivePair(
        _text(raw.get("sourceId")), _text(raw.get("targetId")), _text(raw.get("instruction"))
    )


def parse_image(raw: JsonObject) -> LiveImage:
    """A training image; trainops's content-hash prefix is split off its name."""
    sha, name = parse_image_name(str(raw.get("name") or ""))
    return LiveImage(
        id=str(raw["id"]),
        name=name,
        sha_prefix=sha,
        description=str(raw.get("description") or ""),
        automatic_captioning=str(raw.get("automaticCaptioning") or ""),
        download_url=str(raw.get("downloadUrl") or ""),
    )


def parse_job(raw: JsonObject) -> LiveJob:
    billing: Mapping[str, object] = raw.get("billing") or {}
    metadata: Mapping[str, object] = raw.get("metadata") or {}
    error = metadata.get("error")
    return LiveJob(
        id=str(raw["jobId"]),
        status=str(raw.get("status") or ""),
        progress=number(raw.get("progress")),
        created_at=timestamp(raw.get("createdAt")),
        updated_at=timestamp(raw.get("updatedAt")),
        cost=number(billing.get("cuCost")),
        error=str(error) if error else None,
        model_id=_text(metadata.get("outputModelId")),
    )


def parse_dry_run(body: JsonObject) -> DryRun:
    details: Mapping[str, object] = body.get("costDetails") or {}
    return DryRun(
        cost=number(body.get("creativeUnitsCost")),
        discount=number(body.get("creativeUnitsDiscount")),
        details={str(k): n for k, v in details.items() if (n := number(v)) is not None},
    )
