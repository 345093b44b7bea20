"""GET /models pins: filters, orders and page boundaries, so that the listing's queries can be
restructured for speed without changing what it answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import Clock, http_client, image
from trainops.sandbox import Limits

Json = dict[str, Any]


async def _new(c: httpx.AsyncClient, images: int = 0, model_type: str = "flux.1-lora") -> str:
    model_id: str = (await c.post("/models", json={"type": model_type})).json()["model"]["id"]
    for n in range(images):
        body = {"data": image(n), "name": f"i{n}.png"}
        r = await c.post(f"/models/{model_id}/training-images", json=body)
        assert r.status_code == 200, r.text
    return model_id


async def _walk(c: httpx.AsyncClient, **params: Any) -> list[list[str]]:
    """The ids of every page, following the tokens."""
    pages, token = [], None
    while True:
        extra = {"paginationToken": token} if token else {}
        body = (await c.get("/models", params={**params, **extra})).json()
        pages.append([m["id"] for m in body["models"]])
        token = body.get("nextPaginationToken")
        if not token:
            return pages


async def _train(c: httpx.AsyncClient, model_id: str) -> None:
    r = await c.put(f"/models/{model_id}/train", json={})
    assert r.status_code == 200, r.text


@synchronous
async def test_filters_orders_and_page_boundaries(sandbox: Starlette, clock: Clock) -> None:
    async with http_client(sandbox) as c:
        made = []
        for n in range(7):
            made.append(await _new(c, images=1 if n % 2 else 0))
            clock.advance(1)
        trained, training = made[1], made[3]
        await _train(c, trained)
        clock.advance(1000)  # `trained` finishes; `training` launches after it
        await _train(c, training)
        await _train(c, made[5])
        await c.delete(f"/models/{made[5]}")  # deleted while training: canceled
        await c.delete(f"/models/{made[6]}")
        live = [made[4], made[3], made[2], made[1], made[0]]
        assert await _walk(c, pageSize=2) == [live[:2], live[2:4], live[4:]]
        assert await _walk(c, pageSize=5) == [live]  # a full last page: no token
        assert await _walk(c, pageSize=4, sortDirection="asc") == [live[::-1][:4], live[:1]]
        new = [made[4], made[2], made[0]]
        assert await _walk(c, pageSize=2, status="new") == [new[:2], new[2:]]
        assert await _walk(c, pageSize=1, status="training") == [[training]]
        assert await _walk(c, status="trained") == [[trained]]
        assert await _walk(c, status="failed") == [[]]
        assert await _walk(c, pageSize=1, status="deleted") == [[made[6]], [made[5]]]
        assert await _walk(c, pageSize=4, status="bogus") == [made[::-1][:4], made[::-1][4:]]
        # updatedAt: the trainings and the images moved these ahead of their creation order
        by_update = [training, trained, made[4], made[2], made[0]]
        assert await _walk(c, pageSize=2, sortBy="updatedAt") == [
            by_update[:2],
            by_update[2:4],
            by_update[4:],
        ]
        asc = await _walk(c, pageSize=3, sortBy="updatedAt", sortDirection="asc")
        assert asc == [by_update[::-1][:3], by_update[::-1][3:]]
        clock.advance(31 * 24 * 3600)  # deleted models leave `status=deleted` after 30 days
        assert await _walk(c, status="deleted") == [[]]


@synchronous
async def test_models_created_at_the_same_time_are_ordered_by_id(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        made = sorted([await _new(c) for _ in range(5)])
        assert await _walk(c, pageSize=2) == [made[::-1][:2], made[::-1][2:4], made[:1]]
        asc = await _walk(c, pageSize=3, sortDirection="asc")
        assert asc == [made[:3], made[3:]]


@synchronous
async def test_created_range_filters_across_pages(sandbox: Starlette, clock: Clock) -> None:
    assert clock() == 1_800_000_000.0  # 2027-01-15T08:00:00Z
    async with http_client(sandbox) as c:
        made = []
        for _ in range(6):
            made.append(await _new(c))
            clock.advance(10)
        span = {"createdAfter": "2027-01-15T08:00:05Z", "createdBefore": "2027-01-15T08:00:45Z"}
        assert await _walk(c, pageSize=3, **span) == [made[4:1:-1], made[1:2]]


@pytest.mark.parametrize("status", [None, "trained"])
@synchronous
async def test_listed_models_are_the_models_get_bulk_returns(
    sandbox: Starlette, clock: Clock, status: str | None
) -> None:
    # Every field of a listed model, previews included, matches the single-model rendering.
    sandbox.state.sandbox.limits = Limits(max_parallel_trainings=4)  # all four train at once
    async with http_client(sandbox) as c:
        ids = [await _new(c, images=n) for n in (0, 2, 5)]
        ids.append(await _new(c, images=2, model_type="sd-1_5-lora"))
        first = (await c.get(f"/models/{ids[2]}")).json()["model"]["trainingImages"][0]
        await c.delete(f"/models/{ids[2]}/training-images/{first['id']}")
        await c.put(f"/models/{ids[1]}/tags", json={"add": ["b", "a"]})
        await c.put(f"/models/{ids[1]}", json={"name": "n", "thumbnail": "asset_x"})
        for model_id in ids[1:]:
            await _train(c, model_id)
        clock.advance(1000)
        await c.put(f"/models/{ids[2]}", json={"epoch": "e1"})
        params = {"status": status} if status else {}
        listed: list[Json] = (await c.get("/models", params=params)).json()["models"]
        bulk = await c.post("/models/get-bulk", json={"modelIds": [m["id"] for m in listed]})
        assert listed == bulk.json()["models"]
        assert len(listed) == (4 if status is None else 3)
        by_id = {m["id"]: m for m in listed}
        assert [len(by_id[i]["trainingImages"]) for i in ids[1:]] == [2, 3, 2]
        assert [by_id[i]["trainingImagesNumber"] for i in ids[1:]] == [2, 4, 2]
