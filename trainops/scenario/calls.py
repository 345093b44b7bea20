"""What the calls of each noun (`models`, `assets`, `training`) are written against: one request
under the retry rules, a listing's pages, the retry loop itself. `Scenario`
(`trainops.scenario.client`) implements them, with the http client, the credentials and the
retry policy, so that a noun's module holds only what its calls send and read.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TypeVar

import httpx

from trainops.backoff import RetryPolicy
from trainops.live import LiveModel
from trainops.scenario.retry import CallKind, Failure

T = TypeVar("T")


class Calls(abc.ABC):
    """The request primitives of `Scenario`, for its per-noun base classes."""

    _http: httpx.AsyncClient
    _sem: asyncio.Semaphore
    _retry: RetryPolicy

    @abc.abstractmethod
    async def _retrying(self, once: Callable[[int], Awaitable[T | Failure]]) -> T:
        """`once(attempt)` until it gives a value, or a failure not to retry."""

    @abc.abstractmethod
    async def _call(
        self,
        kind: CallKind,
        what: str,
        fn: Callable[[], Awaitable[httpx.Response]],
        read: Callable[[httpx.Response], T],
    ) -> T:
        """`fn()` (one request), its reply made values by `read`, under the rules of `kind`."""

    @abc.abstractmethod
    def _api(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        body: object = None,
    ) -> Callable[[], Awaitable[httpx.Response]]:
        """One API request as a thunk for `_call`, which sends it again on a retry."""

    @abc.abstractmethod
    def _pages(
        self,
        what: str,
        path: str,
        params: Mapping[str, object],
        read: Callable[[httpx.Response], tuple[list[T], str | None]],
    ) -> AsyncIterator[list[T]]:
        """Each page of a listing, following its pagination token."""

    # The assets' calls read the model back after an ambiguous add: `ModelCalls.get_model`.
    @abc.abstractmethod
    async def get_model(self, model_id: str, *, original_assets: bool = False) -> LiveModel:
        """The model in full, every training image."""
