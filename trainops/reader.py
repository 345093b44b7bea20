"""Reading the live state the cheap way: list every private model in pages, keep this workspace's,
and fetch a model in full (GET /models/{id}) only when its listing shows it may have changed.

A warm re-plan of unchanged trained models therefore costs only the list pages: a listing carries
status, tags (so the recorded fingerprint), parameters, `trainingImagesNumber` and a preview of at
most 3 images, which is enough to prove "nothing changed" but not enough to say *what* changed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

from trainops.desired import SECRET_PARAMETERS, Desired, DesiredModel
from trainops.errors import ApiError, TrainopsError
from trainops.live import (
    FP_LEN,
    Live,
    LiveImage,
    LiveJob,
    LiveModel,
    LivePair,
    parse_image_name,
    parse_recorded,
    probe_name,
    probe_tag,
)
from trainops.scenario import Json, Scenario

# Statuses whose latest job matters: its progress (training) or its error (failed).
_JOB_STATUSES = frozenset({"training", "failed"})


class LiveStateError(TrainopsError):
    """The live models are ambiguous for this workspace (e.g. two claim the same key)."""


async def read_live(
    client: Scenario, desired: Desired, *, listed: Awaitable[list[Json]] | None = None
) -> Live:
    """Every live model this workspace manages (identity tag) or adopts (`spec.modelId`).

    `listed` is `client.list_models()` already under way (see `engine.load_and_plan`)."""
    workspace = desired.workspace.name
    listing = await (listed if listed is not None else client.list_models())
    adopted = {m.model_id: m for m in desired.models if m.model_id}
    relevant = [m for m in listing if _claimed_by(m, workspace) or m.get("id") in adopted]
    listed_ids = {str(m["id"]) for m in relevant}
    relevant += await _fetch_adopted(
        client, {i: m for i, m in adopted.items() if i not in listed_ids}
    )
    _check_unique(relevant, workspace, desired)
    by_key = desired.by_key()
    models: list[LiveModel] = []
    tasks = []
    for raw in relevant:
        d = adopted.get(str(raw["id"])) or _keyed(raw, workspace, by_key)
        if may_have_changed(raw, d) or _needs_job(raw):
            tasks.append(_read_one(client, raw, d))
        else:  # the common case of a re-plan: no request, and no task to schedule either
            models.append(to_live_model(raw, complete=False))
    models += [m for m in await asyncio.gather(*tasks) if m is not None]
    return Live(
        workspace=workspace,
        models=tuple(sorted(models, key=lambda m: m.id)),
        probes=_probes(listing, workspace),
    )


def _probes(listing: Sequence[Json], workspace: str) -> dict[str, str]:
    """This workspace's price probes by type: still empty and never trained, so a dry run on one
    honours `trainingImagesCount` exactly."""
    tag = probe_tag(workspace)
    out: dict[str, str] = {}
    for raw in sorted(listing, key=lambda m: str(m.get("id"))):
        usable = raw.get("status") == "new" and not raw.get("trainingImagesNumber")
        tags = _tags(raw)
        # Untagged with the probe's name: a probe whose create timed out before it was tagged.
        ours = tag in tags or (not tags and raw.get("name") == probe_name(str(raw.get("type"))))
        if usable and ours:
            out.setdefault(str(raw.get("type")), str(raw["id"]))
    return out


def _claimed_by(raw: Json, workspace: str) -> bool:
    return parse_recorded(_tags(raw)).workspace == workspace


def _keyed(raw: Json, workspace: str, by_key: Mapping[str, DesiredModel]) -> DesiredModel | None:
    recorded = parse_recorded(_tags(raw))
    if recorded.workspace != workspace or recorded.key is None:
        return None
    return by_key.get(recorded.key)


async def _fetch_adopted(client: Scenario, models: Mapping[str, DesiredModel]) -> list[Json]:
    """Adopted models missing from the listing (another project, or a wrong id)."""

    async def one(model_id: str, m: DesiredModel) -> Json:
        try:
            return await client.get_model(model_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            raise ApiError(
                f"{m.source}: spec.modelId: no model {model_id} in this team",
                status=404,
                hint="check the id, or remove spec.modelId to let trainops create the model",
            ) from exc

    return list(await asyncio.gather(*(one(i, m) for i, m in models.items())))


def _check_unique(relevant: Sequence[Json], workspace: str, desired: Desired) -> None:
    """Two live models claiming one key is an error naming both, never a silent pick."""
    claims: dict[str, set[str]] = defaultdict(set)
    for raw in relevant:
        recorded = parse_recorded(_tags(raw))
        if recorded.workspace == workspace and recorded.key:
            claims[recorded.key].add(str(raw["id"]))
    for m in desired.models:
        if m.model_id:
            claims[m.key].add(m.model_id)
    for key, ids in sorted(claims.items()):
        if len(ids) > 1:
            listed = " and ".join(sorted(ids))
            raise LiveStateError(
                f"models {listed} both claim key {key!r} of workspace {workspace!r}",
                hint=(
                    f"keep one: delete the other model, or remove its tag "
                    f"'trainops:{workspace}/{key}' (or fix spec.modelId)"
                ),
            )


async def _read_one(client: Scenario, raw: Json, desired: DesiredModel | None) -> LiveModel | None:
    complete = False
    if may_have_changed(raw, desired):
        try:
            raw = await client.get_model(str(raw["id"]))
        except ApiError as exc:
            if exc.status == 404:
                return None  # deleted between the listing and now: it is absent
            raise
        complete = True
    job = to_live_job(await client.get_job(str(raw["jobId"]))) if _needs_job(raw) else None
    return to_live_model(raw, complete=complete, job=job)


def _needs_job(raw: Json) -> bool:
    """Whether the model's latest job must be read: its progress (training), its error
    (failed), or whether the training a crashed apply marked pending was ever launched."""
    if not raw.get("jobId"):
        return False
    return (
        raw.get("status") in _JOB_STATUSES
        or parse_recorded(_tags(raw)).pending_fingerprint is not None
    )


def may_have_changed(raw: Json, desired: DesiredModel | None) -> bool:
    """Whether a listed model needs a full read before it can be planned."""
    if desired is None:
        return False  # an orphan is reported from its listing alone
    recorded = parse_recorded(_tags(raw))
    files = desired.training_files
    shas = {f.sha256[:16] for f in files}
    preview = [parse_image_name(str(i.get("name", "")))[0] for i in raw.get("trainingImages") or []]
    return (
        raw.get("status") != "trained"
        or raw.get("type") != desired.type
        or recorded.fingerprint != desired.fingerprint[:FP_LEN]
        or recorded.pending_fingerprint is not None
        or raw.get("trainingImagesNumber") != len(files)
        or any(sha not in shas for sha in preview)
        or _parameters_differ(raw.get("parameters") or {}, desired)
    )


def _parameters_differ(live: Mapping[str, Any], desired: DesiredModel) -> bool:
    # Only the declared keys: the API fills in defaults for the rest.
    return any(
        live.get(k) != v
        for k, v in desired.public_parameters().items()
        if k not in SECRET_PARAMETERS
    )


def _tags(raw: Json) -> list[str]:
    return [str(t) for t in raw.get("tags") or []]


def to_live_model(raw: Json, *, complete: bool, job: LiveJob | None = None) -> LiveModel:
    progress = raw.get("trainingProgress") or {}
    tags = tuple(_tags(raw))
    return LiveModel(
        id=str(raw["id"]),
        type=str(raw.get("type") or ""),
        status=str(raw.get("status") or ""),
        name=raw.get("name"),
        short_description=raw.get("shortDescription"),
        tags=tags,
        parameters=dict(raw.get("parameters") or {}),
        # A listing's preview of at most 3 images is never compared (see changes._image_changes).
        images=tuple(to_live_image(i) for i in raw.get("trainingImages") or []) if complete else (),
        images_count=int(raw.get("trainingImagesNumber") or 0),
        complete=complete,
        pairs=tuple(
            LivePair(p.get("sourceId"), p.get("targetId"), p.get("instruction"))
            for p in raw.get("trainingImagePairs") or []
        ),
        job=job,
        progress=_float(progress.get("progress")),
        stage=progress.get("stage"),
        remaining_ms=_float(progress.get("remainingTimeMs")),
        updated_at=str(raw.get("updatedAt") or ""),
        recorded=parse_recorded(tags),
        job_id=str(raw["jobId"]) if raw.get("jobId") else None,
    )


def to_live_image(raw: Json) -> LiveImage:
    sha, name = parse_image_name(str(raw.get("name") or ""))
    return LiveImage(
        id=str(raw["id"]),
        name=name,
        sha_prefix=sha,
        description=str(raw.get("description") or ""),
        automatic_captioning=str(raw.get("automaticCaptioning") or ""),
        download_url=str(raw.get("downloadUrl") or ""),
    )


def to_live_job(raw: Json) -> LiveJob:
    billing = raw.get("billing") or {}
    metadata = raw.get("metadata") or {}
    error = metadata.get("error")
    return LiveJob(
        id=str(raw["jobId"]),
        status=str(raw.get("status") or ""),
        progress=_float(raw.get("progress")),
        created_at=str(raw.get("createdAt") or ""),
        updated_at=str(raw.get("updatedAt") or ""),
        cost=_float(billing.get("cuCost")),
        error=str(error) if error else None,
    )


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
