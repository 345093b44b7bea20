"""The one adapter over `scenario-sdk`: auth, timeouts, bounded concurrency, paging, and the
retry policy per call kind (`read`, `idempotent`, `create`; see `trainops.retry`).

The SDK's own retries are off (`max_retries=0`): it retries every method, including the
non-idempotent ones, and it retries quota 429s that can never succeed (contract §1.3, §9).
Methods return plain JSON dicts (camelCase, as on the wire) so no SDK type leaks past
`live`/`apply`. `Scenario.requests` counts every HTTP request sent (retries included) by
`request_kind`, for the benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import re
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from scenario_sdk import APIConnectionError, APIStatusError, AsyncScenario, omit
from scenario_sdk.pagination import AsyncJobsCursor

from trainops.errors import ApiError, ConfigError
from trainops.retry import (
    DEFAULT_POLICY,
    AmbiguousWriteError,
    CallKind,
    Failure,
    RetryPolicy,
    backoff,
    gone_ok,
    number,
    on_status,
    on_transport,
    redacting,
    retry_after,
    secret_values,
)

__all__ = ["AmbiguousWriteError", "DryRun", "Json", "RetryPolicy", "Scenario", "request_kind"]

T = TypeVar("T")
Json = dict[str, Any]

DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
DEFAULT_PARALLELISM = 8
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
LIST_PAGE_SIZE = 500
JOBS_PAGE_SIZE = 100
DRY_RUN_STATUS = 269
_CREDENTIALS_HINT = (
    "export SCENARIO_API_KEY and SCENARIO_API_SECRET (or SCENARIO_SDK_API_KEY and "
    "SCENARIO_SDK_API_SECRET), or run with --sandbox"
)


@dataclass(frozen=True)
class DryRun:
    cost: float | None  # creativeUnitsCost
    discount: float | None
    details: Mapping[str, float] = field(default_factory=dict)  # costDetails, e.g. train-model


# Path segments following these words are ids, except for the literal sub-resources listed.
_ID_AFTER = {"models", "jobs", "training-images", "assets", "uploads", "files"}
_LITERAL = {"get-bulk", "pairs"}


def request_kind(method: str, url: httpx.URL) -> str:
    """`PUT /models/{id}/train?dryRun`: the counter key for one request (ids folded away)."""
    parts = [p for p in url.path.split("/") if p]
    if parts and re.fullmatch(r"v\d+", parts[0]):
        parts = parts[1:]
    out: list[str] = []
    for i, part in enumerate(parts):
        prev = parts[i - 1] if i else ""
        out.append("{id}" if prev in _ID_AFTER and part not in _LITERAL else part)
    suffix = "?dryRun" if "dryRun" in url.params else ""
    return f"{method} /{'/'.join(out)}{suffix}"


@functools.cache
def _tls() -> ssl.SSLContext:
    # httpx builds a TLS context per client (~40 ms, loading the CA bundle); one per process.
    return httpx.create_ssl_context()


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
        self._http = httpx.AsyncClient(
            transport=transport,
            verify=_tls(),
            timeout=timeout,
            # Unbounded: the semaphore is the bound, and `set_parallelism` may raise it later.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
            follow_redirects=True,
            event_hooks={"request": [self._count]},
        )
        self._sdk = AsyncScenario(
            api_key=api_key,
            api_secret=api_secret,
            base_url=base_url,
            http_client=self._http,
            timeout=timeout,
            max_retries=0,
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
        key = environ.get("SCENARIO_API_KEY") or environ.get("SCENARIO_SDK_API_KEY")
        secret = environ.get("SCENARIO_API_SECRET") or environ.get("SCENARIO_SDK_API_SECRET")
        missing = [
            name
            for name, value in (("SCENARIO_API_KEY", key), ("SCENARIO_API_SECRET", secret))
            if not value
        ]
        if not key or not secret:
            raise ConfigError(
                f"missing Scenario API credentials: {' and '.join(missing)} not set",
                hint=_CREDENTIALS_HINT,
            )
        return cls(
            api_key=key,
            api_secret=secret,
            base_url=environ.get("SCENARIO_BASE_URL") or DEFAULT_BASE_URL,
            parallelism=parallelism,
            transport=transport,
            retry=retry,
        )

    @classmethod
    def sandbox(
        cls,
        db_path: Path,
        *,
        app: Any = None,
        parallelism: int = DEFAULT_PARALLELISM,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> Scenario:
        """The embedded sandbox, in-process: no server to start, state in `db_path`."""
        # Imported here only: the core must not depend on the sandbox.
        from trainops import sandbox

        if app is None:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            app = sandbox.create_app(db_path)
        return cls(
            api_key=sandbox.DEFAULT_API_KEY,
            api_secret=sandbox.DEFAULT_API_SECRET,
            base_url="http://sandbox.invalid/v1",
            parallelism=parallelism,
            transport=httpx.ASGITransport(app=app),
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

    async def _call(self, kind: CallKind, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._sem:
                    return await fn()
            except APIStatusError as exc:
                failure = on_status(self._retry, kind, what, exc, attempt)
            except APIConnectionError as exc:
                failure = on_transport(self._retry, kind, what, exc, attempt)
            if failure.delay is None:
                raise failure.error
            # Sleep outside the semaphore so a backing-off call does not block the others.
            await asyncio.sleep(failure.delay)

    # --- models --------------------------------------------------------------------------------

    async def list_models(self) -> list[Json]:
        """Every private model of the team, all pages (the API cannot filter private by tag)."""
        models: list[Json] = []
        token: str | None = None
        while True:
            page = await self._call("read", "list models", self._models_page(token))
            models.extend(m for m in page.get("models") or [] if isinstance(m, dict))
            token = page.get("nextPaginationToken") or None
            if not token:
                return models

    def _models_page(self, token: str | None) -> Callable[[], Awaitable[Json]]:
        # The raw JSON: building SDK objects for 500 models and dumping them back to dicts
        # cost more than the request itself (~0.4 s per page).
        async def call() -> Json:
            raw = await self._sdk.models.with_raw_response.list(
                page_size=LIST_PAGE_SIZE, pagination_token=token or omit
            )
            body = await raw.json()
            return body if isinstance(body, dict) else {}

        return call

    async def get_model(self, model_id: str) -> Json:
        async def call() -> Json:
            # Raw JSON, like the listing: SDK objects for every image cost more than the request.
            raw = await self._sdk.models.with_raw_response.retrieve(model_id)
            body = await raw.json()
            model = body.get("model") if isinstance(body, dict) else None
            return model if isinstance(model, dict) else {}

        return await self._call("read", f"read model {model_id}", call)

    async def create_model(
        self, *, type: str, name: str | None = None, short_description: str | None = None
    ) -> Json:
        body: Json = {"type": type}
        if name is not None:
            body["name"] = name
        if short_description is not None:
            body["shortDescription"] = short_description
        res = await self._call(
            "create",
            f"create model {name or type}",
            lambda: self._sdk.models.create(extra_body=body),
        )
        return res.model.to_dict(mode="json")

    async def update_model(
        self,
        model_id: str,
        *,
        name: str | None = None,
        short_description: str | None = None,
        parameters: Mapping[str, object] | None = None,
    ) -> Json:
        body: Json = {}
        if name is not None:
            body["name"] = name
        if short_description is not None:
            body["shortDescription"] = short_description
        if parameters is not None:
            body["parameters"] = dict(parameters)
        secrets = secret_values(parameters)
        res = await self._call(
            "idempotent",
            f"update model {model_id}",
            redacting(secrets, lambda: self._sdk.models.update(model_id, extra_body=body)),
        )
        return res.model.to_dict(mode="json")

    async def update_tags(
        self, model_id: str, *, add: Sequence[str] = (), delete: Sequence[str] = ()
    ) -> None:
        """Add and remove some tags, keeping the others (never replaces the whole set)."""
        if not add and not delete:
            return
        await self._call(
            "idempotent",
            f"update tags of model {model_id}",
            # Raw: the reply (the whole model) is not needed, so it is not parsed into objects.
            lambda: self._sdk.models.with_raw_response.update_tags(
                model_id, add=list(add), delete=list(delete), strict=False
            ),
        )

    async def delete_model(self, model_id: str) -> None:
        await self._call(
            "idempotent",
            f"delete model {model_id}",
            gone_ok(lambda: self._sdk.models.delete(model_id)),
        )

    # --- training images -----------------------------------------------------------------------

    async def add_training_image(
        self, model_id: str, *, name: str, data: bytes, mime: str, description: str | None = None
    ) -> Json:
        """Upload one file as a data URL. Not retried on ambiguity: re-read the model instead."""
        url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        res = await self._call(
            "create",
            f"upload {name} to model {model_id}",
            lambda: self._sdk.models.training_images.add(model_id, data=url, name=name),
        )
        image = res.training_image.to_dict(mode="json")
        if description is not None and image.get("description") != description:
            await self.set_image_description(model_id, str(image["id"]), description)
            image["description"] = description
        return image

    async def set_image_description(self, model_id: str, image_id: str, description: str) -> None:
        """Set the caption used for training. A training image is an asset (`asset_...`) and
        its `description` is set on the asset: `PUT /assets/{id}`."""
        await self._call(
            "idempotent",
            f"set the caption of image {image_id} of model {model_id}",
            lambda: self._sdk.assets.update(image_id, description=description),
        )

    async def delete_training_image(self, model_id: str, image_id: str) -> None:
        await self._call(
            "idempotent",
            f"delete image {image_id} of model {model_id}",
            gone_ok(lambda: self._sdk.models.training_images.delete(image_id, model_id=model_id)),
        )

    async def replace_pairs(self, model_id: str, pairs: Sequence[Mapping[str, str]]) -> None:
        body = [dict(p) for p in pairs]
        await self._call(
            "idempotent",
            f"set the training pairs of model {model_id}",
            lambda: self._sdk.models.training_images.replace_pairs(model_id, body=body),  # type: ignore[arg-type]
        )

    async def download(self, url: str) -> bytes:
        """The bytes at an image's `downloadUrl`, fetched through our http client (so the
        in-process sandbox works too) with no credentials sent. Retried like a read."""
        shown = str(httpx.URL(url).copy_with(query=None))  # a signed URL's query is a secret
        attempt = 0
        while True:
            attempt += 1
            result = await self._download_once(url, shown, attempt)
            if isinstance(result, bytes):
                return result
            if result.delay is None:
                raise result.error
            await asyncio.sleep(result.delay)

    async def _download_once(self, url: str, shown: str, attempt: int) -> bytes | Failure:
        last = attempt >= self._retry.attempts
        try:
            async with self._sem:
                response = await self._http.get(url)
        except httpx.TransportError as exc:
            error = ApiError(f"download {shown}: {type(exc).__name__}", hint="run again")
            return Failure(error, None if last else backoff(self._retry, attempt))
        if response.is_success:
            return response.content
        status = response.status_code
        error = ApiError(
            f"download {shown}: HTTP {status}",
            status=status,
            hint="run again; if it persists, the file is gone from the API",
        )
        if last or not (status in (408, 429) or status >= 500):
            return Failure(error, None)
        wait = retry_after(response)
        return Failure(error, wait if wait is not None else backoff(self._retry, attempt))

    # --- training and jobs ---------------------------------------------------------------------

    async def train(self, model_id: str, parameters: Mapping[str, object]) -> str:
        """Trigger a training; returns the job id. Never retried on ambiguity (double billing)."""
        res = await self._call(
            "create",
            f"train model {model_id}",
            redacting(
                secret_values(parameters),
                lambda: self._sdk.models.train.trigger(
                    model_id, extra_body={"parameters": dict(parameters)}
                ),
            ),
        )
        return str(res.job.job_id)

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

        async def call() -> Json:
            raw = await self._sdk.models.train.with_raw_response.trigger(
                model_id,
                dry_run="true",
                training_images_count=(
                    omit if training_images_count is None else training_images_count
                ),
                extra_body={"parameters": dict(parameters)},
            )
            if raw.status_code != DRY_RUN_STATUS:
                raise ApiError(
                    f"{what}: the API answered {raw.status_code} instead of {DRY_RUN_STATUS} "
                    "to a dry run, so it may have started a real training",
                    status=raw.status_code,
                    hint=f"check model {model_id} and its jobs before running apply",
                )
            body = await raw.json()
            return body if isinstance(body, dict) else {}

        body = await self._call("read", what, redacting(secret_values(parameters), call))
        details = body.get("costDetails") or {}
        return DryRun(
            cost=number(body.get("creativeUnitsCost")),
            discount=number(body.get("creativeUnitsDiscount")),
            details={str(k): float(v) for k, v in details.items() if number(v) is not None},
        )

    async def cancel_training(self, model_id: str) -> Json:
        res = await self._call(
            "create",
            f"cancel the training of model {model_id}",
            lambda: self._sdk.models.train.action(model_id, action="cancel"),
        )
        return res.model.to_dict(mode="json")

    async def get_job(self, job_id: str) -> Json:
        res = await self._call(
            "read", f"read job {job_id}", lambda: self._sdk.jobs.retrieve(job_id)
        )
        return res.job.to_dict(mode="json")

    async def list_jobs(self, **filters: Any) -> list[Json]:
        """All jobs matching `filters` (SDK snake_case names). Pages may be empty with a token:
        keep going until the token is absent (the SDK's own pager stops early)."""
        jobs: list[Json] = []
        token: str | None = None
        while True:
            page = await self._call("read", "list jobs", self._jobs_page(filters, token))
            jobs.extend(j.to_dict(mode="json") for j in page.jobs or [])
            token = page.next_pagination_token
            if not token:
                return jobs

    def _jobs_page(
        self, filters: Mapping[str, Any], token: str | None
    ) -> Callable[[], Awaitable[AsyncJobsCursor[Any]]]:
        query = {**filters, "page_size": JOBS_PAGE_SIZE}
        if token:
            query["pagination_token"] = token

        async def call() -> AsyncJobsCursor[Any]:
            return await self._sdk.jobs.list(**query)

        return call
