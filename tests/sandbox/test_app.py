"""The sandbox over HTTP (in-process): models, images, training lifecycle, refusals."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import Clock, http_client, image, upload_file
from trainops.sandbox import Limits, create_app


@synchronous
async def call(app: Starlette, method: str, path: str, **kw: Any) -> httpx.Response:
    async with http_client(app) as c:
        return await c.request(method, path, **kw)


@synchronous
async def add_sample(app: Starlette, model_id: str) -> httpx.Response:
    """An audio sample on the model: uploaded by the multipart flow (never a data URL)."""
    async with http_client(app) as c:
        asset_id = await upload_file(c, "a.mp3", b"ID3-fake-mp3", "audio/mpeg")
        body = {"assetIds": [asset_id]}
        return await c.post(f"/models/{model_id}/training-images", json=body)


def new_model(app: Starlette, model_type: str = "flux.1-lora", images: int = 0) -> str:
    r = call(app, "POST", "/models", json={"name": "m", "type": model_type})
    assert r.status_code == 200, r.text
    model_id: str = r.json()["model"]["id"]
    for n in range(images):
        add = call(
            app,
            "POST",
            f"/models/{model_id}/training-images",
            json={"data": image(n), "name": f"i{n}.png"},
        )
        assert add.status_code == 200, add.text
    return model_id


def test_db_and_parent_dirs_are_created(tmp_path: Path) -> None:
    create_app(tmp_path / "a" / "b" / "sandbox.db")
    assert (tmp_path / "a" / "b" / "sandbox.db").is_file()


@synchronous
async def test_wrong_or_missing_credentials_get_401(sandbox: Starlette) -> None:
    async with (
        http_client(sandbox, auth=("sandbox-key", "nope")) as wrong,
        http_client(sandbox, auth=None) as none,
    ):
        answers = [await wrong.get("/models"), await none.get("/models")]
    for r in answers:
        assert r.status_code == 401
        assert r.json() == {
            "apiError": "unauthorized",
            "message": "Invalid or missing API key and secret (HTTP Basic auth)",
        }


def test_unknown_route_and_model_answer_json_404(sandbox: Starlette) -> None:
    assert call(sandbox, "GET", "/nope").json() == {"apiError": "not-found", "message": "Not Found"}
    r = call(sandbox, "GET", "/models/model_x")
    assert (r.status_code, r.json()) == (
        404,
        {"apiError": "not-found", "message": "Model model_x not found"},
    )


def test_training_lifecycle_follows_the_clock(sandbox: Starlette, clock: Clock) -> None:
    model_id = new_model(sandbox, images=8)
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    assert r.status_code == 200
    job_id = r.json()["job"]["jobId"]
    seen = []
    for _ in range(16):
        job = call(sandbox, "GET", f"/jobs/{job_id}").json()["job"]
        model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
        stage = model.get("trainingProgress", {}).get("stage")
        seen.append((job["status"], model["status"], stage))
        clock.advance(1)
    assert list(dict.fromkeys(seen)) == [
        ("queued", "training", "queued-for-train"),
        ("warming-up", "training", "starting-train"),
        ("in-progress", "training", "running-train"),
        ("finalizing", "training", "running-train"),
        ("success", "trained", None),
    ]
    assert [h["status"] for h in job["statusHistory"]] == [
        "queued", "warming-up", "in-progress", "finalizing", "success",
    ]  # fmt: skip
    assert job["progress"] == 1
    assert model["jobId"] == job_id
    assert model["epochs"]
    assert model["trainingStats"]["endedAt"]


def test_default_training_of_8_images_finishes_within_20_seconds(
    sandbox: Starlette, clock: Clock
) -> None:
    model_id = new_model(sandbox, images=8)
    job_id = call(sandbox, "PUT", f"/models/{model_id}/train", json={}).json()["job"]["jobId"]
    clock.advance(20)
    assert call(sandbox, "GET", f"/jobs/{job_id}").json()["job"]["status"] == "success"


def test_dry_run_answers_269_with_cost_and_changes_nothing(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=4)
    before = call(sandbox, "GET", f"/models/{model_id}").json()
    r = call(
        sandbox,
        "PUT",
        f"/models/{model_id}/train",
        params={"dryRun": "true"},
        json={"parameters": {"maxTrainSteps": 1000}},
    )
    assert r.status_code == 269
    assert {
        k: r.json()[k] for k in ("creativeUnitsCost", "creativeUnitsDiscount", "costDetails")
    } == {
        "creativeUnitsCost": 60,
        "creativeUnitsDiscount": 0,
        "costDetails": {"train-model": 60},
    }
    assert call(sandbox, "GET", f"/models/{model_id}").json() == before
    assert call(sandbox, "GET", "/jobs").json() == {"jobs": []}
    real = call(
        sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": {"maxTrainSteps": 1000}}
    )
    assert real.json()["job"]["billing"] == {"cuCost": 60, "cuDiscount": 0}


def test_dry_run_uses_training_images_count_only_without_images(sandbox: Starlette) -> None:
    empty, full = new_model(sandbox), new_model(sandbox, images=2)
    q = {"dryRun": "api", "trainingImagesCount": "10"}
    assert (
        call(sandbox, "PUT", f"/models/{empty}/train", params=q).json()["creativeUnitsCost"] == 60
    )
    assert call(sandbox, "PUT", f"/models/{full}/train", params=q).json()["creativeUnitsCost"] == 20


@pytest.mark.parametrize(
    ("model_type", "body", "message"),
    [
        (
            "flux.1-lora",
            {"parameters": {"seed": 3}},
            "Invalid training parameters for flux.1-lora: seed: not available for flux.1-lora "
            "(only available for SD15 and SDXL LoRA training)",
        ),
        (
            "flux.1-lora",
            {"parameters": {"rank": 100}},
            "Invalid training parameters for flux.1-lora: "
            "rank: must be at most 64 for Flux LoRA, got 100",
        ),
        ("flux.1", {}, "Models of type flux.1 cannot be trained"),
    ],
)
def test_invalid_training_is_refused_with_400(
    sandbox: Starlette, model_type: str, body: dict[str, Any], message: str
) -> None:
    model_id = new_model(sandbox, model_type, images=1)
    for params in ({}, {"dryRun": "true"}):
        r = call(sandbox, "PUT", f"/models/{model_id}/train", params=params, json=body)
        assert (r.status_code, r.json()["message"]) == (400, message)


def test_training_without_images_is_refused(sandbox: Starlette) -> None:
    r = call(sandbox, "PUT", f"/models/{new_model(sandbox)}/train", json={})
    assert r.status_code == 400
    assert r.json() == {
        "apiError": "bad-request",
        "message": "The model needs at least one training image to be trained (it has 0)",
    }


def test_training_twice_is_refused_and_never_queued(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=1)
    assert call(sandbox, "PUT", f"/models/{model_id}/train", json={}).status_code == 200
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    assert (r.status_code, r.json()["message"]) == (400, "Model is already training")
    assert len(call(sandbox, "GET", "/jobs").json()["jobs"]) == 1


def test_cancel_then_retrain(sandbox: Starlette, clock: Clock) -> None:
    model_id = new_model(sandbox, images=1)
    call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    clock.advance(4)
    r = call(sandbox, "POST", f"/models/{model_id}/train/action", json={"action": "cancel"})
    assert r.json()["model"]["status"] == "training-canceled"
    job = call(sandbox, "GET", f"/jobs/{r.json()['model']['jobId']}").json()["job"]
    assert [h["status"] for h in job["statusHistory"]][-1] == "canceled"
    again = call(sandbox, "POST", f"/models/{model_id}/train/action", json={"action": "cancel"})
    assert (again.status_code, again.json()["message"]) == (400, "Model is not training")
    assert call(sandbox, "PUT", f"/models/{model_id}/train", json={}).status_code == 200


def test_type_change_only_while_new(sandbox: Starlette, clock: Clock) -> None:
    model_id = new_model(sandbox, images=1)
    r = call(sandbox, "PUT", f"/models/{model_id}", json={"type": "flux.1-krea-lora"})
    assert r.json()["model"]["type"] == "flux.1-krea-lora"
    call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    r = call(sandbox, "PUT", f"/models/{model_id}", json={"type": "flux.1-lora"})
    assert (r.status_code, r.json()["message"]) == (
        400,
        "The model type can only be changed while the status is new, not training",
    )


def test_tags_add_delete_strict(sandbox: Starlette) -> None:
    model_id = new_model(sandbox)
    r = call(sandbox, "PUT", f"/models/{model_id}/tags", json={"add": ["a", "b"]})
    assert r.json() == {"added": ["a", "b"], "deleted": []}
    r = call(
        sandbox, "PUT", f"/models/{model_id}/tags", json={"add": ["a", "c"], "delete": ["b", "zz"]}
    )
    assert r.json() == {"added": ["c"], "deleted": ["b"]}
    assert call(sandbox, "GET", f"/models/{model_id}").json()["model"]["tags"] == ["a", "c"]
    r = call(sandbox, "PUT", f"/models/{model_id}/tags", json={"add": ["a"], "strict": True})
    assert (r.status_code, r.json()["message"]) == (400, "Tags already exist on the model: a")


def test_update_changes_updated_at_and_stores_parameters(sandbox: Starlette, clock: Clock) -> None:
    model_id = new_model(sandbox)
    before = call(sandbox, "GET", f"/models/{model_id}").json()["model"]["updatedAt"]
    clock.advance(5)
    r = call(sandbox, "PUT", f"/models/{model_id}", json={"name": "n2", "parameters": {"rank": 8}})
    model = r.json()["model"]
    assert (model["name"], model["parameters"]) == ("n2", {"rank": 8})
    assert model["updatedAt"] > before
    clock.advance(5)
    call(
        sandbox,
        "POST",
        f"/models/{model_id}/training-images",
        json={"data": image(1), "name": "x.png"},
    )
    assert (
        call(sandbox, "GET", f"/models/{model_id}").json()["model"]["updatedAt"]
        > model["updatedAt"]
    )


def test_images_by_asset_ids_and_their_refusals(sandbox: Starlette) -> None:
    model_id = new_model(sandbox)
    ids = [
        call(sandbox, "POST", "/assets", json={"name": f"a{n}.png", "image": image(n)}).json()[
            "asset"
        ]["id"]
        for n in range(11)
    ]
    r = call(sandbox, "POST", f"/models/{model_id}/training-images", json={"assetIds": ids})
    assert (r.status_code, r.json()["message"]) == (
        400,
        "Too many assetIds provided in a single request",
    )
    assert (
        call(
            sandbox, "POST", f"/models/{model_id}/training-images", json={"assetIds": ids[:10]}
        ).status_code
        == 200
    )
    r = call(sandbox, "POST", f"/models/{model_id}/training-images", json={"assetId": ids[3]})
    assert (r.status_code, r.json()["message"]) == (
        400,
        "The provided assetId is already a training image of this model",
    )
    model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
    assert model["trainingImagesNumber"] == 10
    assert [i["id"] for i in model["trainingImages"]] == ids[:10]
    listed = call(sandbox, "GET", "/models").json()["models"][0]
    assert len(listed["trainingImages"]) == 3
    assert listed["trainingImagesNumber"] == 10


def test_image_name_kept_caption_set_through_asset_and_file_served(sandbox: Starlette) -> None:
    model_id = new_model(sandbox)
    name = "0123456789abcdef-cat.png"
    img = call(
        sandbox,
        "POST",
        f"/models/{model_id}/training-images",
        json={"data": image(7), "name": name},
    ).json()["trainingImage"]
    assert img["name"] == name
    assert img["description"] == ""
    assert img["automaticCaptioning"] == "a sandbox caption of 0123456789abcdef cat (c1c29bec)"
    r = call(sandbox, "PUT", f"/assets/{img['id']}", json={"description": "a cat, sitting"})
    assert r.json()["asset"]["id"] == img["id"]
    model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
    assert model["trainingImages"][0]["description"] == "a cat, sitting"

    file = call(sandbox, "GET", img["downloadUrl"], auth=None)
    assert file.content == base64.b64decode(image(7).split(",", 1)[1])


def test_replace_and_delete_training_images(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=2)
    first, second = (
        i["id"]
        for i in call(sandbox, "GET", f"/models/{model_id}").json()["model"]["trainingImages"]
    )
    r = call(
        sandbox,
        "PUT",
        f"/models/{model_id}/training-images/{first}",
        json={"data": image(9), "name": "new.png"},
    )
    new = r.json()["trainingImage"]
    assert new["name"] == "new.png"
    assert new["id"] != first
    assert call(sandbox, "DELETE", f"/models/{model_id}/training-images/{second}").json() == {}
    model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
    assert [i["id"] for i in model["trainingImages"]] == [new["id"]]
    assert (
        call(sandbox, "DELETE", f"/models/{model_id}/training-images/{second}").status_code == 404
    )


def test_pairs_are_replaced_and_required_for_edit_types(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, "qwen-image-edit-lora", images=4)
    ids = [
        i["id"]
        for i in call(sandbox, "GET", f"/models/{model_id}").json()["model"]["trainingImages"]
    ]
    one = [{"sourceId": ids[0], "targetId": ids[1], "instruction": "make it red"}]
    assert call(sandbox, "PUT", f"/models/{model_id}/training-images/pairs", json=one).json() == {
        "count": 1,
        "pairs": one,
    }
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    assert r.status_code == 400
    two = [*one, {"sourceId": ids[2], "targetId": ids[3], "instruction": "blue"}]
    call(sandbox, "PUT", f"/models/{model_id}/training-images/pairs", json=two)
    assert call(sandbox, "GET", f"/models/{model_id}").json()["model"]["trainingImagePairs"] == two
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={})
    assert r.json()["job"]["jobType"] == "musubi-model-training"
    bad = call(
        sandbox,
        "PUT",
        f"/models/{model_id}/training-images/pairs",
        json=[{"sourceId": "asset_nope"}],
    )
    assert bad.status_code == 400


def test_delete_hides_model_and_status_deleted_lists_it(sandbox: Starlette) -> None:
    model_id = new_model(sandbox)
    assert call(sandbox, "DELETE", f"/models/{model_id}").json() == {}
    assert call(sandbox, "GET", f"/models/{model_id}").status_code == 404
    assert call(sandbox, "GET", "/models").json() == {"models": []}
    deleted = call(sandbox, "GET", "/models", params={"status": "deleted"}).json()["models"]
    assert [m["id"] for m in deleted] == [model_id]
    assert deleted[0]["deletedAt"]
    everything = call(sandbox, "GET", "/models", params={"status": "bogus"}).json()["models"]
    assert [m["id"] for m in everything] == [model_id]


def test_pagination_walks_every_model_once(sandbox: Starlette, clock: Clock) -> None:
    made = []
    for _ in range(7):
        made.append(new_model(sandbox))
        clock.advance(1)
    seen, token = [], None
    while True:
        params: dict[str, Any] = {"pageSize": 3, **({"paginationToken": token} if token else {})}
        page = call(sandbox, "GET", "/models", params=params).json()
        seen += [m["id"] for m in page["models"]]
        token = page.get("nextPaginationToken")
        if not token:
            break
    assert seen == made[::-1]
    asc = call(sandbox, "GET", "/models", params={"sortDirection": "asc", "pageSize": 500}).json()
    assert [m["id"] for m in asc["models"]] == made
    assert call(sandbox, "GET", "/models", params={"pageSize": 501}).status_code == 400


def test_tag_and_type_filters_apply_only_to_public_models(sandbox: Starlette) -> None:
    model_id = new_model(sandbox)
    call(sandbox, "PUT", f"/models/{model_id}/tags", json={"add": ["x"]})
    private = call(
        sandbox, "GET", "/models", params={"tags": "other", "type": "sd-xl-lora"}
    ).json()["models"]
    assert [m["id"] for m in private] == [model_id]
    assert call(sandbox, "GET", "/models", params={"privacy": "public", "tags": "x"}).json() == {
        "models": []
    }


def test_jobs_filter_by_status_and_type(sandbox: Starlette, clock: Clock) -> None:
    a, b = new_model(sandbox, images=1), new_model(sandbox, "zimage-lora", images=1)
    call(sandbox, "PUT", f"/models/{a}/train", json={})
    clock.advance(100)
    call(sandbox, "PUT", f"/models/{b}/train", json={})
    by_status = call(sandbox, "GET", "/jobs", params={"status": "success"}).json()["jobs"]
    assert [j["jobType"] for j in by_status] == ["flux-model-training"]
    by_type = call(sandbox, "GET", "/jobs", params={"type": "musubi-model-training"}).json()["jobs"]
    assert [j["status"] for j in by_type] == ["queued"]
    cancel = call(sandbox, "POST", f"/jobs/{by_type[0]['jobId']}/action", json={"action": "cancel"})
    assert cancel.json()["job"]["status"] == "canceled"
    assert call(sandbox, "GET", f"/models/{b}").json()["model"]["status"] == "training-canceled"


def test_team_limits(tmp_path: Path, clock: Clock) -> None:
    limits = Limits(max_dataset_images=2, max_parallel_trainings=1, launch_cooldown_s=30)
    app = create_app(tmp_path / "s.db", clock=clock, limits=limits)
    a = new_model(app, images=2)
    r = call(app, "POST", f"/models/{a}/training-images", json={"data": image(5), "name": "x.png"})
    assert (r.status_code, r.json()) == (
        429,
        {
            "apiError": "quota-exceeded",
            "message": "The team's training dataset limit of 2 images is reached",
            "action": "add-training-image",
            "actionLimit": 2,
        },
    )
    assert "retry-after" not in r.headers
    first = call(app, "GET", f"/models/{a}").json()["model"]["trainingImages"][0]["id"]
    call(app, "DELETE", f"/models/{a}/training-images/{first}")
    b = new_model(app, images=1)
    assert call(app, "PUT", f"/models/{a}/train", json={}).status_code == 200
    r = call(app, "PUT", f"/models/{b}/train", json={})
    assert (r.status_code, r.json()["action"], r.json()["actionLimit"]) == (
        429,
        "parallel-training",
        1,
    )
    clock.advance(20)  # a's training (1 image: 3 s train) is over; the cooldown is not
    r = call(app, "PUT", f"/models/{b}/train", json={})
    assert (r.status_code, r.json()["remainingSeconds"]) == (429, 10)
    clock.advance(10)
    assert call(app, "PUT", f"/models/{b}/train", json={}).status_code == 200


def test_voice_model_trains_on_audio_samples(sandbox: Starlette, clock: Clock) -> None:
    model_id = new_model(sandbox, "elevenlabs-voice")
    r = add_sample(sandbox, model_id)
    asset = call(sandbox, "GET", f"/assets/{r.json()['trainingImage']['id']}").json()["asset"]
    assert (asset["kind"], asset["mimeType"]) == ("audio", "audio/mpeg")
    params = {"cloneType": "instant", "language": "en"}
    job = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": params}).json()[
        "job"
    ]
    assert (job["jobType"], job["billing"]["cuCost"]) == ("model-training", 50)
    assert job["metadata"] == {"input": params, "outputModelId": model_id}
    clock.advance(60)
    model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
    assert (model["status"], model["capabilities"]) == ("trained", ["txt2audio"])
    assert "epochs" not in model


def test_a_professional_voice_clone_waits_for_a_person_at_the_captcha(
    sandbox: Starlette, clock: Clock
) -> None:
    from scenario_sdk.types.model_retrieve_response import Model

    model_id = new_model(sandbox, "elevenlabs-voice")
    add_sample(sandbox, model_id)
    params = {"cloneType": "professional", "language": "en"}
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": params})
    job = r.json()["job"]
    assert (job["status"], job["billing"]["cuCost"]) == ("pending", 500)
    clock.advance(24 * 3600)
    model = call(sandbox, "GET", f"/models/{model_id}").json()["model"]
    Model.model_validate(model)
    assert model["status"] == "training"
    assert model["trainingProgress"] == {
        "stage": "pending-captcha",
        "updatedAt": int(clock.now - 24 * 3600) * 1000,
        "captchaImageUrl": "http://sandbox/v1/files/captcha.png",
    }
    assert call(sandbox, "GET", "/files/captcha.png", auth=None).status_code == 200
    again = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": params})
    assert again.json()["message"] == "Model is already training"
    canceled = call(sandbox, "POST", f"/models/{model_id}/train/action", json={"action": "cancel"})
    assert canceled.json()["model"]["status"] == "training-canceled"
    assert call(sandbox, "GET", f"/jobs/{job['jobId']}").json()["job"]["status"] == "canceled"


def test_wandb_key_is_stored_but_never_echoed_in_jobs(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=1)
    params = {"wandbKey": "secret-value"}
    job = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": params}).json()[
        "job"
    ]
    assert job["metadata"]["input"] == {}
    assert call(sandbox, "GET", f"/models/{model_id}").json()["model"]["parameters"] == params


def test_legacy_sdxl_models_train(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, "sd-xl-lora", images=2)
    params = {"numUNetTrainSteps": 500, "lrScheduler": "cosine"}
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": params})
    assert (r.status_code, r.json()["job"]["jobType"]) == (200, "model-training")


def test_public_surface_is_pinned() -> None:
    import inspect

    import trainops.sandbox as sandbox

    assert sorted(sandbox.__all__) == [
        "Deviations",
        "Fault",
        "Limits",
        "SANDBOX_API_KEY",
        "SANDBOX_API_SECRET",
        "create_app",
        "estimate_cost",
    ]
    assert (sandbox.SANDBOX_API_KEY, sandbox.SANDBOX_API_SECRET) == (
        "sandbox-key",
        "sandbox-secret",
    )
    assert str(inspect.signature(sandbox.create_app)) == (
        "(db_path: 'str | Path', *, api_key: 'str' = 'sandbox-key', "
        "api_secret: 'str' = 'sandbox-secret', speed: 'float' = 1.0, "
        "limits: 'Limits | None' = None, faults: 'Sequence[Fault]' = (), "
        "clock: 'Callable[[], float] | None' = None, "
        "deviations: 'Deviations | None' = None) -> 'Starlette'"
    )
