"""The one adapter over the Scenario API: auth, timeouts, bounded concurrency, paging, and the
retry policy per call kind (`read`, `idempotent`, `create`; see `trainops.scenario.retry`).

It speaks plain httpx (`trainops.scenario.wire`), not `scenario-sdk`, whose import builds over a
hundred pydantic modules: most of the time of a re-plan with nothing to do. The SDK stays the
ground truth in tests: `tests/scenario/test_wire.py` checks that every method sends the request
the SDK sends for the same call. Nor do we retry the SDK's way: it retries every method, the
non-idempotent ones included, and 429s that name a team limit, which only time can lift.
Methods return the values of `trainops.live` (built by `trainops.scenario.parse`), ids, or None:
the API's JSON goes no further. `Scenario.requests` counts every HTTP request sent (retries
included) by `request_kind`, for the benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from trainops import redact
from trainops.backoff import RetryPolicy
from trainops.errors import ApiError
from trainops.live import DryRun, LiveImage, LiveJob, LiveModel, TagsReply
from trainops.scenario import credentials
from trainops.scenario.credentials import DEFAULT_BASE_URL
from trainops.scenario.replies import (
    DRY_RUN_STATUS,
    BadReply,
    dry_run_reply,
    image_reply,
    job_id_reply,
    job_page,
    job_reply,
    model_page,
    model_reply,
    tags_reply,
    undecoded,
)
from trainops.scenario.retry import (
    DEFAULT_POLICY,
    CallKind,
    Failure,
    gone_ok,
    on_bad_reply,
    on_download_status,
    on_download_transport,
    on_status,
    on_transport,
    redacting,
    secret_values,
)
from trainops.scenario.wire import (
    JOB_FILTERS,
    JsonObject,
    StatusError,
    api_headers,
    query,
    request_kind,
    segment,
    send,
    tls,
)

__all__ = ["DryRun", "RetryPolicy", "Scenario", "request_kind"]

T = TypeVar("T")

DEFAULT_PARALLELISM = 8
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
LIST_PAGE_SIZE = 500
JOBS_PAGE_SIZE = 100


class Scenario:
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
    ) -> None:
        self.requests: Counter[str] = Counter()
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
    ) -> Scenario:
        creds = credentials.from_env(environ)
        return cls(
            api_key=creds.api_key,
            api_secret=creds.api_secret,
            base_url=creds.base_url,
            parallelism=parallelism,
            transport=transport,
            retry=retry,
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

    # --- the retry loop ------------------------------------------------------------------------

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
        encoded = query(params) if params else None

        async def call() -> httpx.Response:
            return await send(
                self._http, method, path, headers=self._headers, params=encoded, body=body
            )

        return call

    # --- models --------------------------------------------------------------------------------

    async def list_models(self) -> list[LiveModel]:
        """Every private model of the team, all pages (the API cannot filter private by tag).
        Known from the listing only (`complete=False`): its images are a preview."""
        return [m async for page in self.model_pages() for m in page]

    async def model_pages(self) -> AsyncIterator[list[LiveModel]]:
        """The models of `list_models`, a page at a time, so a caller can work on one page while
        the next is fetched."""
        token: str | None = None
        while True:
            params = {"pageSize": LIST_PAGE_SIZE, "paginationToken": token}
            get = self._api("GET", "/models", params=params)
            models, token = await self._call("read", "list models", get, model_page)
            yield models
            if not token:
                return

    async def get_model(self, model_id: str) -> LiveModel:
        """The model in full (`complete`): every training image, with no job read."""
        path = f"/models/{segment(model_id)}"
        return await self._call(
            "read", f"read model {model_id}", self._api("GET", path), model_reply
        )

    async def create_model(
        self, *, type: str, name: str | None = None, short_description: str | None = None
    ) -> LiveModel:
        body: JsonObject = {"type": type}
        if name is not None:
            body["name"] = name
        if short_description is not None:
            body["shortDescription"] = short_description
        what = f"create model {name or type}"
        return await self._call(
            "create", what, self._api("POST", "/models", body=body), model_reply
        )

    async def update_model(
        self,
        model_id: str,
        *,
        name: str | None = None,
        short_description: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> LiveModel:
        body: JsonObject = {}
        if name is not None:
            body["name"] = name
        if short_description is not None:
            body["shortDescription"] = short_description
        if parameters is not None:
            body["parameters"] = dict(parameters)
        put = self._api("PUT", f"/models/{segment(model_id)}", body=body)
        what = f"update model {model_id}"
        put = redacting(secret_values(parameters), put)
        return await self._call("idempotent", what, put, model_reply)

    async def update_tags(
        self, model_id: str, *, add: Sequence[str] = (), delete: Sequence[str] = ()
    ) -> TagsReply:
        """Add and remove some tags, keeping the others (never replaces the whole set). Returns
        what the API says it stored and removed, for the caller to check
        (`trainops.tags.check_written`): nothing documents that tags are kept verbatim."""
        if not add and not delete:
            return TagsReply()
        body = {"add": list(add), "delete": list(delete), "strict": False}
        return await self._call(
            "idempotent",
            f"update tags of model {model_id}",
            self._api("PUT", f"/models/{segment(model_id)}/tags", body=body),
            tags_reply,
        )

    async def delete_model(self, model_id: str) -> None:
        await self._call(
            "idempotent",
            f"delete model {model_id}",
            gone_ok(self._api("DELETE", f"/models/{segment(model_id)}")),
            undecoded,
        )

    # --- training images -----------------------------------------------------------------------

    async def add_training_image(
        self, model_id: str, *, name: str, data: bytes, mime: str, description: str | None = None
    ) -> LiveImage:
        """Upload one file as a data URL. Not retried on ambiguity: re-read the model instead."""
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        post = self._api(
            "POST", f"/models/{segment(model_id)}/training-images", body={"data": url, "name": name}
        )
        image = await self._call("create", f"upload {name} to model {model_id}", post, image_reply)
        if description is not None and image.description != description:
            await self.set_image_description(model_id, image.id, description)
            image = dataclasses.replace(image, description=description)
        return image

    async def set_image_description(self, model_id: str, image_id: str, description: str) -> None:
        """Set the caption used for training. A training image is an asset (`asset_...`) and
        its `description` is set on the asset: `PUT /assets/{id}`."""
        await self._call(
            "idempotent",
            f"set the caption of image {image_id} of model {model_id}",
            self._api("PUT", f"/assets/{segment(image_id)}", body={"description": description}),
            undecoded,
        )

    async def delete_training_image(self, model_id: str, image_id: str) -> None:
        path = segment(model_id)
        await self._call(
            "idempotent",
            f"delete image {image_id} of model {model_id}",
            gone_ok(self._api("DELETE", f"/models/{path}/training-images/{segment(image_id)}")),
            undecoded,
        )

    async def replace_pairs(self, model_id: str, pairs: Sequence[Mapping[str, str]]) -> None:
        body = [dict(p) for p in pairs]
        await self._call(
            "idempotent",
            f"set the training pairs of model {model_id}",
            self._api("PUT", f"/models/{segment(model_id)}/training-images/pairs", body=body),
            undecoded,
        )

    async def download(self, url: str) -> bytes:
        """The bytes at an image's `downloadUrl`, fetched through our http client (so the
        in-process sandbox works too) with no credentials sent. Retried like a read."""
        shown = str(httpx.URL(url).copy_with(query=None))  # a signed URL's query is a secret
        return await self._retrying(lambda attempt: self._download_once(url, shown, attempt))

    async def _download_once(self, url: str, shown: str, attempt: int) -> bytes | Failure:
        try:
            async with self._sem:
                response = await self._http.get(url)
        except httpx.TransportError as exc:
            return on_download_transport(self._retry, shown, exc, attempt)
        if response.is_success:
            return response.content
        return on_download_status(self._retry, shown, response, attempt)

    # --- training and jobs ---------------------------------------------------------------------

    async def train(self, model_id: str, parameters: Mapping[str, object]) -> str:
        """Trigger a training; returns the job id. Never retried on ambiguity (double billing)."""
        put = self._api(
            "PUT", f"/models/{segment(model_id)}/train", body={"parameters": dict(parameters)}
        )
        what = f"train model {model_id}"
        return await self._call(
            "create", what, redacting(secret_values(parameters), put), job_id_reply
        )

    async def dry_run(
        self,
        model_id: str,
        parameters: Mapping[str, object],
        *,
        training_images_count: int | None = None,
    ) -> DryRun:
        """Price a training (dryRun=true, HTTP 269). `training_images_count` only counts when the
        model has no images yet (the API ignores it otherwise)."""
        what = f"price the training of model {model_id}"
        put = self._api(
            "PUT",
            f"/models/{segment(model_id)}/train",
            params={"dryRun": "true", "trainingImagesCount": training_images_count},
            body={"parameters": dict(parameters)},
        )
        put = redacting(secret_values(parameters), put)
        priced = await self._call("read", what, put, dry_run_reply)
        if not isinstance(priced, DryRun):
            raise ApiError(
                f"{what}: the API answered {priced} instead of {DRY_RUN_STATUS} "
                "to a dry run, so it may have started a real training",
                status=priced,
                hint=f"check model {model_id} and its jobs before running apply",
            )
        return priced

    async def cancel_training(self, model_id: str) -> LiveModel:
        return await self._call(
            "create",
            f"cancel the training of model {model_id}",
            self._api(
                "POST", f"/models/{segment(model_id)}/train/action", body={"action": "cancel"}
            ),
            model_reply,
        )

    async def get_job(self, job_id: str) -> LiveJob:
        get = self._api("GET", f"/jobs/{segment(job_id)}")
        return await self._call("read", f"read job {job_id}", get, job_reply)

    async def list_jobs(self, **filters: Any) -> list[LiveJob]:
        """All jobs matching `filters` (the SDK's snake_case names, e.g. `author_id`). Pages may be
        empty with a token: keep going until the token is absent (the SDK's pager stops early)."""
        unknown = sorted(set(filters) - set(JOB_FILTERS))
        if unknown:
            raise TypeError(f"list_jobs() got unexpected filters: {', '.join(unknown)}")
        params = {JOB_FILTERS[k]: v for k, v in filters.items()}
        params["pageSize"] = JOBS_PAGE_SIZE
        jobs: list[LiveJob] = []
        while True:
            get = self._api("GET", "/jobs", params=params)
            page, token = await self._call("read", "list jobs", get, job_page)
            jobs.extend(page)
            if not token:
                return jobs
            params = {**params, "paginationToken": token}
