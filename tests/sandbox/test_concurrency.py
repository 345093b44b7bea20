"""50 parallel clients over real HTTP, split across two servers sharing one SQLite file, leave
the state consistent: no lost writes, no duplicate jobs."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx

from tests.support.aio import synchronous
from tests.support.sandbox import AUTH, Serve, image
from trainops.sandbox import Limits, create_app

CLIENTS = 50


async def _one_client(base_url: str, shared_model: str, n: int) -> tuple[str, int]:
    async with httpx.AsyncClient(base_url=base_url, auth=AUTH, timeout=30) as c:
        r = await c.post("/models", json={"name": f"m{n}", "type": "flux.1-lora"})
        model_id = r.json()["model"]["id"]
        await c.put(f"/models/{model_id}/tags", json={"add": [f"t{n}"]})
        await c.post(
            f"/models/{model_id}/training-images", json={"data": image(n), "name": f"{n}.png"}
        )
        own = await c.put(f"/models/{model_id}/train", json={})
        assert own.status_code == 200, own.text
        race = await c.put(f"/models/{shared_model}/train", json={})
        return model_id, race.status_code


@synchronous
async def _all_clients(bases: tuple[str, str], shared_model: str) -> list[tuple[str, int]]:
    urls = [bases[n % 2] for n in range(CLIENTS)]
    return await asyncio.gather(*(_one_client(u, shared_model, n) for n, u in enumerate(urls)))


def test_fifty_parallel_clients_leave_a_consistent_database(tmp_path: Path, serve: Serve) -> None:
    db = tmp_path / "sandbox.db"
    team = Limits(max_parallel_trainings=100)  # each client trains its own model: all at once
    a = serve(create_app(db, speed=0.01, limits=team))
    b = serve(create_app(db, speed=0.01, limits=team))
    with httpx.Client(base_url=a, auth=AUTH) as c:
        shared = c.post("/models", json={"name": "shared"}).json()["model"]["id"]
        c.post(f"/models/{shared}/training-images", json={"data": image(99), "name": "s.png"})
    results = _all_clients((b, a), shared)

    assert sorted(status for _, status in results).count(200) == 1
    assert {status for _, status in results} == {200, 400}
    with sqlite3.connect(db) as conn:
        models = conn.execute("SELECT id, tags, job_id FROM models").fetchall()
        jobs = conn.execute("SELECT model_id, count(*) FROM jobs GROUP BY model_id").fetchall()
        images = conn.execute("SELECT count(*) FROM training_images").fetchone()
    assert len(models) == CLIENTS + 1
    assert {m for m, _ in results} | {shared} == {m[0] for m in models}
    assert all(tags != "[]" for model_id, tags, _ in models if model_id != shared)
    assert dict(jobs) == {m[0]: 1 for m in models}
    assert images == (CLIENTS + 1,)
