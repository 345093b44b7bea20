"""Malformed or impossible requests get the API's error shape with a message naming the fix."""
# ruff: noqa: E501  (the table reads best one case per line)

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import Clock, http_client, image
from trainops.sandbox import Limits, create_app

M, IMG, J, A = "{model}", "{image}", "{job}", "{asset}"

CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/models", {"json": {"type": "sd-3"}}, 400, "type must be one of the model types, got 'sd-3'"),
    ("POST", "/models", {"content": b"[1]"}, 400, "The request body must be a JSON object"),
    ("POST", "/models", {"content": b"{nope"}, 400, "The request body is not valid JSON"),
    ("POST", "/models", {"json": {"name": 3}}, 400, "name must be a string"),
    ("PUT", f"/models/{M}", {"json": {"parameters": [1]}}, 400, "parameters must be an object"),
    ("PUT", f"/models/{M}", {"json": {"epoch": "e1"}}, 400, "The epoch can only be set on a trained model, not training"),
    ("PUT", "/models/model_nope", {"json": {}}, 404, "Model model_nope not found"),
    ("PUT", f"/models/{M}/tags", {"json": {"add": "x"}}, 400, "add must be an array of strings"),
    ("PUT", f"/models/{M}/tags", {"json": {"delete": ["zz"], "strict": True}}, 400, "Tags not found on the model: zz"),
    ("GET", "/models", {"params": {"paginationToken": "!!"}}, 400, "paginationToken is invalid: pass back a nextPaginationToken"),
    ("GET", "/models", {"params": {"privacy": "team"}}, 400, "privacy must be private, public or unlisted, got 'team'"),
    ("GET", "/models", {"params": {"sortBy": "name"}}, 400, "sortBy must be createdAt, updatedAt or score, got 'name'"),
    ("GET", "/models", {"params": {"sortDirection": "up"}}, 400, "sortDirection must be asc or desc, got 'up'"),
    ("GET", "/models", {"params": {"pageSize": "x"}}, 400, "pageSize must be an integer between 1 and 500"),
    ("GET", "/models", {"params": {"createdAfter": "yesterday"}}, 400, "createdAfter must be an ISO 8601 date, got 'yesterday'"),
    ("GET", "/models", {"params": {"createdAfter": "2020-01-01", "sortBy": "updatedAt"}}, 400, "createdAfter and createdBefore require sortBy=createdAt"),
    ("GET", "/jobs", {"params": {"status": "done"}}, 400, "status must be one of canceled, failure, finalizing, in-progress, pending, queued, success, warming-up, got 'done'"),
    ("POST", f"/models/{M}/training-images", {"json": {}}, 400, "Provide assetId, assetIds, or data and name"),
    ("POST", f"/models/{M}/training-images", {"json": {"data": "x", "name": "a.png"}}, 400, "data must be a base64 data URL, e.g. data:image/png;base64,..."),
    ("POST", f"/models/{M}/training-images", {"json": {"data": "data:image/png;base64,@@", "name": "a.png"}}, 400, "data is not valid base64"),
    ("POST", f"/models/{M}/training-images", {"json": {"data": image(1)}}, 400, "name is required with data (the original file name)"),
    ("POST", f"/models/{M}/training-images", {"json": {"assetIds": [A], "assetId": A}}, 400, "assetIds cannot be combined with assetId or data and name"),
    ("POST", f"/models/{M}/training-images", {"json": {"assetIds": []}}, 400, "assetIds must be a non-empty array of asset ids"),
    ("POST", f"/models/{M}/training-images", {"json": {"assetId": 1}}, 400, "assetId must be a string"),
    ("POST", f"/models/{M}/training-images", {"json": {"assetId": "asset_nope"}}, 404, "Asset asset_nope not found"),
    ("PUT", f"/models/{M}/training-images/{IMG}", {"json": {"assetIds": [A, A]}}, 400, "Replace takes one image: assetId, or data and name"),
    ("PUT", f"/models/{M}/training-images/asset_nope", {"json": {"assetId": A}}, 404, "Training image asset_nope not found"),
    ("PUT", f"/models/{M}/training-images/pairs", {"json": {"a": 1}}, 400, "The body must be an array of pairs {sourceId, targetId, instruction}"),
    ("PUT", f"/models/{M}/training-images/pairs", {"json": [{"x": 1}]}, 400, "pairs[0] must be an object with sourceId, targetId, instruction"),
    ("PUT", f"/models/{M}/training-images/pairs", {"json": [{"instruction": 2}]}, 400, "pairs[0].instruction must be a string"),
    ("PUT", f"/models/{M}/train", {"params": {"dryRun": "yes"}}, 400, 'dryRun must be "true" or "api", got \'yes\''),
    ("PUT", f"/models/{M}/train", {"params": {"dryRun": "true", "trainingImagesCount": "-1"}}, 400, "trainingImagesCount must be a non-negative integer, got '-1'"),
    ("POST", f"/models/{M}/train/action", {"json": {"action": "stop"}}, 400, 'action must be "cancel"'),
    ("GET", "/jobs/job_nope", {}, 404, "Job job_nope not found"),
    ("POST", "/jobs/job_nope/action", {"json": {}}, 404, "Job job_nope not found"),
    ("POST", f"/jobs/{J}/action", {"json": {"action": "retry"}}, 400, 'action must be "cancel"'),
    ("POST", "/assets", {"json": {"image": "AAAA"}}, 400, "name is required"),
    ("POST", "/assets", {"json": {"name": "a.png"}}, 400, "image must be a base64 string"),
    ("GET", "/assets/asset_nope", {}, 404, "Asset asset_nope not found"),
    ("PUT", "/assets/asset_nope", {"json": {"description": "x"}}, 404, "Asset asset_nope not found"),
    ("PUT", f"/assets/{A}", {"json": {"description": 5}}, 400, "description must be a string"),
    ("GET", "/files/asset_nope", {}, 404, "File asset_nope not found"),
    ("POST", "/_sandbox/faults", {"json": {"faults": {}}}, 400, "faults must be an array"),
    ("PATCH", "/models", {}, 405, "Method Not Allowed"),
]  # fmt: skip


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Starlette:
    # Each case starts a training on a frozen clock: a team allowing more than the default 2.
    limits = Limits(max_parallel_trainings=len(CASES) + 1)
    return create_app(tmp_path_factory.mktemp("sandbox") / "s.db", clock=Clock(), limits=limits)


@pytest.mark.parametrize(("method", "path", "kw", "status", "message"), CASES)
def test_refusals_name_what_to_fix(
    shared_app: Starlette, method: str, path: str, kw: dict[str, Any], status: int, message: str
) -> None:
    r = request_against_live_objects(shared_app, method, path, kw)
    body = r.json()
    assert (r.status_code, body["message"]) == (status, message)
    assert isinstance(body["apiError"], str)


@synchronous
async def request_against_live_objects(
    app: Starlette, method: str, path: str, kw: dict[str, Any]
) -> httpx.Response:
    """The request, its markers replaced by the ids of a fresh model, image, job and asset."""
    async with http_client(app) as c:
        model = (await c.post("/models", json={})).json()["model"]["id"]
        add = {"data": image(0), "name": "a.png"}
        img = (await c.post(f"/models/{model}/training-images", json=add)).json()
        upload = await c.post("/assets", json={"name": "b.png", "image": image(2)})
        job = (await c.put(f"/models/{model}/train", json={})).json()["job"]["jobId"]
        ids = {
            M: model,
            IMG: img["trainingImage"]["id"],
            J: job,
            A: upload.json()["asset"]["id"],
        }
        filled = {k: _fill(v, ids) for k, v in kw.items()}
        url = path
        for marker, value in ids.items():
            url = url.replace(marker, value)
        return await c.request(method, url, **filled)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@synchronous
async def test_sample_images_and_sorting_by_update(sandbox: Starlette, clock: Clock) -> None:
    async with http_client(sandbox) as c:
        first = (await c.post("/models", json={})).json()["model"]["id"]
        clock.advance(1)
        second = (await c.post("/models", json={})).json()["model"]["id"]
        clock.advance(1)
        await c.put(f"/models/{first}", json={"name": "touched", "thumbnail": "asset_x"})
        listed = await c.get("/models", params={"sortBy": "updatedAt"})
        assert [m["id"] for m in listed.json()["models"]] == [first, second]
        assert listed.json()["models"][0]["thumbnail"]["assetId"] == "asset_x"
        after = await c.get("/models", params={"createdAfter": "2027-01-15T08:00:00.500Z"})
        assert [m["id"] for m in after.json()["models"]] == [second]
        sample = await c.get("/files/sample.png")
        assert sample.headers["content-type"] == "image/png"
