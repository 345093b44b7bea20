"""Epoch sample images: a distinct visible PNG per sample at its own URL, signed and expiring by
default, plain and lasting with the `unsigned-samples` deviation."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import PNG_BYTES, Clock, http_client
from trainops.links import signed_url
from trainops.live import LiveModel
from trainops.sandbox import Deviations, create_app
from trainops.sandbox.client import sandbox_client
from trainops.sandbox.samples import SAMPLE_TTL_S, SIZE, sample_png

PARAMS = {"nbEpochs": 2, "samplePrompts": ["a red fox", "a blue house"]}


def app_with(tmp_path: Path, clock: Clock, *names: str) -> Starlette:
    return create_app(tmp_path / "s.db", clock=clock, deviations=Deviations.of(names))


async def trained(tmp_path: Path, app: Starlette, clock: Clock) -> LiveModel:
    async with sandbox_client(tmp_path / "s.db", app=app) as c:
        m = await c.create_model(type="flux.1-lora", name="fox")
        await c.add_training_image(m.id, name="a.png", data=PNG_BYTES, mime="image/png")
        job_id = await c.train(m.id, PARAMS)
        while (await c.get_job(job_id)).running:
            clock.advance(60)
        return await c.get_model(m.id)


async def fetch(app: Starlette, url: str) -> httpx.Response:
    async with http_client(app, auth=None) as http:
        return await http.get(url)


def pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the filtered rows of one of our PNGs (IHDR then one IDAT)."""
    width, height = struct.unpack(">II", png[16:24])
    length = struct.unpack(">I", png[33:37])[0]
    return width, height, zlib.decompress(png[41 : 41 + length])


@synchronous
async def test_every_sample_is_a_distinct_visible_png_at_its_own_signed_url(
    tmp_path: Path, clock: Clock
) -> None:
    app = app_with(tmp_path, clock)
    model = await trained(tmp_path, app, clock)
    urls = [s.url for e in model.epochs for s in e.samples]
    assert len(model.epochs) == 2
    assert len(urls) == 4 == len(set(urls))
    signed = signed_url(urls[0])
    assert signed is not None
    assert signed.expires_at is not None
    assert 0 < signed.expires_at - clock() <= SAMPLE_TTL_S
    bodies = []
    for url in urls:
        r = await fetch(app, url)
        assert (r.status_code, r.headers["content-type"]) == (200, "image/png")
        bodies.append(r.content)
    assert len(set(bodies)) == 4
    width, height, rows = pixels(bodies[0])
    assert (width, height, len(rows)) == (SIZE, SIZE, SIZE * (1 + 3 * SIZE))
    stride = 1 + 3 * SIZE

    def pixel(x: int, y: int) -> bytes:
        return rows[y * stride + 1 + 3 * x : y * stride + 4 + 3 * x]

    assert pixel(32, 32) != pixel(0, 0)  # a filled square in a darker frame


@synchronous
async def test_a_signed_sample_url_is_refused_once_expired_or_tampered_with(
    tmp_path: Path, clock: Clock
) -> None:
    app = app_with(tmp_path, clock)
    url = (await trained(tmp_path, app, clock)).epochs[0].samples[0].url
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await fetch(app, tampered)).status_code == 403
    assert (await fetch(app, url.split("?")[0])).status_code == 403
    clock.advance(SAMPLE_TTL_S + 3600)
    expired = await fetch(app, url)
    assert expired.status_code == 403
    assert "expired" in expired.json()["message"]


@synchronous
async def test_unsigned_samples_are_plain_urls_that_last(tmp_path: Path, clock: Clock) -> None:
    app = app_with(tmp_path, clock, "unsigned-samples")
    model = await trained(tmp_path, app, clock)
    url = model.epochs[0].samples[0].url
    assert "?" not in url
    assert signed_url(url) is None
    clock.advance(10 * SAMPLE_TTL_S)
    r = await fetch(app, url)
    assert r.status_code == 200
    assert r.content == sample_png(model.epochs[0].samples[0].asset_id)


@pytest.mark.parametrize("asset_id", ["asset_a", "asset_b"])
def test_sample_png_is_a_valid_png(asset_id: str) -> None:
    png = sample_png(asset_id)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.endswith(b"IEND\xaeB`\x82")
