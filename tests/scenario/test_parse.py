"""`trainops.scenario.parse` on the JSON the sandbox answers: every field trainops reads is checked
against the SDK's own parse of the same reply (`scenario-sdk` types are the ground truth)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from scenario_sdk.types import JobRetrieveResponse, ModelListResponse, ModelRetrieveResponse
from scenario_sdk.types.models import TrainingImageAddResponse

from tests.support.aio import synchronous
from tests.support.sandbox import PNG_BYTES, Clock, data_url, http_client
from trainops.live import DryRun, LiveImage, LiveJob, LiveModel, LivePair
from trainops.sandbox import create_app
from trainops.scenario.parse import (
    number,
    parse_dry_run,
    parse_image,
    parse_job,
    parse_listing,
    parse_model,
    timestamp,
)
from trainops.tags import fingerprint_tag, identity_tag, image_name

START = 1_800_000_000.0
PARAMS = {"maxTrainSteps": 100, "samplePrompts": ["a cat"]}
FP = "f" * 64


def _png(n: int) -> bytes:
    return PNG_BYTES + bytes([n])


def _named(n: int) -> str:
    return image_name(hashlib.sha256(_png(n)).hexdigest(), f"cat-{n}.png")


@pytest.fixture(scope="module")
@synchronous
async def replies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every reply trainops parses, from one model: tagged, four images (one uploaded by hand,
    one captioned), a pair, parameters, priced, then trained and caught half-way."""
    clock = Clock(START)
    app = create_app(tmp_path_factory.mktemp("parse") / "sandbox.db", clock=clock)
    out: dict[str, Any] = {}
    async with http_client(app) as http:
        body = {"type": "flux.1-lora", "name": "Cats", "shortDescription": "cats"}
        model_id = (await http.post("/models", json=body)).json()["model"]["id"]
        tags = [identity_tag("shop", "cats"), fingerprint_tag(FP), "mine"]
        await http.put(f"/models/{model_id}/tags", json={"add": tags, "strict": False})
        names = [_named(0), _named(1), _named(2), "by hand.png"]
        images = []
        for n, name in enumerate(names):
            url = data_url(_png(n))
            added = await http.post(
                f"/models/{model_id}/training-images", json={"data": url, "name": name}
            )
            images.append(added.json())
        out["image"] = images[0]
        first, second = (i["trainingImage"]["id"] for i in images[:2])
        await http.put(f"/assets/{first}", json={"description": "a red cat"})
        pair = {"sourceId": first, "targetId": second, "instruction": "paint it"}
        await http.put(f"/models/{model_id}/training-images/pairs", json=[pair])
        await http.put(f"/models/{model_id}", json={"parameters": PARAMS})
        train = f"/models/{model_id}/train"
        dry = await http.put(train, params={"dryRun": "true"}, json={"parameters": PARAMS})
        assert dry.status_code == 269
        out["dry_run"] = dry.json()
        job_id = (await http.put(train, json={"parameters": PARAMS})).json()["job"]["jobId"]
        clock.advance(5)  # in progress
        out["model"] = (await http.get(f"/models/{model_id}")).json()
        out["listing"] = (await http.get("/models", params={"pageSize": 500})).json()
        out["job"] = (await http.get(f"/jobs/{job_id}")).json()
    return out


def _images_as_the_sdk_reads_them(images: tuple[LiveImage, ...], sdk: list[Any]) -> None:
    assert [(i.id, i.description, i.automatic_captioning, i.download_url) for i in images] == [
        (i.id, i.description, i.automatic_captioning, i.download_url) for i in sdk
    ]
    assert [i.name for i in images] == [i.name.split("-", 1)[-1] for i in sdk]


def _as_the_sdk_reads_it(m: LiveModel, sdk: Any) -> None:
    assert (m.id, m.type, m.status, m.name, m.short_description, m.job_id) == (
        sdk.id,
        sdk.type,
        sdk.status,
        sdk.name,
        sdk.short_description,
        sdk.job_id,
    )
    assert (m.tags, m.images_count, m.updated_at) == (
        tuple(sdk.tags),
        sdk.training_images_number,
        sdk.updated_at,
    )
    assert dict(m.parameters) == sdk.parameters.model_dump(by_alias=True, exclude_none=True)
    progress = sdk.training_progress
    assert (m.progress, m.stage, m.remaining_ms) == (
        progress.progress,
        progress.stage,
        progress.remaining_time_ms,
    )
    assert m.pairs == tuple(
        LivePair(p.source_id, p.target_id, p.instruction) for p in sdk.training_image_pairs
    )
    _images_as_the_sdk_reads_them(m.images or m.preview, sdk.training_images)


def test_a_model_read_in_full(replies: dict[str, Any]) -> None:
    m = parse_model(replies["model"]["model"], complete=True)
    _as_the_sdk_reads_it(m, ModelRetrieveResponse.model_validate(replies["model"]).model)
    assert (m.complete, m.preview, m.job, m.created_at) == (True, (), None, START)
    assert [(i.name, i.sha_prefix, i.description) for i in m.images] == [
        ("cat-0.png", _named(0)[:16], "a red cat"),
        ("cat-1.png", _named(1)[:16], ""),
        ("cat-2.png", _named(2)[:16], ""),
        ("by hand.png", None, ""),
    ]
    assert (m.recorded.workspace, m.recorded.key, m.recorded.fingerprint) == (
        "shop",
        "cats",
        FP[:32],
    )
    assert m.user_tags == ("mine",)
    assert m.status == "training"
    assert m.stage == "running-train"


def test_a_listed_model_keeps_its_image_preview_apart(replies: dict[str, Any]) -> None:
    (listed,) = replies["listing"]["models"]
    (m,) = parse_listing(replies["listing"])
    _as_the_sdk_reads_it(m, ModelListResponse.model_validate(listed))
    assert (m.complete, m.images, m.images_count) == (False, (), 4)
    assert [i.sha_prefix for i in m.preview] == [_named(n)[:16] for n in range(3)]
    assert m == parse_model(listed, complete=False)


def test_a_listing_skips_what_is_not_a_model() -> None:
    page = {"models": [{"id": "model_1"}, "junk", None], "nextPaginationToken": "t"}
    assert [m.id for m in parse_listing(page)] == ["model_1"]
    assert parse_listing({}) == []


def test_a_job(replies: dict[str, Any]) -> None:
    job = parse_job(replies["job"]["job"])
    sdk = JobRetrieveResponse.model_validate(replies["job"]).job
    assert (job.id, job.status, job.progress, job.cost, job.error, job.model_id) == (
        sdk.job_id,
        sdk.status,
        sdk.progress,
        sdk.billing.cu_cost if sdk.billing else None,
        sdk.metadata.error,
        sdk.metadata.output_model_id,
    )
    assert (job.status, job.running, job.created_at) == ("in-progress", True, START)
    assert job.updated_at is not None
    assert START < job.updated_at <= START + 5  # its last change of status, before now
    assert job.model_id == replies["model"]["model"]["id"]


def test_a_failed_job_carries_its_error_from_the_metadata(replies: dict[str, Any]) -> None:
    raw = dict(replies["job"]["job"])
    raw.update(status="failure", metadata={**raw["metadata"], "error": "dataset rejected"})
    sdk = JobRetrieveResponse.model_validate({"job": raw}).job
    job = parse_job(raw)
    assert (job.status, job.error, job.running) == (sdk.status, sdk.metadata.error, False)
    assert job.error == "dataset rejected"


def test_an_uploaded_image(replies: dict[str, Any]) -> None:
    image = parse_image(replies["image"]["trainingImage"])
    sdk = TrainingImageAddResponse.model_validate(replies["image"]).training_image
    _images_as_the_sdk_reads_them((image,), [sdk])
    assert (image.name, image.sha_prefix) == ("cat-0.png", _named(0)[:16])


def test_a_dry_run_prices_what_the_job_is_billed(replies: dict[str, Any]) -> None:
    priced = parse_dry_run(replies["dry_run"])
    billed = parse_job(replies["job"]["job"]).cost
    assert priced == DryRun(cost=billed, discount=0.0, details={"train-model": billed})


def test_a_reply_with_only_an_id_parses_to_empty_values() -> None:
    m = parse_model({"id": "model_1"}, complete=True)
    assert (m.type, m.status, m.name, m.tags, m.images, m.images_count) == ("", "", None, (), (), 0)
    assert (m.progress, m.stage, m.remaining_ms, m.job_id, m.created_at) == (None,) * 5
    # No parameters at all is not "parameters all empty": the echo may leave every default out.
    assert (m.parameters, m.params) == (None, {})
    assert (m.training_images_number, m.deleted_at) == (None, None)
    assert parse_job({"jobId": "job_1"}) == LiveJob(
        id="job_1",
        status="",
        progress=None,
        created_at=None,
        updated_at=None,
        cost=None,
        error=None,
    )
    assert parse_dry_run({}) == DryRun(cost=None, discount=None, details={})


def test_an_id_is_required() -> None:
    with pytest.raises(KeyError):
        parse_model({"name": "no id"}, complete=True)
    with pytest.raises(KeyError):
        parse_job({"id": "job ids are jobId"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (0.25, 0.25), (True, None), ("3", None), (None, None)],
)
def test_a_number_is_an_int_or_a_float_never_a_boolean(value: object, expected: object) -> None:
    assert number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-15T08:00:00.000Z", 1_800_000_000.0),
        ("2027-01-15T08:00:00+00:00", 1_800_000_000.0),
        ("yesterday", None),
        ("", None),
        (1_800_000_000, None),  # epoch milliseconds or seconds are not the API's ISO strings
    ],
)
def test_a_timestamp_is_an_iso_string(value: object, expected: float | None) -> None:
    assert timestamp(value) == expected


def test_epochs_samples_and_training_stats_as_the_sdk_reads_them() -> None:
    from scenario_sdk.types.model_retrieve_response import ModelEpoch, ModelTrainingStats

    epochs = [
        {"epoch": "e1", "assets": [{"assetId": "asset_a", "url": "https://cdn/a.png?sig=1"}]},
        {"epoch": "e2"},
    ]
    stats = {
        "startedAt": "2026-01-01T00:00:00.000Z",
        "endedAt": "2026-01-01T00:10:00.000Z",
        "queueDuration": 5,
        "trainDuration": 595,
    }
    m = parse_model(
        {"id": "model_x", "epochs": epochs, "epoch": "e2", "trainingStats": stats}, complete=True
    )
    sdk = [ModelEpoch.model_validate(e) for e in epochs]
    assert [(e.epoch, [(s.asset_id, s.url) for s in e.samples]) for e in m.epochs] == [
        (e.epoch, [(a.asset_id, a.url) for a in e.assets or ()]) for e in sdk
    ]
    assert m.epoch == "e2"
    read = ModelTrainingStats.model_validate(stats)
    assert m.stats is not None
    assert (m.stats.queue_seconds, m.stats.train_seconds) == (
        read.queue_duration,
        read.train_duration,
    )
    assert m.stats.ended_at is not None
    assert m.stats.started_at is not None
    assert m.stats.ended_at - m.stats.started_at == 600
