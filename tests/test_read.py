from __future__ import annotations

import asyncio
import hashlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import Clock
from trainops.backoff import RetryPolicy
from trainops.desired import Desired, DesiredImage, DesiredModel, Source, Workspace
from trainops.errors import ApiError, LiveStateError
from trainops.live import Live, LiveModel
from trainops.read import Pages, read_live
from trainops.sandbox import Limits
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.scenario.parse import parse_model
from trainops.tags import fingerprint_tag, identity_tag, image_name, pending_tag

WS = "shop"
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


def _image(name: str) -> tuple[DesiredImage, bytes]:
    data = b"\x89PNG\r\n\x1a\n" + name.encode()
    sha = hashlib.sha256(data).hexdigest()
    return DesiredImage(f"data/{name}", name, sha, len(data), None), data


def _desired(
    key: str, images: tuple[str, ...] = ("a.png", "b.png"), *, fp: str = "1", **kw: Any
) -> DesiredModel:
    return DesiredModel(
        key=key,
        type="flux.1-lora",
        name=key.title(),
        short_description=None,
        tags=(),
        parameters={"maxTrainSteps": 100},
        images=tuple(_image(n)[0] for n in images),
        pairs=(),
        model_id=kw.get("model_id"),
        fingerprint=fp * 64,
        source=Source(f"models/{key}.yaml", 1),
    )


def _workspace(*models: DesiredModel) -> Desired:
    return Desired(Workspace(WS, Path(".")), tuple(sorted(models, key=lambda m: m.key)))


async def _managed(client: Scenario, model: DesiredModel, *, train: bool = True) -> str:
    """A model as apply leaves it: identity tag, content-named images, trained, recorded."""
    model_id = (await client.create_model(type=model.type, name=model.name)).id
    await client.update_tags(model_id, add=[identity_tag(WS, model.key)])
    for img in model.images:
        _, data = _image(img.name)
        name = image_name(img.sha256, img.name)
        await client.add_training_image(model_id, name=name, data=data, mime="image/png")
    if train:
        await client.train(model_id, dict(model.parameters))
        await client.update_tags(model_id, add=[fingerprint_tag(model.fingerprint)])
    return model_id


async def _read(app: Starlette, desired: Desired) -> tuple[Live, Counter[str]]:
    async with sandbox_client(Path("unused.db"), app=app, retry=FAST) as client:
        return await read_live(client, desired), client.requests


async def _seed(app: Starlette, *models: DesiredModel, train: bool = True) -> list[str]:
    # Trained at once on a frozen clock: more than the sandbox's default of 2 at a time.
    app.state.sandbox.limits = Limits(max_parallel_trainings=len(models))
    async with sandbox_client(Path("unused.db"), app=app) as client:
        return [await _managed(client, m, train=train) for m in models]


@synchronous
async def test_unchanged_trained_models_cost_only_the_list_page(
    sandbox: Starlette, clock: Clock
) -> None:
    a, b = _desired("alpha"), _desired("beta", ("c.png",))
    await _seed(sandbox, a, b)
    clock.advance(3600)  # both trainings are over

    live, requests = await _read(sandbox, _workspace(a, b))
    assert requests == {"GET /models": 1}
    assert sorted((m.recorded.key, m.status, m.complete, m.images_count) for m in live.models) == [
        ("alpha", "trained", False, 2),
        ("beta", "trained", False, 1),
    ]


@synchronous
async def test_a_changed_model_is_read_in_full_with_image_names_unprefixed(
    sandbox: Starlette, clock: Clock
) -> None:
    many = ("a.png", "b.png", "c.png", "d.png")
    (model_id,) = await _seed(sandbox, _desired("alpha", many))
    clock.advance(3600)

    live, requests = await _read(sandbox, _workspace(_desired("alpha", many, fp="2")))
    assert requests == {"GET /models": 1, "GET /models/{id}": 1}
    (m,) = live.models
    assert (m.id, m.complete, m.images_count, m.job) == (model_id, True, 4, None)
    assert [(i.name, i.sha_prefix) for i in m.images] == snapshot(
        [
            ("a.png", "068b840433b5b2ca"),
            ("b.png", "7ab753434e52a4f8"),
            ("c.png", "cb2480938829ae15"),
            ("d.png", "37bd937fbf01e822"),
        ]
    )
    assert (m.recorded.workspace, m.recorded.key, m.recorded.fingerprint) == (
        WS,
        "alpha",
        "1" * 32,
    )


@synchronous
async def test_a_training_model_is_read_with_its_latest_job(sandbox: Starlette) -> None:
    a = _desired("alpha")
    await _seed(sandbox, a)

    live, requests = await _read(sandbox, _workspace(a))
    assert requests == {"GET /models": 1, "GET /models/{id}": 1, "GET /jobs/{id}": 1}
    (m,) = live.models
    assert m.status == "training"
    assert m.job is not None
    assert m.job.running
    assert m.stage == "queued-for-train"


@synchronous
async def test_other_workspaces_and_unmanaged_models_are_left_out_orphans_kept(
    sandbox: Starlette, clock: Clock
) -> None:
    (orphan,) = await _seed(sandbox, _desired("gone"))
    async with sandbox_client(Path("unused.db"), app=sandbox) as client:
        theirs = (await client.create_model(type="flux.1-lora")).id
        await client.update_tags(theirs, add=[identity_tag("elsewhere", "gone")])
        await client.create_model(type="flux.1-lora", name="made by hand")
    clock.advance(3600)

    live, requests = await _read(sandbox, _workspace(_desired("alpha")))
    assert [(m.id, m.recorded.key, m.complete) for m in live.models] == [(orphan, "gone", False)]
    assert requests == {"GET /models": 1}


@synchronous
async def test_a_model_adopted_by_id_is_read_even_without_a_tag(sandbox: Starlette) -> None:
    async with sandbox_client(Path("unused.db"), app=sandbox) as client:
        model_id = (await client.create_model(type="flux.1-lora", name="legacy")).id

    live, requests = await _read(sandbox, _workspace(_desired("alpha", model_id=model_id)))
    assert [(m.id, m.name, m.status, m.complete) for m in live.models] == [
        (model_id, "legacy", "new", True)
    ]
    assert requests == {"GET /models": 1, "GET /models/{id}": 1}


@synchronous
async def test_two_models_claiming_one_key_is_an_error_naming_both(sandbox: Starlette) -> None:
    first, second = await _seed(sandbox, _desired("alpha"), _desired("alpha"), train=False)

    with pytest.raises(LiveStateError) as exc:
        await _read(sandbox, _workspace(_desired("alpha")))
    low, high = sorted((first, second))
    assert (
        exc.value.message == f"models {low} and {high} both claim key 'alpha' of workspace 'shop'"
    )
    assert exc.value.hint == (
        "keep one: delete the other model, or remove its tag 'trainops:shop/alpha' "
        "(or fix spec.modelId)"
    )


@synchronous
async def test_adopting_a_missing_model_names_the_manifest(sandbox: Starlette) -> None:
    with pytest.raises(ApiError) as exc:
        await _read(sandbox, _workspace(_desired("alpha", model_id="model_nope")))
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "models/alpha.yaml:1: spec.modelId: no model model_nope in this team",
            "check the id, or remove spec.modelId to let trainops create the model",
        )
    )


@synchronous
async def test_an_image_added_by_hand_shows_in_the_listing_and_forces_a_full_read(
    sandbox: Starlette, clock: Clock
) -> None:
    a = _desired("alpha", ("a.png",))
    (model_id,) = await _seed(sandbox, a)
    clock.advance(3600)
    async with sandbox_client(Path("unused.db"), app=sandbox) as client:
        (image,) = (await client.get_model(model_id)).images
        await client.delete_training_image(model_id, image.id)
        await client.add_training_image(model_id, name="a.png", data=b"x", mime="image/png")

    live, requests = await _read(sandbox, _workspace(a))
    assert requests == {"GET /models": 1, "GET /models/{id}": 1}
    assert [(i.name, i.sha_prefix) for i in live.models[0].images] == [("a.png", None)]


@synchronous
async def test_a_pending_trigger_is_read_in_full_with_its_job(
    sandbox: Starlette, clock: Clock
) -> None:
    a = _desired("alpha")
    (model_id,) = await _seed(sandbox, a)
    clock.advance(3600)
    async with sandbox_client(Path("unused.db"), app=sandbox) as client:
        await client.update_tags(model_id, add=[pending_tag(a.fingerprint, 1_800_000_000)])

    live, requests = await _read(sandbox, _workspace(a))
    assert requests == {"GET /models": 1, "GET /models/{id}": 1, "GET /jobs/{id}": 1}
    (m,) = live.models
    assert m.job is not None
    assert (m.job.status, m.recorded.pending_at) == ("success", 1_800_000_000)


# --- the listing, page by page ----------------------------------------------------------------


async def _one_model_a_page(
    client: Scenario, reads_sent: list[int]
) -> AsyncIterator[list[LiveModel]]:
    """The listing one model a page. Before handing over the next page, waits (up to 5 s) for
    the full read of the model on the last one: it must be under way before more arrives."""
    for n, model in enumerate(await client.list_models()):
        if n:
            deadline = time.monotonic() + 5
            while client.requests["GET /models/{id}"] < n and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            reads_sent.append(client.requests["GET /models/{id}"])
        yield [model]


@synchronous
async def test_a_page_is_planned_and_its_full_reads_sent_before_the_next_page(
    sandbox: Starlette, clock: Clock
) -> None:
    models = [_desired(key) for key in ("alpha", "beta", "gamma")]
    await _seed(sandbox, *models)
    clock.advance(3600)
    changed = _workspace(*(_desired(m.key, fp="2") for m in models))  # all three: full reads
    reads_sent: list[int] = []

    async with sandbox_client(Path("unused.db"), app=sandbox, retry=FAST) as client:
        pages = Pages(_one_model_a_page(client, reads_sent))
        live = await read_live(client, changed, pages=pages)
    assert reads_sent == [1, 2]
    assert [m.complete for m in live.models] == [True, True, True]


async def _one_page_of(n: int) -> AsyncIterator[list[LiveModel]]:
    yield [parse_model({"id": f"model_{i:03}"}, complete=False) for i in range(n)]


@synchronous
async def test_work_started_during_a_long_page_runs_before_the_page_is_worked_through() -> None:
    # What the reader starts while taking a page's first models (their full reads), and the
    # next page's request, must not wait until every model of the page (up to 500) is taken.
    taken = 0
    ran_after: list[int] = []

    async def started() -> None:
        ran_after.append(taken)

    tasks = []
    async for models in Pages(_one_page_of(100)):
        for _ in models:
            taken += 1
            if taken == 1:
                tasks.append(asyncio.create_task(started()))
    await asyncio.gather(*tasks)
    assert taken == 100
    assert ran_after[0] < taken


async def _failing_after_one_page(client: Scenario) -> AsyncIterator[list[LiveModel]]:
    yield (await client.list_models())[:1]
    raise ApiError("list models: HTTP 500", status=500)


@synchronous
async def test_a_listing_that_fails_midway_raises_and_leaves_no_read_running(
    sandbox: Starlette, clock: Clock
) -> None:
    models = [_desired(key) for key in ("alpha", "beta")]
    await _seed(sandbox, *models)
    clock.advance(3600)
    changed = _workspace(*(_desired(m.key, fp="2") for m in models))

    async with sandbox_client(Path("unused.db"), app=sandbox, retry=FAST) as client:
        with pytest.raises(ApiError, match="HTTP 500"):
            await read_live(client, changed, pages=Pages(_failing_after_one_page(client)))
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def _every_model_twice(client: Scenario) -> AsyncIterator[list[LiveModel]]:
    listed = await client.list_models()
    yield listed
    yield listed[:1]  # the next page repeats one: another client's write shifted the pages


@synchronous
async def test_a_model_listed_twice_is_read_once(sandbox: Starlette, clock: Clock) -> None:
    a, b = _desired("alpha"), _desired("beta")
    await _seed(sandbox, a, b)
    clock.advance(3600)

    async with sandbox_client(Path("unused.db"), app=sandbox, retry=FAST) as client:
        live = await read_live(client, _workspace(a, b), pages=Pages(_every_model_twice(client)))
    assert sorted(m.recorded.key or "" for m in live.models) == ["alpha", "beta"]
