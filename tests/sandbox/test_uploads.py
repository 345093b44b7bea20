"""Issue 12, item 1: the sandbox implements the documented upload rules. Data URLs only for
images under 6 MB; the multipart flow (POST /uploads, part PUTs, complete, GET until it names the
asset) for the rest, driven here by scenario-sdk's own client, every reply validating strictly
against the SDK's types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from scenario_sdk import Scenario as SyncSdk
from scenario_sdk.types import (
    ModelRetrieveResponse,
    UploadCreateResponse,
    UploadRetrieveResponse,
    UploadTriggerActionResponse,
)
from scenario_sdk.types.models import TrainingImageAddResponse
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import (
    PNG_BYTES,
    Clock,
    Serve,
    data_url,
    http_client,
    sdk_client,
)
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from trainops.sandbox.images import MAX_DATA_URL_BASE64
from trainops.sandbox.uploads import MAX_PENDING, PART_URL_TTL_S

WAV = (Path(__file__).parents[1] / "fixtures" / "images" / "voice.wav").read_bytes()


def strict(raw: Any, model: type[BaseModel]) -> Any:
    """The raw JSON body validated against the SDK type (not the SDK's lenient parse)."""
    assert raw.status_code == 200, raw.http_response.text
    return model.model_validate(raw.http_response.json())


def parts_of(data: bytes, n: int) -> list[bytes]:
    size = -(-len(data) // n)
    return [data[i * size : (i + 1) * size] for i in range(n)]


@synchronous
async def test_scenario_sdk_drives_the_upload_flow_and_adds_by_asset_ids(
    sandbox: Starlette,
) -> None:
    sdk = sdk_client(sandbox, max_retries=0)
    model_id = (await sdk.models.create(name="narrator", type="elevenlabs-voice")).model.id
    asset_ids = []
    for n in range(3):
        sample = WAV + bytes([n])
        created = strict(
            await sdk.uploads.with_raw_response.create(
                file_name=f"take-{n}.wav",
                file_size=len(sample),
                content_type="audio/wav",
                kind="audio",
                parts=2,
            ),
            UploadCreateResponse,
        ).upload
        assert (created.status, created.source, created.kind) == ("pending", "multipart", "audio")
        assert created.parts is not None
        assert [p.number for p in created.parts] == [1, 2]
        # Part URLs are presigned: PUT without the API's credentials.
        async with http_client(sandbox, auth=None) as raw:
            for part, chunk in zip(created.parts, parts_of(sample, 2), strict=True):
                put = await raw.put(part.url, content=chunk)
                assert put.status_code == 200, put.text
                assert put.headers["etag"]
        done = strict(
            await sdk.uploads.with_raw_response.trigger_action(created.id, action="complete"),
            UploadTriggerActionResponse,
        ).upload
        assert (done.status, done.entity_id) == ("validating", None)
        read = strict(
            await sdk.uploads.with_raw_response.retrieve(created.id), UploadRetrieveResponse
        ).upload
        assert read.status == "imported"
        assert read.entity_id is not None
        asset_ids.append(read.entity_id)

    added = strict(
        await sdk.models.training_images.with_raw_response.add(model_id, asset_ids=asset_ids),
        TrainingImageAddResponse,
    )
    assert added.training_image.id == asset_ids[0]
    assert added.training_image.name == "take-0.wav"
    model = strict(
        await sdk.models.with_raw_response.retrieve(model_id), ModelRetrieveResponse
    ).model
    assert model.training_images_number == 3
    assert [(i.id, i.name) for i in model.training_images or []] == [
        (a, f"take-{n}.wav") for n, a in enumerate(asset_ids)
    ]
    asset = (await sdk.assets.retrieve(asset_ids[1])).asset
    assert (asset.kind, asset.mime_type) == ("audio", "audio/wav")
    async with http_client(sandbox, auth=None) as raw:
        assert (await raw.get(model.training_images[1].download_url)).content == WAV + b"\1"  # type: ignore[index]
    await sdk.close()


def test_the_sync_sdk_uploads_over_real_http(tmp_path: Path, serve: Serve) -> None:
    base = serve(create_app(tmp_path / "s.db"))
    big = PNG_BYTES + bytes(range(256)) * 30_000  # over 6 MB as base64: multipart only
    with SyncSdk(
        api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET, base_url=base, max_retries=0
    ) as sdk:
        model_id = sdk.models.create(name="big", type="flux.1-lora").model.id
        up = sdk.uploads.create(
            file_name="big.png",
            file_size=len(big),
            content_type="image/png",
            kind="image",
            parts=3,
        ).upload
        assert up.parts is not None
        for part, chunk in zip(up.parts, parts_of(big, 3), strict=True):
            assert part.url.startswith(base + "/")
            assert httpx.put(part.url, content=chunk).status_code == 200
        sdk.uploads.trigger_action(up.id, action="complete")
        asset_id = sdk.uploads.retrieve(up.id).upload.entity_id
        assert asset_id is not None
        image = sdk.models.training_images.add(model_id, asset_ids=[asset_id]).training_image
        assert httpx.get(image.download_url).content == big


# --- refusals -------------------------------------------------------------------------------


async def _create(c: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    body = {
        "fileName": "a.png",
        "fileSize": 10,
        "contentType": "image/png",
        "kind": "image",
        "parts": 2,
        **changes,
    }
    return await c.post("/uploads", json=body)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fileName": ""}, "fileName is required for a multipart upload"),
        ({"kind": "sound"}, "kind must be one of 3d, asset, audio, avatar, image, model"),
        ({"kind": "model"}, "The sandbox does not implement uploads of kind model"),
        ({"contentType": "audio/wav"}, "contentType must be a image/* type for kind image"),
        ({"kind": "audio"}, "contentType must be a audio/* type for kind audio"),
        ({"fileSize": 0}, "fileSize must be a number of bytes from 1 to 100000000"),
        ({"fileSize": 2.5}, "fileSize must be a number of bytes from 1 to 100000000"),
        ({"fileSize": True}, "fileSize must be a number of bytes from 1 to 100000000"),
        ({"parts": 0}, "parts must be a whole number from 1 to 100, at most fileSize"),
        ({"parts": 11}, "parts must be a whole number from 1 to 100, at most fileSize"),
        ({"url": "https://x.test/a.png"}, "The sandbox implements multipart uploads only"),
    ],
)
@synchronous
async def test_an_upload_that_is_not_a_valid_multipart_upload_is_refused(
    sandbox: Starlette, changes: dict[str, Any], message: str
) -> None:
    async with http_client(sandbox) as c:
        r = await _create(c, **changes)
    assert r.status_code == 400
    assert r.json()["apiError"] == "bad-request"
    assert r.json()["message"].startswith(message)


@pytest.mark.parametrize("size", ["Infinity", "NaN", "1e400"])
@synchronous
async def test_a_size_python_reads_but_json_has_not_is_refused(
    sandbox: Starlette, size: str
) -> None:
    body = '{"fileName": "a.png", "fileSize": %s, "contentType": "image/png", "kind": "image", '
    async with http_client(sandbox) as c:
        r = await c.post("/uploads", content=(body % size + '"parts": 1}').encode())
    assert (r.status_code, r.json()["apiError"]) == (400, "bad-request")


@synchronous
async def test_part_urls_need_their_token_and_expire(sandbox: Starlette, clock: Clock) -> None:
    async with http_client(sandbox) as c, http_client(sandbox, auth=None) as raw:
        up = (await _create(c)).json()["upload"]
        url = up["parts"][0]["url"]
        forged = url.split("?")[0] + "?token=guess"
        assert (await raw.put(forged, content=b"x")).status_code == 403
        assert (await raw.put(url.split("?")[0], content=b"x")).status_code == 403
        assert (await raw.put(url, content=b"x" * 11)).status_code == 413
        clock.advance(PART_URL_TTL_S + 1)
        r = await raw.put(url, content=b"x")
        assert (r.status_code, r.json()["message"]) == (403, "The part URL has expired")


@synchronous
async def test_complete_needs_every_part_and_a_matching_size(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c, http_client(sandbox, auth=None) as raw:
        up = (await _create(c)).json()["upload"]
        action = f"/uploads/{up['id']}/action"
        assert (await c.post(action, json={"action": "cancel"})).status_code == 400
        await raw.put(up["parts"][0]["url"], content=PNG_BYTES[:5])
        r = await c.post(action, json={"action": "complete"})
        assert (r.status_code, r.json()["message"]) == (400, "Part 2 of 2 was not uploaded")
        await raw.put(up["parts"][1]["url"], content=b"abc")
        r = await c.post(action, json={"action": "complete"})
        assert r.json()["upload"]["status"] == "failed"
        read = (await c.get(f"/uploads/{up['id']}")).json()["upload"]
        UploadRetrieveResponse.model_validate({"upload": read})
        assert (read["status"], read["errorMessage"]) == (
            "failed",
            "The parts hold 8 bytes, not the declared fileSize 10",
        )
        assert "entityId" not in read
        assert (await c.get("/uploads/upload_nope")).status_code == 404


@synchronous
async def test_complete_twice_answers_the_upload_as_it_is(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c, http_client(sandbox, auth=None) as raw:
        up = (await _create(c, fileSize=len(PNG_BYTES), parts=1)).json()["upload"]
        await raw.put(up["parts"][0]["url"], content=PNG_BYTES)
        action = f"/uploads/{up['id']}/action"
        await c.post(action, json={"action": "complete"})
        asset = (await c.get(f"/uploads/{up['id']}")).json()["upload"]["entityId"]
        again = await c.post(action, json={"action": "complete"})
        assert (again.status_code, again.json()["upload"]["entityId"]) == (200, asset)
        assert (await raw.put(up["parts"][0]["url"], content=PNG_BYTES)).status_code == 403


@synchronous
async def test_a_data_url_over_6_mb_is_refused_with_413(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        model_id = (await c.post("/models", json={})).json()["model"]["id"]
        images = f"/models/{model_id}/training-images"
        fits = PNG_BYTES + b"\0" * (MAX_DATA_URL_BASE64 * 3 // 4 - len(PNG_BYTES))
        assert len(data_url(fits).split(",")[1]) == MAX_DATA_URL_BASE64
        r = await c.post(images, json={"data": data_url(fits), "name": "a.png"})
        assert r.status_code == 200, r.text[:300]
        r = await c.post(images, json={"data": data_url(fits + b"\0\0\0"), "name": "b.png"})
        assert (r.status_code, r.json()) == (
            413,
            {
                "apiError": "payload-too-large",
                "message": "A data URL is for images under 6 MB: upload larger files with "
                "POST /uploads, then add them by assetIds",
                "max": MAX_DATA_URL_BASE64,
            },
        )
        assert (await c.get(f"/models/{model_id}")).json()["model"]["trainingImagesNumber"] == 1


@synchronous
async def test_an_audio_data_url_is_refused_whatever_its_size(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        model_id = (await c.post("/models", json={"type": "elevenlabs-voice"})).json()["model"]
        images = f"/models/{model_id['id']}/training-images"
        r = await c.post(images, json={"data": data_url(b"RIFF", "audio/wav"), "name": "a.wav"})
    assert (r.status_code, r.json()) == (
        400,
        {
            "apiError": "bad-request",
            "message": "Audio cannot be sent as a data URL: upload it with POST /uploads "
            "(kind audio), then add it by assetIds",
        },
    )


@synchronous
async def test_more_than_10_asset_ids_in_one_call_are_refused(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        model_id = (await c.post("/models", json={})).json()["model"]["id"]
        ids = [
            (
                await c.post("/assets", json={"name": f"{n}.png", "image": data_url(PNG_BYTES)})
            ).json()["asset"]["id"]
            for n in range(11)
        ]
        images = f"/models/{model_id}/training-images"
        r = await c.post(images, json={"assetIds": ids})
        assert (r.status_code, r.json()["message"]) == (
            400,
            "Too many assetIds provided in a single request",
        )
        assert (await c.post(images, json={"assetIds": ids[:10]})).status_code == 200
        count = (await c.get(f"/models/{model_id}")).json()["model"]["trainingImagesNumber"]
        assert count == 10


@synchronous
async def test_pending_uploads_are_bounded(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        ids = [(await _create(c)).json()["upload"]["id"] for _ in range(MAX_PENDING + 1)]
        assert (await c.get(f"/uploads/{ids[0]}")).status_code == 404
        assert (await c.get(f"/uploads/{ids[1]}")).status_code == 200
