"""Request bodies a hostile or broken client sends: too big (413, read as a stream and refused
before it is all in memory) and nested too deep (400, never a 500)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import PNG_BYTES, Serve, data_url, http_client
from trainops.sandbox.images import MAX_DATA_URL_BASE64
from trainops.sandbox.replies import MAX_BODY_BYTES, MAX_JSON_DEPTH

MIB = 1024 * 1024
TOO_LARGE = {
    "apiError": "payload-too-large",
    "message": f"The request body is over the {MAX_BODY_BYTES} byte limit "
    "(a base64 data URL is for images under 6 MB)",
    "max": MAX_BODY_BYTES,
}
TOO_DEEP = {
    "apiError": "bad-request",
    "message": f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)",
}


def test_the_limit_fits_a_6_mb_image_as_a_data_url_with_room_for_the_json() -> None:
    six_mb = 6 * MIB
    assert len(data_url(b"\0" * six_mb)) + 64 * 1024 <= MAX_BODY_BYTES < 12 * MIB


@synchronous
async def test_an_image_just_under_6_mb_uploads(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        model_id = (await c.post("/models", json={})).json()["model"]["id"]
        big = PNG_BYTES + b"\0" * (MAX_DATA_URL_BASE64 * 3 // 4 - 1024)  # 6 MB of base64
        r = await c.post(
            f"/models/{model_id}/training-images", json={"data": data_url(big), "name": "a.png"}
        )
        assert r.status_code == 200, r.text[:300]


@synchronous
async def test_a_body_over_the_limit_gets_413_and_changes_nothing(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        body = json.dumps({"name": "x" * MAX_BODY_BYTES}).encode()
        r = await c.post("/models", content=body)
        assert (r.status_code, r.json()) == (413, TOO_LARGE)
        assert (await c.get("/models")).json()["models"] == []


@synchronous
async def test_a_streamed_body_is_refused_before_it_is_all_read(sandbox: Starlette) -> None:
    # No Content-Length (a chunked upload): the sandbox counts as it reads and stops early.
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"name": "'
        for _ in range(64):
            pulled += 1
            yield b"x" * MIB
        yield b'"}'

    async with http_client(sandbox) as c:
        r = await c.post("/models", content=chunks())
    assert (r.status_code, r.json()) == (413, TOO_LARGE)
    assert pulled <= MAX_BODY_BYTES // MIB + 1


def test_a_served_sandbox_answers_413_to_a_large_body(sandbox: Starlette, serve: Serve) -> None:
    with httpx.Client(base_url=serve(sandbox), auth=("sandbox-key", "sandbox-secret")) as c:
        r = c.post("/models", content=b"x" * (MAX_BODY_BYTES + 1))
        assert (r.status_code, r.json()) == (413, TOO_LARGE)
        assert c.get("/models").status_code == 200


def nested(depth: int) -> object:
    """A JSON value `depth` containers deep: {"a": {"a": ... 1}}."""
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        json.dumps({"parameters": nested(MAX_JSON_DEPTH)}).encode(),
    ],
    ids=["arrays-past-the-recursion-limit", "objects-past-the-recursion-limit", "one-too-deep"],
)
@synchronous
async def test_deeply_nested_json_is_refused_with_400(sandbox: Starlette, body: bytes) -> None:
    async with http_client(sandbox) as c:
        r = await c.post("/models", content=body)
        assert (r.status_code, r.json()) == (400, TOO_DEEP)
        assert (await c.get("/models")).json()["models"] == []


@synchronous
async def test_json_at_the_depth_limit_is_read(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        body = {"name": "m", "parameters": nested(MAX_JSON_DEPTH - 1)}
        r = await c.post("/models", json=body)
        assert r.status_code == 200, r.text


@synchronous
async def test_a_deeply_nested_pagination_token_is_refused_with_400(sandbox: Starlette) -> None:
    token = base64.urlsafe_b64encode(b"[" * 20_000).decode()
    async with http_client(sandbox) as c:
        r = await c.get("/models", params={"paginationToken": token})
    assert (r.status_code, r.json()["message"]) == (
        400,
        "paginationToken is invalid: pass back a nextPaginationToken",
    )
