"""What the client reads, held against the sandbox's deviation switches (issue 12): complete image
lists, soft-deleted models, pagination that never ends, quota fields inside `details`, and the
workspace's `projectId` on every call."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.middlemen import Recorder, Truncating
from trainops.backoff import RetryPolicy
from trainops.errors import IncompleteModelError, PaginationError, QuotaError
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Deviations, Limits, create_app
from trainops.scenario.client import Scenario

FAST = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.02)


def _png(shade: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    rows = (b"\x00" + bytes([shade]) * 8) * 8
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


def app_with(tmp_path: Path, *switches: str, limits: Limits | None = None) -> Starlette:
    return create_app(tmp_path / "s.db", deviations=Deviations.of(switches), limits=limits)


@asynccontextmanager
async def client_of(app: Any, project_id: str | None = None) -> AsyncIterator[Scenario]:
    """A client of `app` (the sandbox, maybe behind a middleman), as `sandbox_client` makes one."""
    async with Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url="http://sandbox.invalid/v1",
        transport=httpx.ASGITransport(app=app),
        retry=FAST,
        project_id=project_id,
    ) as client:
        yield client


async def model_with(client: Scenario, images: int) -> str:
    model = await client.create_model(type="flux.1-lora", name="m")
    for n in range(images):
        await client.add_training_image(
            model.id, name=f"i{n}.png", data=_png(n + 1), mime="image/png"
        )
    return model.id


# --- item 2: complete image lists ----------------------------------------------------------


@synchronous
async def test_a_truncated_read_is_completed_with_get_bulk(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path, "truncate-images")) as client:
        model_id = await model_with(client, 5)
        model = await client.get_model(model_id)
        assert (model.complete, len(model.images), model.training_images_number) == (True, 5, 5)
        assert client.requests["POST /models/get-bulk"] == 1


@synchronous
async def test_a_complete_read_needs_no_get_bulk(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path)) as client:
        model = await client.get_model(await model_with(client, 5))
        assert (model.complete, len(model.images)) == (True, 5)
        assert client.requests["POST /models/get-bulk"] == 0


@synchronous
async def test_a_list_still_short_after_get_bulk_is_refused(tmp_path: Path) -> None:
    async with client_of(Truncating(app_with(tmp_path))) as client:
        model_id = await model_with(client, 5)
        with pytest.raises(IncompleteModelError) as caught:
            await client.get_model(model_id)
    assert caught.value.message == (
        f"read model {model_id}: the API shows 3 of its 5 training files, even when asked for "
        "all of them (get-bulk allTrainingImages): trainops never works from a partial list"
    )
    assert caught.value.model.complete is False
    assert len(caught.value.model.preview) == 3


@synchronous
async def test_get_models_bulk_reads_every_image_or_the_preview(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path, "truncate-images")) as client:
        ids = [await model_with(client, 4), await model_with(client, 1)]
        full = await client.get_models_bulk([*ids, "model_gone"])
        assert [(m.id, m.complete, len(m.images)) for m in full] == [
            (ids[0], True, 4),
            (ids[1], True, 1),
        ]
        preview = await client.get_models_bulk(ids, all_training_images=False)
        assert [(m.complete, len(m.preview), m.images_count) for m in preview] == [
            (False, 3, 4),
            (False, 1, 1),
        ]


# --- item 5: soft-deleted models -----------------------------------------------------------


@synchronous
async def test_a_listed_model_marked_deleted_is_left_out(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path, "list-deleted")) as client:
        kept, gone = await model_with(client, 0), await model_with(client, 0)
        await client.delete_model(gone)
        assert [m.id for m in await client.list_models()] == [kept]
        every = await client.list_models(include_deleted=True)
        assert {m.id: m.deleted_at is not None for m in every} == {kept: False, gone: True}


# --- item 6: pagination --------------------------------------------------------------------


@synchronous
async def test_a_repeated_model_page_token_is_an_error_not_a_loop(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path, "repeat-token")) as client:
        await model_with(client, 0)
        with pytest.raises(PaginationError) as caught:
            await client.list_models()
        assert client.requests["GET /models"] == 2
    assert caught.value.message == (
        "list models: the API answered page 2 with a pagination token it had already given: "
        "following it would loop without end"
    )


@synchronous
async def test_a_repeated_job_page_token_is_an_error_not_a_loop(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path, "repeat-token")) as client:
        model_id = await model_with(client, 1)
        await client.train(model_id, {})
        with pytest.raises(PaginationError, match=r"^list jobs: the API answered page 2"):
            await client.list_jobs()


@synchronous
async def test_pages_of_one_follow_distinct_tokens_to_the_end(tmp_path: Path) -> None:
    async with client_of(app_with(tmp_path)) as client:
        ids = {await model_with(client, 0) for _ in range(3)}
        pages = [page async for page in client.model_pages(page_size=1)]
        assert {m.id for page in pages for m in page} == ids
        assert len(pages) >= 3


@synchronous
async def test_a_listing_that_never_ends_stops_at_max_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainops.scenario import calls as module

    monkeypatch.setattr(module, "MAX_PAGES", 2)
    async with client_of(app_with(tmp_path)) as client:
        for _ in range(3):
            await model_with(client, 0)
        with pytest.raises(PaginationError, match=r"^list models: more than 2 pages"):
            [page async for page in client.model_pages(page_size=1)]


# --- item 7: quota bodies ------------------------------------------------------------------


@pytest.mark.parametrize("switch", [None, "quota-in-details", "quota-details-list"])
@synchronous
async def test_a_team_limit_inside_details_is_a_quota_error_at_once(
    tmp_path: Path, switch: str | None
) -> None:
    app = app_with(tmp_path, *([switch] if switch else []), limits=Limits(max_dataset_images=1))
    async with client_of(app) as client:
        model_id = await model_with(client, 1)
        with pytest.raises(QuotaError) as caught:
            await model_with(client, 1)
        assert client.requests["POST /models/{id}/training-images"] == 2  # never retried
    assert (caught.value.action, caught.value.limit) == ("add-training-image", 1)
    assert "team limit reached for add-training-image (limit 1)" in caught.value.message
    assert model_id


@pytest.mark.parametrize("switch", [None, "quota-in-details", "quota-details-list"])
@synchronous
async def test_a_cooldown_inside_details_is_a_quota_error_at_once(
    tmp_path: Path, switch: str | None
) -> None:
    limits = Limits(launch_cooldown_s=30)
    app = app_with(tmp_path, *([switch] if switch else []), limits=limits)
    async with client_of(app) as client:
        first, second = await model_with(client, 1), await model_with(client, 1)
        await client.train(first, {})
        with pytest.raises(QuotaError) as caught:
            await client.train(second, {})
        assert client.requests["PUT /models/{id}/train"] == 2
    assert caught.value.remaining_seconds is not None
    assert 25 < caught.value.remaining_seconds <= 30


# --- item 10: projectId --------------------------------------------------------------------


@synchronous
async def test_the_project_id_goes_on_every_call(tmp_path: Path) -> None:
    recorder = Recorder(app_with(tmp_path, "truncate-images"))
    async with client_of(recorder, project_id="proj_1") as client:
        model_id = await model_with(client, 4)
        await client.get_model(model_id)
        await client.update_model(model_id, name="n")
        await client.list_models()
        job_id = await client.train(model_id, {})
        await client.get_job(job_id)
        await client.list_jobs()
    assert {p for _m, p, _q in recorder.seen} >= {"/v1/models/get-bulk", "/v1/jobs"}
    assert all(q.get("projectId") == ["proj_1"] for _m, _p, q in recorder.seen)


@synchronous
async def test_no_project_id_is_sent_unless_set(tmp_path: Path) -> None:
    recorder = Recorder(app_with(tmp_path))
    async with client_of(recorder) as client:
        await client.get_model(await model_with(client, 1))
    assert not any("projectId" in q for _m, _p, q in recorder.seen)
