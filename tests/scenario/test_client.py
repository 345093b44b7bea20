from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import Serve
from trainops.errors import AmbiguousWriteError, ApiError, ConfigError, QuotaError
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Fault
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import (
    RetryPolicy,
    Scenario,
    request_kind,
)
from trainops.scenario.retry import status_error
from trainops.scenario.wire import StatusError

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)


def _status(status: int, body: object, headers: dict[str, str] | None = None) -> StatusError:
    request = httpx.Request("PUT", "https://api.example/v1/models/m1/train")
    return StatusError(httpx.Response(status, json=body, headers=headers, request=request))


# --- pure pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kind"),
    [
        ("GET", "http://h/v1/models?pageSize=500", "GET /models"),
        ("GET", "http://h/v1/models/model_abc", "GET /models/{id}"),
        ("POST", "http://h/v1/models/get-bulk", "POST /models/get-bulk"),
        ("PUT", "http://h/v1/models/m/train?dryRun=true", "PUT /models/{id}/train?dryRun"),
        ("PUT", "http://h/v1/models/m/train", "PUT /models/{id}/train"),
        (
            "PUT",
            "http://h/v1/models/m/training-images/pairs",
            "PUT /models/{id}/training-images/pairs",
        ),
        (
            "DELETE",
            "http://h/v1/models/m/training-images/asset_1",
            "DELETE /models/{id}/training-images/{id}",
        ),
        ("GET", "http://h/v1/jobs/job_1", "GET /jobs/{id}"),
    ],
)
def test_request_kind_folds_ids(method: str, url: str, kind: str) -> None:
    assert request_kind(method, httpx.URL(url)) == kind


def test_quota_429_naming_a_team_limit_is_a_quota_error() -> None:
    body = {
        "apiError": "too-many-requests",
        "message": "Team limit reached",
        "action": "add-training-image",
        "actionLimit": 100,
    }
    err = status_error("upload a.png to model m1", _status(429, body))
    assert isinstance(err, QuotaError)
    assert (err.action, err.limit, err.remaining_seconds) == ("add-training-image", 100.0, None)
    assert (err.message, err.hint) == snapshot(
        (
            "upload a.png to model m1: team limit reached for add-training-image (limit 100): "
            "Team limit reached",
            "the team's dataset ceiling of 100 training images is reached and waiting does not "
            "lift it: remove training images from the team's models, or raise the plan",
        )
    )
    assert not err.waitable


def test_cooldown_429_is_a_quota_error_with_remaining_seconds() -> None:
    body = {"message": "Too many launches", "details": {"remainingSeconds": 42}}
    err = status_error("train model m1", _status(429, body))
    assert isinstance(err, QuotaError)
    assert err.remaining_seconds == 42.0
    assert (err.message, err.hint) == snapshot(
        (
            "train model m1: cooldown, 42s remaining: Too many launches",
            "wait 42 seconds, then run apply again",
        )
    )


def test_plain_429_and_400_are_api_errors_with_the_api_message() -> None:
    rate = status_error("list models", _status(429, {"message": "slow down"}))
    bad = status_error("train model m1", _status(400, {"message": "Model is already training"}))
    assert type(rate) is ApiError
    assert type(bad) is ApiError
    assert (bad.message, bad.status, bad.hint) == snapshot(
        (
            "train model m1: Model is already training (400)",
            400,
            "fix the manifest and run again",
        )
    )


def test_401_names_the_variables_to_check() -> None:
    err = status_error("list models", _status(401, {"message": "Unauthorized"}))
    assert isinstance(err, ConfigError)
    assert (err.message, err.hint) == snapshot(
        (
            "list models: the API refused the credentials (401)",
            "check SCENARIO_API_KEY and SCENARIO_API_SECRET (and SCENARIO_BASE_URL)",
        )
    )


# --- construction ----------------------------------------------------------------------------


def test_from_env_without_credentials_says_what_to_set() -> None:
    with pytest.raises(ConfigError) as exc:
        Scenario.from_env({"SCENARIO_API_KEY": "k"})
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "missing Scenario API credentials: SCENARIO_API_SECRET not set",
            "export SCENARIO_API_KEY and SCENARIO_API_SECRET (or SCENARIO_SDK_API_KEY and "
            "SCENARIO_SDK_API_SECRET), or run with --sandbox",
        )
    )


@synchronous
async def test_from_env_accepts_the_sdk_variable_names() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"models": []})

    env = {
        "SCENARIO_SDK_API_KEY": "key",
        "SCENARIO_SDK_API_SECRET": "secret",
        "SCENARIO_BASE_URL": "http://api.test/v1",
    }
    async with Scenario.from_env(env, transport=httpx.MockTransport(handler)) as client:
        assert await client.list_models() == []
    assert str(seen[0].url) == "http://api.test/v1/models?pageSize=500"
    assert seen[0].headers["authorization"] == "Basic a2V5OnNlY3JldA=="


# --- against the sandbox, in-process and over real HTTP ------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _client(app: Starlette, retry: RetryPolicy = FAST) -> Scenario:
    return sandbox_client(Path("unused.db"), app=app, retry=retry)


def _faults(app: Starlette, *faults: Fault) -> None:
    app.state.sandbox.faults.replace(list(faults))


def _limits(app: Starlette, **changes: float) -> None:
    app.state.sandbox.limits = app.state.sandbox.limits.merged(changes)


async def _model_with_image(client: Scenario, name: str = "m") -> str:
    model_id = (await client.create_model(type="flux.1-lora", name=name)).id
    await client.add_training_image(model_id, name="a.png", data=PNG, mime="image/png")
    return model_id


@synchronous
async def test_reads_retry_429_honouring_retry_after_and_500(sandbox: Starlette) -> None:
    # A fault set fires all its matching faults on one request, so one kind per route.
    _faults(
        sandbox,
        Fault("GET", r"/models$", "429", times=1, retry_after=0.3),
        Fault("GET", r"/jobs$", "500", times=2),
    )
    async with _client(sandbox) as client:
        start = time.monotonic()
        models = await client.list_models()
        elapsed = time.monotonic() - start
        assert await client.list_jobs() == []
    assert models == []
    assert client.requests == {"GET /models": 2, "GET /jobs": 3}
    assert elapsed >= 0.3  # waited as long as Retry-After said, not the 10 ms backoff


@synchronous
async def test_a_retry_after_beyond_the_cap_fails_instead_of_waiting(sandbox: Starlette) -> None:
    _faults(sandbox, Fault("GET", r"/models$", "429", times=1, retry_after=120))
    async with _client(sandbox) as client:
        with pytest.raises(ApiError) as exc:
            await client.list_models()
        assert exc.value.status == 429
    assert client.requests == {"GET /models": 1}


@synchronous
async def test_reads_give_up_after_the_attempts_of_the_policy(sandbox: Starlette) -> None:
    _faults(sandbox, Fault("GET", r"/models/", "500"))
    async with _client(sandbox) as client:
        with pytest.raises(ApiError) as exc:
            await client.get_model("model_x")
        assert (exc.value.status, exc.value.hint) == (500, "the API failed: try again later")
    assert client.requests == {"GET /models/{id}": FAST.attempts}


@synchronous
async def test_create_and_train_are_never_retried_on_500(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model_id = await _model_with_image(client)
        _faults(
            sandbox,
            Fault("POST", r"/models$", "500", times=1),
            Fault("PUT", r"/train$", "500", times=1),
        )
        client.requests.clear()
        with pytest.raises(AmbiguousWriteError):
            await client.create_model(type="flux.1-lora", name="again")
        with pytest.raises(AmbiguousWriteError) as exc:
            await client.train(model_id, {})
        assert (exc.value.message, exc.value.hint) == snapshot(
            (
                f"train model {model_id}: the API answered 500; "
                "the API may or may not have done it",
                "run apply again: it re-reads the model and does only what is missing",
            )
        )
        requests = Counter(client.requests)
        assert await client.list_jobs() == []
    assert requests == {"POST /models": 1, "PUT /models/{id}/train": 1}


@synchronous
async def test_a_transient_429_on_train_is_retried_and_trains_exactly_once(
    sandbox: Starlette,
) -> None:
    async with _client(sandbox) as client:
        model_id = await _model_with_image(client)
        _faults(sandbox, Fault("PUT", r"/train$", "429", times=1, retry_after=0))
        client.requests.clear()
        job_id = await client.train(model_id, {"maxTrainSteps": 100})
        requests = Counter(client.requests)
        jobs = await client.list_jobs()
    assert requests == {"PUT /models/{id}/train": 2}
    assert [j.id for j in jobs] == [job_id]


@synchronous
async def test_quota_refusals_are_raised_at_once(sandbox: Starlette) -> None:
    _limits(sandbox, max_dataset_images=1, launch_cooldown_s=600)
    async with _client(sandbox) as client:
        first = await _model_with_image(client, "first")
        with pytest.raises(QuotaError) as full:
            await client.add_training_image(first, name="b.png", data=PNG, mime="image/png")
        assert (full.value.action, full.value.limit) == ("add-training-image", 1.0)
        await client.train(first, {})
        other = (await client.create_model(type="flux.1-lora")).id
        _limits(sandbox, max_dataset_images=2)
        await client.add_training_image(other, name="c.png", data=PNG, mime="image/png")
        client.requests.clear()
        with pytest.raises(QuotaError) as cooldown:
            await client.train(other, {})
        assert cooldown.value.remaining_seconds is not None
        assert cooldown.value.remaining_seconds > 500
    assert client.requests == {"PUT /models/{id}/train": 1}


@synchronous
async def test_idempotent_writes_retry_and_tags_keep_hand_added_ones(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model_id = (await client.create_model(type="flux.1-lora")).id
        await client.update_tags(model_id, add=["hand-made", "trainops:ws/old"])
        _faults(sandbox, Fault("PUT", r"/tags$", "500", times=1))
        client.requests.clear()
        await client.update_tags(model_id, add=["trainops:ws/new"], delete=["trainops:ws/old"])
        model = await client.get_model(model_id)
    assert sorted(model.tags) == ["hand-made", "trainops:ws/new"]
    assert client.requests == {"PUT /models/{id}/tags": 2, "GET /models/{id}": 1}


@synchronous
async def test_captions_are_set_and_deleting_twice_is_fine(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model_id = (await client.create_model(type="flux.1-lora")).id
        image = await client.add_training_image(
            model_id, name="a.png", data=PNG, mime="image/png", description="a red cat"
        )
        with_caption = await client.get_model(model_id)
        await client.delete_training_image(model_id, image.id)
        await client.delete_training_image(model_id, image.id)
        after = await client.get_model(model_id)
    assert [i.description for i in with_caption.images] == ["a red cat"]
    assert after.images_count == 0


@synchronous
async def test_dry_run_prices_without_training(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        empty = (await client.create_model(type="flux.1-lora")).id
        for_8 = await client.dry_run(empty, {"maxTrainSteps": 800}, training_images_count=8)
        for_1 = await client.dry_run(empty, {"maxTrainSteps": 100}, training_images_count=1)
        jobs, model = await client.list_jobs(), await client.get_model(empty)
    assert for_8.cost is not None
    assert for_1.cost is not None
    assert for_8.cost > for_1.cost
    assert dict(for_8.details) == {"train-model": for_8.cost}
    assert jobs == []
    assert model.status == "new"


@synchronous
async def test_wrong_credentials_are_a_config_error(sandbox: Starlette) -> None:
    with pytest.raises(ConfigError) as exc:
        async with Scenario(
            api_key="nope",
            api_secret="wrong",
            base_url="http://sandbox.invalid/v1",
            transport=httpx.ASGITransport(app=sandbox),
        ) as client:
            await client.list_models()
    assert "wrong" not in f"{exc.value.message} {exc.value.hint}"


@synchronous
async def test_list_models_follows_pages(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        await asyncio.gather(*(client.create_model(type="flux.1-lora") for _ in range(503)))
        client.requests.clear()
        assert len(await client.list_models()) == 503
    assert client.requests == {"GET /models": 2}


@synchronous
async def test_a_timed_out_train_is_ambiguous_because_the_server_acted(
    sandbox: Starlette, serve: Serve
) -> None:
    async with Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=serve(sandbox),
        timeout=0.5,
        retry=FAST,
    ) as client:
        model_id = await _model_with_image(client)
        _faults(
            sandbox,
            Fault("PUT", r"/train$", "slow", times=1, seconds=1.0),
            Fault("GET", r"/models/", "slow", times=1, seconds=1.0),
        )
        client.requests.clear()
        with pytest.raises(AmbiguousWriteError) as exc:
            await client.train(model_id, {})
        assert "timed out" in exc.value.message
        # The read times out once, is retried, and shows what the train did.
        model, jobs = await client.get_model(model_id), await client.list_jobs()
    assert model.status == "training"
    assert len(jobs) == 1
    assert client.requests == {"PUT /models/{id}/train": 1, "GET /models/{id}": 2, "GET /jobs": 1}


@synchronous
async def test_list_jobs_keeps_paging_past_an_empty_page_with_a_token() -> None:
    pages = {
        None: {"jobs": [{"jobId": "job_1", "status": "success"}], "nextPaginationToken": "t1"},
        "t1": {"jobs": [], "nextPaginationToken": "t2"},
        "t2": {"jobs": [{"jobId": "job_2", "status": "queued"}]},
    }

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params.get("paginationToken")])

    async with Scenario(
        api_key="k", api_secret="s", transport=httpx.MockTransport(api), retry=FAST
    ) as client:
        jobs = await client.list_jobs(type="flux-model-training")
    assert [j.id for j in jobs] == ["job_1", "job_2"]


async def _four_reads(client: Scenario) -> float:
    """How long reading four (missing) models takes, all started at once."""
    start = time.monotonic()
    ids = ["model_a", "model_b", "model_c", "model_d"]
    results = await asyncio.gather(*(client.get_model(i) for i in ids), return_exceptions=True)
    assert all(isinstance(r, ApiError) and r.status == 404 for r in results)
    return time.monotonic() - start


@synchronous
async def test_parallelism_bounds_concurrent_calls(sandbox: Starlette) -> None:
    _faults(sandbox, Fault("GET", r"/models/", "latency", seconds=0.2))
    async with sandbox_client(Path("unused.db"), app=sandbox, parallelism=2, retry=FAST) as two:
        assert await _four_reads(two) >= 0.4  # two waves of two
    async with sandbox_client(Path("unused.db"), app=sandbox, parallelism=4, retry=FAST) as four:
        assert await _four_reads(four) < 0.4  # one wave


@synchronous
async def test_set_parallelism_bounds_the_calls_made_after_it(sandbox: Starlette) -> None:
    _faults(sandbox, Fault("GET", r"/models/", "latency", seconds=0.2))
    async with sandbox_client(Path("unused.db"), app=sandbox, parallelism=1, retry=FAST) as raised:
        await raised.list_models()  # not delayed
        raised.set_parallelism(4)
        assert await _four_reads(raised) < 0.4  # one wave: raised
    async with sandbox_client(Path("unused.db"), app=sandbox, parallelism=4, retry=FAST) as lowered:
        await lowered.list_models()
        lowered.set_parallelism(2)
        assert await _four_reads(lowered) >= 0.4  # two waves: lowered


@synchronous
async def test_api_errors_never_carry_a_secret_parameter_back() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        # An API that echoes the request in its error, the worst case.
        return httpx.Response(400, json={"message": f"bad body {request.content.decode()}"})

    secret = "wandb-0123456789abcdef"
    errors: list[ApiError] = []
    async with Scenario(
        api_key="k", api_secret="s", transport=httpx.MockTransport(api), retry=FAST
    ) as client:
        for call in (
            client.train("model_1", {"wandbKey": secret, "nbEpochs": 2}),
            client.dry_run("model_1", {"wandbKey": secret}),
            client.update_model("model_1", parameters={"wandbKey": secret}),
        ):
            with pytest.raises(ApiError) as exc:
                await call
            errors.append(exc.value)
    assert len(errors) == 3
    for err in errors:
        assert secret not in f"{err.message} {err.hint}"
        assert "***" in err.message


@synchronous
async def test_a_dry_run_not_answered_with_269_is_an_error() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"creativeUnitsCost": 5})

    async with Scenario(
        api_key="k", api_secret="s", transport=httpx.MockTransport(api), retry=FAST
    ) as client:
        with pytest.raises(ApiError) as exc:
            await client.dry_run("model_1", {})
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "price the training of model model_1: the API answered 200 instead of 269 "
            "to a dry run, so it may have started a real training",
            "check model model_1 and its jobs before running apply",
        )
    )


@synchronous
async def test_model_writes_pairs_cancel_and_delete(tmp_path: Path) -> None:
    async with sandbox_client(tmp_path / "state" / "sandbox.db", retry=FAST) as client:
        model = await client.create_model(type="flux.1-kontext-lora", short_description="d")
        model_id = model.id
        ids = [
            (await client.add_training_image(model_id, name=n, data=PNG, mime="image/png")).id
            for n in ("s.png", "t.png")
        ]
        await client.replace_pairs(
            model_id, [{"sourceId": ids[0], "targetId": ids[1], "instruction": "paint it"}]
        )
        updated = await client.update_model(model_id, name="renamed", parameters={"nbEpochs": 2})
        other = (await client.create_model(type="flux.1-lora")).id
        await client.add_training_image(other, name="a.png", data=PNG, mime="image/png")
        await client.train(other, {})
        canceled = await client.cancel_training(other)
        await client.delete_model(other)
        await client.delete_model(other)
        remaining = await client.list_models()
    assert (updated.name, updated.parameters, updated.pairs[0].instruction) == (
        "renamed",
        {"nbEpochs": 2},
        "paint it",
    )
    assert canceled.status in ("training-canceled", "training")
    assert [m.name for m in remaining] == ["renamed"]


@synchronous
async def test_download_fetches_image_bytes_retrying_a_500(sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model_id = (await client.create_model(type="flux.1-lora")).id
        image = await client.add_training_image(model_id, name="a.png", data=PNG, mime="image/png")
        _faults(sandbox, Fault("GET", r"/files/", "500", times=1))
        client.requests.clear()
        data = await client.download(image.download_url)
    assert data == PNG
    assert client.requests == {"GET /files/{id}": 2}
