"""The one adapter over the Scenario API: auth, timeouts, bounded concurrency, paging, and the
retry policy per call kind (`read`, `idempotent`, `create`; see `trainops.scenario.retry`).

It speaks plain httpx (`trainops.scenario.wire`), not `scenario-sdk`, whose import builds over a
hundred pydantic modules: most of the time of a re-plan with nothing to do. The SDK stays the
ground truth in tests: `tests/scenario/test_wire.py` checks that every method sends the request
the SDK sends for the same call. Nor do we retry the SDK's way: it retries every method, the
non-idempotent ones included, and 429s that name a team limit, which only time can lift.
The calls live by noun, one base class each: `models`, `assets` (training images and uploads),
`training` (trainings and jobs), over the request primitives and paging of `calls`; this class
holds the http client, the credentials and the retry policy they use.
Methods return the values of `trainops.live` (built by `trainops.scenario.parse`), ids, or None:
the API's JSON goes no further. `Scenario.requests` counts every HTTP request sent (retries
included) by `request_kind`, for the benchmark.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from types import TracebackType

import httpx

from trainops import redact
from trainops.backoff import RetryPolicy
from trainops.live import DryRun
from trainops.scenario import credentials
from trainops.scenario.assets import AssetCalls
from trainops.scenario.credentials import DEFAULT_BASE_URL
from trainops.scenario.models import ModelCalls
from trainops.scenario.retry import DEFAULT_POLICY
from trainops.scenario.training import TrainingCalls
from trainops.scenario.wire import api_headers, request_kind, tls

__all__ = ["DryRun", "RetryPolicy", "Scenario", "request_kind"]

DEFAULT_PARALLELISM = 8
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class Scenario(ModelCalls, AssetCalls, TrainingCalls):
    """An async Scenario API client with trainops's retry policy. Use as `async with`."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        parallelism: int = DEFAULT_PARALLELISM,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_POLICY,
        project_id: str | None = None,
    ) -> None:
        self.requests: Counter[str] = Counter()
        # trainops.yaml's `projectId`: sent on every API call (they all take it), to assert the
        # project of what trainops reads and writes.
        self.project_id = project_id or None
        self._retry = retry
        self._sem = asyncio.Semaphore(max(1, parallelism))
        self._headers = api_headers(api_key, api_secret)
        redact.register_credentials(api_key, api_secret)
        self._http = httpx.AsyncClient(
            transport=transport,
            base_url=base_url,
            verify=tls(),
            timeout=timeout,
            # Unbounded: the semaphore is the bound, and `set_parallelism` may raise it later.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
            follow_redirects=True,
            event_hooks={"request": [self._count]},
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        parallelism: int = DEFAULT_PARALLELISM,
        retry: RetryPolicy = DEFAULT_POLICY,
        transport: httpx.AsyncBaseTransport | None = None,
        project_id: str | None = None,
    ) -> Scenario:
        creds = credentials.from_env(environ)
        return cls(
            api_key=creds.api_key,
            api_secret=creds.api_secret,
            base_url=creds.base_url,
            parallelism=parallelism,
            transport=transport,
            retry=retry,
            project_id=project_id,
        )

    def set_parallelism(self, parallelism: int) -> None:
        """Bound concurrent requests to `parallelism` from now on; requests already in flight
        keep their place under the old bound. A plan opens its client before the workspace
        settings are loaded, so as to have the first list page in flight meanwhile, then sets
        the workspace's bound here, before it fans out."""
        self._sem = asyncio.Semaphore(max(1, parallelism))

    async def __aenter__(self) -> Scenario:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _count(self, request: httpx.Request) -> None:
        self.requests[request_kind(request.method, request.url)] += 1
