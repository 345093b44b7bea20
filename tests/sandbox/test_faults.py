"""Fault injection (latency, 429 with Retry-After, 500, slow) and changing a running server."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import scenario_sdk
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import AUTH, Serve, http_client, image, sdk_client
from trainops.sandbox import Fault, create_app


@synchronous
async def test_transient_429_carries_retry_after_and_the_sdk_retries_it(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        faults = [
            {
                "method": "POST",
                "pathRegex": r"/models$",
                "kind": "429",
                "times": 1,
                "retryAfter": 0.01,
            }
        ]
        assert (await c.post("/_sandbox/faults", json={"faults": faults})).status_code == 200
        first = await c.post("/models", json={"name": "a"})
        assert first.status_code == 429
        assert first.headers["retry-after"] == "0.01"
        assert first.json() == {
            "apiError": "too-many-requests",
            "message": "Injected sandbox fault: rate limited",
        }
        await c.post("/_sandbox/faults", json={"faults": faults})
        model = (await sdk_client(sandbox).models.create(name="b")).model
        assert model.name == "b"
        listed = (await c.get("/_sandbox/faults")).json()["faults"]
        assert [(f["kind"], f["hits"]) for f in listed] == [("429", 1)]
        assert [m["name"] for m in (await c.get("/models")).json()["models"]] == ["b"]


@synchronous
async def test_500_a_given_number_of_times(tmp_path: Path) -> None:
    app = create_app(tmp_path / "s.db", faults=[Fault("GET", r"/models/", "500", times=2)])
    c = sdk_client(app, max_retries=0)
    model_id = (await c.models.create(name="x")).model.id
    for _ in range(2):
        with pytest.raises(scenario_sdk.InternalServerError):
            await c.models.retrieve(model_id)
    assert (await c.models.retrieve(model_id)).model.id == model_id


@synchronous
async def test_latency_delays_matching_requests_only(tmp_path: Path) -> None:
    app = create_app(tmp_path / "s.db", faults=[Fault(None, r"/jobs$", "latency", seconds=0.2)])
    async with http_client(app) as c:
        t0 = time.monotonic()
        await c.get("/models")
        t1 = time.monotonic()
        assert (await c.get("/jobs")).status_code == 200
        fast, slow = t1 - t0, time.monotonic() - t1
    assert fast < 0.2 <= slow


def test_slow_reply_times_out_after_the_change_was_made(tmp_path: Path, serve: Serve) -> None:
    app = create_app(tmp_path / "s.db", faults=[Fault("PUT", r"/train$", "slow", seconds=0.5)])
    with httpx.Client(base_url=serve(app), auth=AUTH) as c:
        model_id = c.post("/models", json={}).json()["model"]["id"]
        c.post(f"/models/{model_id}/training-images", json={"data": image(1), "name": "a.png"})
        with pytest.raises(httpx.ReadTimeout):
            c.put(f"/models/{model_id}/train", json={}, timeout=0.1)
        assert c.get(f"/models/{model_id}").json()["model"]["status"] == "training"


@synchronous
async def test_invalid_faults_and_limits_are_refused_and_valid_ones_apply(
    sandbox: Starlette,
) -> None:
    async with http_client(sandbox) as c:
        bad = await c.post(
            "/_sandbox/faults", json={"faults": [{"kind": "boom", "pathRegex": "x"}]}
        )
        assert bad.json() == {
            "apiError": "bad-request",
            "message": "kind must be one of latency, 429, 500, slow",
        }
        bad = await c.post("/_sandbox/faults", json={"faults": [{"kind": "500", "pathRegex": "("}]})
        assert bad.status_code == 400
        bad = await c.post("/_sandbox/limits", json={"max_images": 3})
        assert bad.json()["message"] == (
            "unknown limit 'max_images' "
            "(known: launch_cooldown_s, max_dataset_images, max_parallel_trainings)"
        )
        ok = await c.post("/_sandbox/limits", json={"max_dataset_images": 0})
        assert ok.json() == {
            "max_dataset_images": 0,
            "max_parallel_trainings": 2,
            "launch_cooldown_s": 0.0,
        }
        assert (await c.get("/_sandbox/limits")).json() == ok.json()
        model_id = (await c.post("/models", json={})).json()["model"]["id"]
        r = await c.post(
            f"/models/{model_id}/training-images", json={"data": image(1), "name": "a.png"}
        )
        assert r.status_code == 429
        assert (await c.post("/_sandbox/faults", json={"faults": []})).json() == {"faults": []}


@synchronous
async def test_admin_routes_need_credentials(sandbox: Starlette) -> None:
    async with http_client(sandbox, auth=None) as c:
        assert (await c.post("/_sandbox/faults", json={"faults": []})).status_code == 401
