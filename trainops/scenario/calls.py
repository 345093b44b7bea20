"""What the calls of each noun (`models`, `assets`, `training`) are written against: one request
under the retry rules of its kind, the retry loop itself, a listing's pages. `Scenario`
(`trainops.scenario.client`) holds the state they use: the http client, the credentials, the
bound on concurrent requests and the retry policy.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TypeVar

import httpx

from trainops.backoff import RetryPolicy
from trainops.errors import PaginationError
from trainops.live import LiveModel
from trainops.scenario.replies import BadReply
from trainops.scenario.retry import CallKind, Failure, on_bad_reply, on_status, on_transport
from trainops.scenario.wire import StatusError, query, send

T = TypeVar("T")

# Pages followed before a listing is refused as endless: 500,000 models, 100,000 jobs.
MAX_PAGES = 1000


class Calls(abc.ABC):
    """The request primitives of `Scenario`, for its per-noun base classes."""

    project_id: str | None
    _http: httpx.AsyncClient
    _headers: dict[str, str]
    _sem: asyncio.Semaphore
    _retry: RetryPolicy

    # The assets' calls read the model back after an ambiguous add: `ModelCalls.get_model`.
    @abc.abstractmethod
    async def get_model(self, model_id: str, *, original_assets: bool = False) -> LiveModel:
        """The model in full, every training image."""

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
