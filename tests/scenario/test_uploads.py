"""Issue 12, item 1: `Scenario.upload_asset` and `Scenario.add_training_images` against the
sandbox, which implements the documented multipart flow and refuses what Scenario documents it
refuses (a data URL over 6 MB, any audio data URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.aio import synchronous
from tests.support.paths import IMAGES
from tests.support.proxy import HtmlReply
from tests.support.workspace import FAST, big_png, png
from trainops.errors import ApiError
from trainops.sandbox import Fault, create_app
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.scenario.uploads import DATA_URL_LIMIT, PART_SIZE, fits_data_url

WAV = (IMAGES / "voice.wav").read_bytes()
ADD = r"/models/[^/]+/training-images$"


@asynccontextmanager
async def client(app: ASGIApp, tmp_path: Path) -> AsyncIterator[Scenario]:
    async with sandbox_client(tmp_path / "unused.db", app=app, retry=FAST) as c:
        yield c


def test_only_images_whose_data_url_fits_in_6_mb_go_inline() -> None:
    prefix = len("data:image/png;base64,")
    fits = b"\0" * ((DATA_URL_LIMIT - prefix) // 4 * 3)
    assert fits_data_url(fits, "image/png")
    assert not fits_data_url(fits + b"\0", "image/png")
    assert fits_data_url(png(1), "image/png")
    assert not fits_data_url(WAV, "audio/wav")
    assert not fits_data_url(b"", "audio/mpeg")


@synchronous
async def test_a_large_png_uploads_in_parts_and_is_attached(
    sandbox: Starlette, tmp_path: Path
) -> None:
    data = big_png(1, 7_000_000)
    assert not fits_data_url(data, "image/png")
    async with client(sandbox, tmp_path) as c:
        model_id = (await c.create_model(type="flux.1-lora")).id
        asset_id = await c.upload_asset(
            name="0123456789abcdef-big.png", data=data, mime="image/png"
        )
        [image] = await c.add_training_images(model_id, [asset_id])
        assert (image.id, image.name, image.sha_prefix) == (asset_id, "big.png", "0123456789abcdef")
        assert await c.download(image.download_url) == data
        parts = -(-len(data) // PART_SIZE)
        assert parts == 2
        assert {k: v for k, v in c.requests.items() if "upload" in k or "PUT" in k} == {
            "POST /uploads": 1,
            "PUT /files/{id}/{id}/1": 1,  # the part URLs the sandbox serves
            "PUT /files/{id}/{id}/2": 1,
            "POST /uploads/{id}/action": 1,
            "GET /uploads/{id}": 1,
        }
        assert c.requests["POST /models/{id}/training-images"] == 1


@synchronous
async def test_an_audio_sample_uploads_multipart_and_never_as_a_data_url(
    sandbox: Starlette, tmp_path: Path
) -> None:
    async with client(sandbox, tmp_path) as c:
        model_id = (await c.create_model(type="elevenlabs-voice")).id
        with pytest.raises(ApiError, match="Audio cannot be sent as a data URL"):
            await c.add_training_image(model_id, name="a.wav", data=WAV, mime="audio/wav")
        asset_id = await c.upload_asset(name="a.wav", data=WAV, mime="audio/wav")
        [image] = await c.add_training_images(model_id, [asset_id])
        assert image.name == "a.wav"
        assert await c.download(image.download_url) == WAV
        assert (await c.get_model(model_id)).images_count == 1


@synchronous
async def test_a_small_image_still_goes_as_a_data_url(sandbox: Starlette, tmp_path: Path) -> None:
    async with client(sandbox, tmp_path) as c:
        model_id = (await c.create_model(type="flux.1-lora")).id
        await c.add_training_image(model_id, name="a.png", data=png(1), mime="image/png")
        data = big_png(2, 7_000_000)
        with pytest.raises(ApiError, match="A data URL is for images under 6 MB"):
            await c.add_training_image(model_id, name="b.png", data=data, mime="image/png")


@synchronous
async def test_more_than_10_assets_are_attached_10_per_call(
    sandbox: Starlette, tmp_path: Path
) -> None:
    async with client(sandbox, tmp_path) as c:
        model_id = (await c.create_model(type="flux.1-lora")).id
        ids = [
            await c.upload_asset(name=f"{n:02d}.png", data=png(n), mime="image/png")
            for n in range(23)
        ]
        images = await c.add_training_images(model_id, ids)
        assert [i.id for i in images] == ids
        assert [i.name for i in images] == [f"{n:02d}.png" for n in range(23)]
        assert c.requests["POST /models/{id}/training-images"] == 3
        assert (await c.get_model(model_id)).images_count == 23


@pytest.mark.parametrize("acts", [True, False], ids=["landed", "lost"])
@synchronous
async def test_an_ambiguous_add_sends_again_only_what_did_not_land(
    sandbox: Starlette, tmp_path: Path, acts: bool
) -> None:
    proxy = HtmlReply(sandbox, "POST", ADD, acts=acts)
    async with client(proxy, tmp_path) as c:
        model_id = (await c.create_model(type="flux.1-lora")).id
        ids = [
            await c.upload_asset(name=f"{n}.png", data=png(n), mime="image/png") for n in range(3)
        ]
        images = await c.add_training_images(model_id, ids)
        assert [i.id for i in images] == ids
        assert (await c.get_model(model_id)).images_count == 3
        assert c.requests["POST /models/{id}/training-images"] == (1 if acts else 2)
    assert proxy.hits == 1


@pytest.mark.parametrize("acts", [True, False], ids=["landed", "lost"])
@synchronous
async def test_an_ambiguous_complete_is_read_before_it_is_sent_again(
    sandbox: Starlette, tmp_path: Path, acts: bool
) -> None:
    proxy = HtmlReply(sandbox, "POST", r"/uploads/[^/]+/action$", acts=acts)
    async with client(proxy, tmp_path) as c:
        asset_id = await c.upload_asset(name="a.wav", data=WAV, mime="audio/wav")
        assert c.requests["POST /uploads/{id}/action"] == (1 if acts else 2)
        model_id = (await c.create_model(type="elevenlabs-voice")).id
        [image] = await c.add_training_images(model_id, [asset_id])
        assert await c.download(image.download_url) == WAV


@synchronous
async def test_a_lost_upload_reply_makes_a_new_upload(sandbox: Starlette, tmp_path: Path) -> None:
    # An unused upload holds no asset and costs nothing: POST /uploads is simply sent again.
    proxy = HtmlReply(sandbox, "POST", r"/uploads$", acts=True)
    async with client(proxy, tmp_path) as c:
        asset_id = await c.upload_asset(name="a.wav", data=WAV, mime="audio/wav")
        assert c.requests["POST /uploads"] == 2
        assert asset_id.startswith("asset_")


def refusing_parts(app: ASGIApp) -> ASGIApp:
    """An object store in front of the part URLs that refuses every PUT (an expired URL)."""

    async def store(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and "/uploads/" in scope["path"]:
            await Response("<Error>AccessDenied</Error>", status_code=403)(scope, receive, send)
            return
        await app(scope, receive, send)

    return store


@synchronous
async def test_a_refused_part_is_an_error_that_never_shows_the_signed_url(
    sandbox: Starlette, tmp_path: Path
) -> None:
    async with client(refusing_parts(sandbox), tmp_path) as c:
        with pytest.raises(ApiError) as exc:
            await c.upload_asset(name="a.wav", data=WAV, mime="audio/wav")
        assert c.requests["PUT /files/{id}/{id}/1"] == 1  # a 403 is not retried
    assert exc.value.status == 403
    assert "token" not in exc.value.message
    assert exc.value.message.startswith("upload a.wav, part 1: PUT http://sandbox.invalid/v1/")
    assert exc.value.message.endswith(": HTTP 403")


@synchronous
async def test_a_part_refused_for_a_moment_is_sent_again(tmp_path: Path) -> None:
    app = create_app(tmp_path / "s.db", faults=[Fault("PUT", "/files/uploads/", "500", times=1)])
    async with client(app, tmp_path) as c:
        asset_id = await c.upload_asset(name="a.wav", data=WAV, mime="audio/wav")
        assert c.requests["PUT /files/{id}/{id}/1"] == 2
        model_id = (await c.create_model(type="elevenlabs-voice")).id
        [image] = await c.add_training_images(model_id, [asset_id])
        assert await c.download(image.download_url) == WAV
