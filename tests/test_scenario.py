from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from inline_snapshot import snapshot
from scenario_sdk import APIStatusError

from trainops.errors import ApiError, ConfigError, QuotaError
from trainops.scenario import (
    RetryPolicy,
    Scenario,
    request_kind,
    status_error,
)

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def _status(status: int, body: object, headers: dict[str, str] | None = None) -> APIStatusError:
    request = httpx.Request("PUT", "https://api.example/v1/models/m1/train")
    response = httpx.Response(status, json=body, headers=headers, request=request)
    return APIStatusError("x", response=response, body=body)


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
            "free capacity (finish or cancel trainings, remove images) or raise the plan",
        )
    )


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


def test_from_env_accepts_the_sdk_variable_names() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"models": []})

    env = {
        "SCENARIO_SDK_API_KEY": "key",
        "SCENARIO_SDK_API_SECRET": "secret",
        "SCENARIO_BASE_URL": "http://api.test/v1",
    }

    async def go() -> list[dict[str, Any]]:
        async with Scenario.from_env(env, transport=httpx.MockTransport(handler)) as client:
            return await client.list_models()

    assert run(go()) == []
    assert str(seen[0].url) == "http://api.test/v1/models?pageSize=500"
    assert seen[0].headers["authorization"] == "Basic a2V5OnNlY3JldA=="
