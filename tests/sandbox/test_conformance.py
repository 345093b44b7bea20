"""The official scenario-sdk client (async and sync) drives a full round trip against the
sandbox, and every reply validates strictly against the SDK's own pydantic response types."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeVar, get_args

import pytest
import scenario_sdk
from pydantic import BaseModel
from scenario_sdk import AsyncScenario, Scenario
from scenario_sdk.types import (
    AssetUpdateResponse,
    AssetUploadResponse,
    JobListResponse,
    JobRetrieveResponse,
    JobTriggerActionResponse,
    ModelCreateResponse,
    ModelGetBulkResponse,
    ModelListResponse,
    ModelRetrieveResponse,
    ModelUpdateResponse,
    ModelUpdateTagsResponse,
)
from scenario_sdk.types.models import (
    TrainActionResponse,
    TrainingImageAddResponse,
    TrainingImageReplacePairsResponse,
    TrainingImageReplaceResponse,
    TrainTriggerResponse,
)

from tests.support.aio import synchronous
from tests.support.sandbox import Clock, Serve, image, sdk_client
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Deviations, Limits, create_app
from trainops.sandbox.enums import MODEL_TYPE_NAMES, TRAINING_JOB_TYPES

M = TypeVar("M", bound=BaseModel)


def strict(raw: Any, model: type[M], status: int = 200) -> M:
    """Validate the raw JSON body, not the SDK's lenient parse."""
    assert raw.status_code == status, raw.http_response.text
    return model.model_validate(raw.http_response.json())


def strict_page(raw: Any, item: type[BaseModel], key: str) -> tuple[list[Any], str | None]:
    body = raw.http_response.json()
    assert set(body) <= {key, "nextPaginationToken"}
    return [item.model_validate(x) for x in body[key]], body.get("nextPaginationToken")


@synchronous
async def test_async_round_trip_validates_strictly(tmp_path: Path, clock: Clock) -> None:
    app = create_app(tmp_path / "s.db", clock=clock, limits=Limits(max_dataset_images=5))
    c = sdk_client(app, max_retries=0)
    created = strict(
        await c.models.with_raw_response.create(name="cat", type="flux.1-lora"),
        ModelCreateResponse,
    )
    model_id = created.model.id
    assert created.model.status == "new"
    tags = strict(
        await c.models.with_raw_response.update_tags(model_id, add=["trainops:ws/cat"]),
        ModelUpdateTagsResponse,
    )
    assert tags.added == ["trainops:ws/cat"]

    image_ids = []
    for n in range(3):
        raw = await c.models.training_images.with_raw_response.add(
            model_id, data=image(n), name=f"{n:016x}-c{n}.png"
        )
        image_ids.append(strict(raw, TrainingImageAddResponse).training_image.id)
    asset = strict(
        await c.assets.with_raw_response.upload(name="up.png", image=image(9).split(",")[1]),
        AssetUploadResponse,
    )
    strict(
        await c.models.training_images.with_raw_response.add(model_id, asset_id=asset.asset.id),
        TrainingImageAddResponse,
    )
    caption = await c.assets.with_raw_response.update(image_ids[0], description="a cat")
    strict(caption, AssetUpdateResponse)
    raw = await c.models.training_images.with_raw_response.replace(
        image_ids[2], model_id=model_id, data=image(5), name="r.png"
    )
    strict(raw, TrainingImageReplaceResponse)
    pairs = await c.models.training_images.with_raw_response.replace_pairs(
        model_id,
        body=[{"sourceId": image_ids[0], "targetId": image_ids[1], "instruction": "x"}],
    )
    assert strict(pairs, TrainingImageReplacePairsResponse).count == 1
    updated = strict(
        await c.models.with_raw_response.update(
            model_id, parameters={"nbEpochs": 2, "samplePrompts": ["a cat"]}
        ),
        ModelUpdateResponse,
    )
    assert updated.model.parameters is not None

    dry = await c.models.train.with_raw_response.trigger(model_id, dry_run="true")
    estimate = strict(dry, TrainTriggerResponse, 269)
    assert estimate.creative_units_cost == 14
    assert estimate.cost_details is not None

    triggered = strict(
        await c.models.train.with_raw_response.trigger(model_id), TrainTriggerResponse
    )
    assert triggered.job.billing is not None
    assert triggered.job.billing.cu_cost == estimate.creative_units_cost
    job_id = triggered.job.job_id
    statuses = []
    while True:
        job = strict(await c.jobs.with_raw_response.retrieve(job_id), JobRetrieveResponse).job
        model = strict(
            await c.models.with_raw_response.retrieve(model_id), ModelRetrieveResponse
        ).model
        statuses.append(job.status)
        if job.status == "success":
            break
        assert model.status == "training"
        assert model.training_progress is not None
        clock.advance(0.5)
    assert statuses[0] == "queued"
    assert model.status == "trained"
    assert model.job_id == job_id
    assert model.training_images_number == 4
    assert model.training_images is not None
    assert model.training_images[0].description == "a cat"
    assert model.epochs is not None
    assert len(model.epochs) == 2

    other = (await c.models.create(name="dog", type="zimage-lora")).model.id
    await c.models.training_images.add(other, data=image(7), name="d.png")
    for n in range(3):
        await c.models.create(name=f"filler{n}", type="flux.1-lora")
    ids, token = [], None
    while True:
        kw: dict[str, Any] = {"page_size": 2, **({"pagination_token": token} if token else {})}
        items, token = strict_page(
            await c.models.with_raw_response.list(**kw), ModelListResponse, "models"
        )
        ids += [m.id for m in items]
        if token is None:
            break
    assert len(ids) == len(set(ids)) == 5
    assert [m.id async for m in c.models.list(page_size=2)] == ids
    bulk = await c.models.with_raw_response.get_bulk(model_ids=[model_id, "model_gone"])
    bulk_models = strict(bulk, ModelGetBulkResponse).models
    assert [(m.id, len(m.training_images or [])) for m in bulk_models] == [(model_id, 3)]
    bulk = await c.models.with_raw_response.get_bulk(model_ids=[model_id], all_training_images=True)
    assert len(strict(bulk, ModelGetBulkResponse).models[0].training_images or []) == 4
    bulk = await c.models.with_raw_response.get_bulk(model_ids=[model_id], minimal=True)
    assert strict(bulk, ModelGetBulkResponse).models[0].name == "cat"

    second = strict(await c.models.train.with_raw_response.trigger(other), TrainTriggerResponse)
    with pytest.raises(scenario_sdk.BadRequestError, match="Model is already training"):
        await c.models.train.trigger(other)
    canceled = strict(
        await c.models.train.with_raw_response.action(other, action="cancel"),
        TrainActionResponse,
    )
    assert canceled.model.status == "training-canceled"
    jobs, _ = strict_page(await c.jobs.with_raw_response.list(), JobListResponse, "jobs")
    assert {j.job_id: j.status for j in jobs} == {
        job_id: "success",
        second.job.job_id: "canceled",
    }

    await refusals(c, model_id, other, asset.asset.id)
    await c.close()


async def refusals(c: AsyncScenario, trained: str, other: str, attached_asset: str) -> None:
    empty = (await c.models.create(name="empty", type="flux.1-lora")).model.id
    with pytest.raises(scenario_sdk.BadRequestError, match="at least one training image"):
        await c.models.train.trigger(empty)
    with pytest.raises(scenario_sdk.BadRequestError, match="rank: must be at most 64"):
        await c.models.train.trigger(trained, parameters={"rank": 99})
    with pytest.raises(scenario_sdk.BadRequestError, match="not available for zimage-lora"):
        await c.models.train.trigger(other, parameters={"nbEpochs": 3})
    with pytest.raises(
        scenario_sdk.BadRequestError, match="only be changed while the status is new"
    ):
        await c.models.update(trained, type="flux.1-krea-lora")
    with pytest.raises(scenario_sdk.BadRequestError, match="Too many assetIds"):
        await c.models.training_images.add(empty, asset_ids=[attached_asset] * 11)
    with pytest.raises(scenario_sdk.BadRequestError, match="already a training image"):
        await c.models.training_images.add(trained, asset_id=attached_asset)
    with pytest.raises(scenario_sdk.RateLimitError) as quota:
        await c.models.training_images.add(empty, data=image(1), name="one-too-many.png")
    assert quota.value.body == {
        "apiError": "quota-exceeded",
        "message": "The team's training dataset limit of 5 images is reached",
        "action": "add-training-image",
        "actionLimit": 5,
    }
    with pytest.raises(scenario_sdk.NotFoundError):
        await c.models.retrieve("model_missing")


def test_sync_client_round_trip_over_real_http(tmp_path: Path, serve: Serve) -> None:
    base_url = serve(create_app(tmp_path / "s.db", speed=50))
    c = Scenario(
        api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, base_url=base_url, max_retries=0
    )
    model_id = strict(
        c.models.with_raw_response.create(name="s", type="flux.1-lora"), ModelCreateResponse
    ).model.id
    for n in range(2):
        strict(
            c.models.training_images.with_raw_response.add(
                model_id, data=image(n), name=f"{n}.png"
            ),
            TrainingImageAddResponse,
        )
    strict(
        c.models.train.with_raw_response.trigger(model_id, dry_run="api"),
        TrainTriggerResponse,
        269,
    )
    job_id = strict(
        c.models.train.with_raw_response.trigger(model_id), TrainTriggerResponse
    ).job.job_id
    deadline = time.monotonic() + 10
    while (
        job := strict(c.jobs.with_raw_response.retrieve(job_id), JobRetrieveResponse).job
    ).status != "success":
        assert time.monotonic() < deadline, job.status
        time.sleep(0.05)
    model = strict(c.models.with_raw_response.retrieve(model_id), ModelRetrieveResponse).model
    assert model.status == "trained"
    assert [m.id for m in c.models.list()] == [model_id]
    jobs = c.jobs.list(type="flux-model-training")
    assert [j.job_id for j in jobs] == [job_id]
    with pytest.raises(scenario_sdk.BadRequestError, match="already success"):
        strict(
            c.jobs.with_raw_response.trigger_action(job_id, action="cancel"),
            JobTriggerActionResponse,
        )
    with pytest.raises(scenario_sdk.AuthenticationError):
        Scenario(api_key="x", api_secret="y", base_url=base_url, max_retries=0).models.list()
    c.close()


def test_enums_match_the_sdk() -> None:
    from scenario_sdk.types.job_retrieve_response import Job
    from scenario_sdk.types.model_retrieve_response import Model

    assert set(get_args(Model.model_fields["type"].annotation)) == MODEL_TYPE_NAMES
    assert set(get_args(Job.model_fields["job_type"].annotation)) >= TRAINING_JOB_TYPES


@synchronous
async def test_replies_validate_strictly_with_every_deviation_on(
    tmp_path: Path, clock: Clock
) -> None:
    every = Deviations.of(Deviations.names())
    app = create_app(tmp_path / "s.db", clock=clock, deviations=every)
    c = sdk_client(app, max_retries=0)
    model_id = (await c.models.create(name="cat", type="flux.1-lora")).model.id
    tags = await c.models.with_raw_response.update_tags(model_id, add=["trainops:WS/Cat"])
    assert strict(tags, ModelUpdateTagsResponse).added == ["trainops:ws/cat"]
    for n in range(5):
        await c.models.training_images.add(model_id, data=image(n), name=f"{n}.png")
    updated = await c.models.with_raw_response.update(
        model_id, parameters={"rank": 16, "nbEpochs": 2}
    )
    assert strict(updated, ModelUpdateResponse).model.parameters is not None
    triggered = strict(
        await c.models.train.with_raw_response.trigger(model_id), TrainTriggerResponse
    )
    assert triggered.job.job_id.startswith("job_")
    assert triggered.model.job_id is None
    read = strict(await c.models.with_raw_response.retrieve(model_id), ModelRetrieveResponse)
    assert (len(read.model.training_images or []), read.model.training_images_number) == (3, 5)
    bulk = await c.models.with_raw_response.get_bulk(model_ids=[model_id], all_training_images=True)
    assert len(strict(bulk, ModelGetBulkResponse).models[0].training_images or []) == 5
    gone = (await c.models.create(name="gone", type="flux.1-lora")).model.id
    await c.models.delete(gone)
    items, token = strict_page(
        await c.models.with_raw_response.list(page_size=5), ModelListResponse, "models"
    )
    assert {m.id: m.deleted_at is not None for m in items} == {model_id: False, gone: True}
    _, again = strict_page(
        await c.models.with_raw_response.list(page_size=5, pagination_token=token or ""),
        ModelListResponse,
        "models",
    )
    assert again == token
    strict_page(await c.jobs.with_raw_response.list(), JobListResponse, "jobs")
    await c.close()
