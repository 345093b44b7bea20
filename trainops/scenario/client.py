"""The one adapter over the Scenario API: auth, timeouts, bounded concurrency, paging, and the
retry policy per call kind (`read`, `idempotent`, `create`; see `trainops.scenario.retry`).

It speaks plain httpx (`trainops.scenario.wire`), not `scenario-sdk`, whose import builds over a
hundred pydantic modules: most of the time of a re-plan with nothing to do. The SDK stays the
ground truth in tests: `tests/scenario/test_wire.py` checks that every method sends the request
the SDK sends for the same call. Nor do we retry the SDK's way: it retries every method, the
non-idempotent ones included, and 429s that name a team limit, which only time can lift.
The calls live by noun, one base class each: `models`, `assets` (training images and uploads),
`training` (trainings and jobs); this class holds what they are written against (`calls`).
Methods return the values of `trainops.live` (built by `trainops.scenario.parse`), ids, or None:
the API's JSON goes no further. `Scenario.requests` counts every HTTP request sent (retries
included) by `request_kind`, for the benchmark.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import TypeVar

import httpx

from trainops import redact
from trainops.backoff import RetryPolicy
from trainops.errors import PaginationError
from trainops.live import DryRun
from trainops.scenario import credentials
from trainops.scenario.assets import AssetCalls
from trainops.scenario.credentials import DEFAULT_BASE_URL
from trainops.scenario.models import ModelCalls
from trainops.scenario.replies import BadReply
from trainops.scenario.retry import (
    DEFAULT_POLICY,
    CallKind,
    Failure,
    on_bad_reply,
    on_status,
    on_transport,
)
from trainops.scenario.training import TrainingCalls
from trainops.scenario.wire import StatusError, api_headers, query, request_kind, send, tls

__all__ = ["DryRun", "RetryPolicy", "Scenario", "request_kind"]

T = TypeVar("T")

DEFAULT_PARALLELISM = 8
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# Pages followed before a listing is refused as endless: 500,000 models, 100,000 jobs.
MAX_PAGES = 1000


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

    # --- the request primitives of `Calls` -----------------------------------------------------

    async def _retrying(self, once: Callable[[int], Awaitable[T | Failure]]) -> T:
        """`once(attempt)` until it gives a value, or a failure not to retry."""
        attempt = 0
        while True:
            attempt += 1
            result = await once(attempt)
            if not isinstance(result, Failure):
                return result
            if result.delay is None:
                raise result.error
            # Sleep outside the semaphore so a backing-off call does not block the others.
            await asyncio.sleep(result.delay)

    async def _call(
        self,
        kind: CallKind,
        what: str,
        fn: Callable[[], Awaitable[httpx.Response]],
        read: Callable[[httpx.Response], T],
    ) -> T:
        """`fn()` (one request), its reply made values by `read`, under the retry rules of
        `kind`. Reading is part of the attempt: a reply that cannot be read (`BadReply`) is
        retried or ambiguous like one lost on the way, never a crash half-way through apply."""

        async def once(attempt: int) -> T | Failure:
            try:
                async with self._sem:
                    response = await fn()
                return read(response)
            except StatusError as exc:
                return on_status(self._retry, kind, what, exc, attempt)
            except BadReply as exc:
                return on_bad_reply(self._retry, kind, what, exc, attempt)
            except httpx.RequestError as exc:
                # Not only TransportError: a reply that cannot be decoded or too many redirects
                # were "connection errors" to the SDK too, and for a create just as ambiguous.
                return on_transport(self._retry, kind, what, exc, attempt)

        return await self._retrying(once)

    def _api(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        body: object = None,
    ) -> Callable[[], Awaitable[httpx.Response]]:
        """One API request as a thunk for `_call`, which sends it again on a retry."""
        if self.project_id is not None:
            params = {"projectId": self.project_id, **(params or {})}
        encoded = query(params) if params else None

        async def call() -> httpx.Response:
            return await send(
                self._http, method, path, headers=self._headers, params=encoded, body=body
            )

        return call

    async def _pages(
        self,
        what: str,
        path: str,
        params: Mapping[str, object],
        read: Callable[[httpx.Response], tuple[list[T], str | None]],
    ) -> AsyncIterator[list[T]]:
        """Each page of a listing, following `nextPaginationToken` until it is absent. A page may
        be empty with a token (the jobs'): go on. A token seen before, or more than `MAX_PAGES`
        pages, is `PaginationError`: never a loop without end."""
        seen: set[str] = set()
        token: str | None = None
        for number in range(1, MAX_PAGES + 1):
            get = self._api("GET", path, params={**params, "paginationToken": token})
            items, token = await self._call("read", what, get, read)
            yield items
            if not token:
                return
            if token in seen:
                raise PaginationError(
                    f"{what}: the API answered page {number} with a pagination token it had "
                    "already given: following it would loop without end",
                    hint="run again; if it persists, the listing is broken on the API's side: "
                    "report it to Scenario",
                )
            seen.add(token)
        raise PaginationError(
            f"{what}: more than {MAX_PAGES} pages: stopped rather than read on without end",
            hint="run again; if it persists, the listing is broken on the API's side: "
            "report it to Scenario",
        )
