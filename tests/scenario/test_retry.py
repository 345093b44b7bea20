"""What a refusal says: a 429 whose Retry-After is too long to wait says how long (issue 11,
item 9); the team caps (quota 429s) are not retried, whatever they say."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from trainops.backoff import RetryPolicy
from trainops.errors import ApiError, QuotaError
from trainops.sandbox import Fault
from trainops.sandbox.client import sandbox_client
from trainops.scenario.retry import on_download_status, on_status, retry_after
from trainops.scenario.wire import StatusError

POLICY = RetryPolicy()
RATE_LIMITED = {"apiError": "too-many-requests", "message": "Too many requests"}


def _429(headers: dict[str, str], body: object = RATE_LIMITED) -> StatusError:
    request = httpx.Request("GET", "https://api.example/v1/models")
    return StatusError(httpx.Response(429, json=body, headers=headers, request=request))


@pytest.mark.parametrize(
    ("seconds", "said"),
    [("61", "61 s"), ("300", "5 min"), ("5400", "90 min"), ("7200", "2 h"), ("9000", "2 h 30 min")],
)
def test_a_retry_after_over_a_minute_fails_at_once_saying_how_long(seconds: str, said: str) -> None:
    failure = on_status(POLICY, "read", "list models", _429({"Retry-After": seconds}), 1)
    assert failure.delay is None
    assert isinstance(failure.error, ApiError)
    assert failure.error.status == 429
    assert (failure.error.message, failure.error.hint) == (
        f"list models: rate limited by the API: retry after {said} (Too many requests)",
        f"wait {said}, then run again",
    )


def test_a_retry_after_within_the_cap_is_waited() -> None:
    failure = on_status(POLICY, "read", "list models", _429({"Retry-After": "2"}), 1)
    assert failure.delay == 2.0


def test_a_retry_after_given_as_a_date_is_honoured() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    header = format_datetime(now + timedelta(minutes=10), usegmt=True)
    assert retry_after(_429({"Retry-After": header}).response, now.timestamp) == 600.0


def test_a_download_refused_for_an_hour_is_not_waited_for() -> None:
    request = httpx.Request("GET", "https://cdn.example/a.png")
    response = httpx.Response(429, headers={"Retry-After": "3600"}, request=request)
    failure = on_download_status(POLICY, "https://cdn.example/a.png", response, 1)
    assert failure.delay is None
    assert isinstance(failure.error, ApiError)
    assert failure.error.message == (
        "download https://cdn.example/a.png: rate limited by the API: retry after 60 min"
    )


def test_a_team_cap_is_a_quota_error_whatever_its_retry_after() -> None:
    body = {"message": "Parallel trainings limit reached", "action": "parallel-training"}
    failure = on_status(POLICY, "create", "train model m1", _429({"Retry-After": "600"}, body), 1)
    assert failure.delay is None
    assert isinstance(failure.error, QuotaError)
    assert failure.error.action == "parallel-training"


@synchronous
async def test_the_client_says_how_long_the_sandbox_asked_to_wait(sandbox: Starlette) -> None:
    sandbox.state.sandbox.faults.replace([Fault("GET", r"/models$", "429", retry_after=300)])
    async with sandbox_client(Path("unused.db"), app=sandbox) as client:
        with pytest.raises(ApiError) as caught:
            await client.list_models()
    assert (caught.value.message, caught.value.hint) == (
        "list models: rate limited by the API: retry after 5 min (Injected sandbox fault: rate "
        "limited)",
        "wait 5 min, then run again",
    )
