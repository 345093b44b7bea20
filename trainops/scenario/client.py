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
from typing import Any, Literal, TypeVar

import httpx

from trainops import redact
from trainops.backoff import RetryPolicy, backoff
from trainops.errors import AmbiguousWriteError, ApiError, IncompleteModelError, PaginationError
from trainops.live import DryRun, LiveImage, LiveJob, LiveModel, TagsReply
from trainops.scenario import credentials, uploads
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
    models_reply,
    optional_image_reply,
    tags_reply,
    undecoded,
    upload_reply,
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
    retry_after,
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
ASSETS_PER_DELETE = 100  # scenario-sdk's AssetDeleteMultipleParams: "Max 100 at once"
# Pages followed before a listing is refused as endless: 500,000 models, 100,000 jobs.
MAX_PAGES = 1000
BULK_SIZE = 100  # models per get-bulk request (no documented maximum)


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
        if self.project_id is not None:
            params = {"projectId": self.project_id, **(params or {})}
        encoded = query(params) if params else None

        async def call() -> httpx.Response:
            return await send(
                self._http, method, path, headers=self._headers, params=encoded, body=body
            )

        return call

    # --- models --------------------------------------------------------------------------------

    async def list_models(
        self, *, include_deleted: bool = False, status: str | None = None
    ) -> list[LiveModel]:
        """Every private model of the team, all pages (the API cannot filter private by tag).
        Known from the listing only (`complete=False`): its images are a preview. `status` is
        one of the SDK's values (`training`, ...): the API ignores one it does not know, so a
        caller checks each model's status again."""
        pages = self.model_pages(include_deleted=include_deleted, status=status)
        return [m async for page in pages for m in page]

    async def model_pages(
        self,
        *,
        page_size: int = LIST_PAGE_SIZE,
        include_deleted: bool = False,
        status: str | None = None,
    ) -> AsyncIterator[list[LiveModel]]:
        """The models of `list_models`, a page at a time, so a caller can work on one page while
        the next is fetched. A model carrying `deletedAt` (soft-deleted, e.g. in the web app) is
        gone for its user and left out, unless `include_deleted`."""
        params: dict[str, object] = {"pageSize": page_size}
        if status is not None:
            params["status"] = status
        async for page in self._pages("list models", "/models", params, model_page):
            yield [m for m in page if include_deleted or m.deleted_at is None]

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

    async def get_model(self, model_id: str, *, original_assets: bool = False) -> LiveModel:
        """The model in full (`complete`): every training image, with no job read.

        The API documents "the first 3" training images in places: a read that shows fewer than
        `trainingImagesNumber` is read again with get-bulk `allTrainingImages`, and still short
        is `IncompleteModelError`, never a partial list taken for the whole (a sync against it
        would upload the "missing" files again). `original_assets`: the files' `downloadUrl`s
        name the originals, untransformed (`originalAssets=true`)."""
        path = f"/models/{segment(model_id)}"
        params = {"originalAssets": True} if original_assets else None
        what = f"read model {model_id}"
        model = await self._call("read", what, self._api("GET", path, params=params), model_reply)
        if model.complete:
            return model
        bulk = await self.get_models_bulk([model_id], original_assets=original_assets)
        again = next((m for m in bulk if m.id == model_id), None)
        if again is None:
            raise ApiError(
                f"{what}: no model {model_id} (deleted meanwhile?)",
                status=404,
                hint="it may have been deleted outside trainops: run plan again",
            )
        if not again.complete:
            shown = len(again.preview)
            raise IncompleteModelError(
                f"{what}: the API shows {shown} of its {again.images_count} training files, "
                "even when asked for all of them (get-bulk allTrainingImages): trainops never "
                "works from a partial list",
                model=again,
                hint="run again later; if it persists, report it to Scenario",
            )
        return again

    async def get_models_bulk(
        self,
        model_ids: Sequence[str],
        *,
        all_training_images: bool = True,
        original_assets: bool = False,
    ) -> list[LiveModel]:
        """The models of `model_ids` that exist (POST /models/get-bulk), `BULK_SIZE` a request.
        With `all_training_images`, each is `complete` when its list holds every image its
        `trainingImagesNumber` counts; without, its images are the API's preview."""
        params = {"originalAssets": True} if original_assets else None
        ids = list(dict.fromkeys(model_ids))
        out: list[LiveModel] = []
        for start in range(0, len(ids), BULK_SIZE):
            chunk = ids[start : start + BULK_SIZE]
            body = {"modelIds": chunk, "allTrainingImages": all_training_images}
            post = self._api("POST", "/models/get-bulk", params=params, body=body)
            what = f"read models {', '.join(chunk[:3])}{' ...' if len(chunk) > 3 else ''}"
            read = models_reply(complete=all_training_images)
            out += await self._call("read", what, post, read)
        return out

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

    async def delete_assets(self, asset_ids: Sequence[str]) -> None:
        """Delete assets (`DELETE /assets`, at most 100 per call): an upload attached to no
        model is otherwise left in the team's assets. Deleting twice deletes nothing more."""
        ids = list(dict.fromkeys(asset_ids))
        for start in range(0, len(ids), ASSETS_PER_DELETE):
            chunk = ids[start : start + ASSETS_PER_DELETE]
            await self._call(
                "idempotent",
                f"delete {len(chunk)} asset(s)",
                self._api("DELETE", "/assets", body={"assetIds": chunk}),
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
        mode: Literal["true", "api"] = "api",
    ) -> DryRun:
        """Price a training (dryRun, HTTP 269). `mode` "api" estimates at the API tier, the one
        trainops is billed at (it runs with API keys). `training_images_count` only counts when
        the model has no images yet (the API ignores it otherwise)."""
        what = f"price the training of model {model_id}"
        put = self._api(
            "PUT",
            f"/models/{segment(model_id)}/train",
            params={"dryRun": mode, "trainingImagesCount": training_images_count},
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
        params: dict[str, object] = {JOB_FILTERS[k]: v for k, v in filters.items()}
        params["pageSize"] = JOBS_PAGE_SIZE
        return [
            j async for page in self._pages("list jobs", "/jobs", params, job_page) for j in page
        ]

    # --- uploads -------------------------------------------------------------------------------
    # The multipart flow and adding by asset ids; the retry kind of each step, and why it is
    # safe, are in `trainops.scenario.uploads`.

    async def upload_asset(self, *, name: str, data: bytes, mime: str) -> str:
        """Upload `data` by the documented multipart flow; returns the id of the asset it made.
        The asset is on no model yet: `add_training_images` attaches it."""
        kind = uploads.kind_of(mime)
        parts = uploads.parts_of(data)
        body = {
            "fileName": name,
            "fileSize": len(data),
            "contentType": mime,
            "kind": kind,
            "parts": len(parts),
        }
        what = f"upload {name}"
        post = self._api("POST", "/uploads", body=body)
        up = await self._call("idempotent", what, post, upload_reply)
        if len(up.part_urls) != len(parts):
            raise ApiError(
                f"{what}: the API gave {len(up.part_urls)} part URL(s) for {len(parts)} part(s)",
                hint="run apply again; if it persists, report it (the upload flow changed)",
            )
        pairs = enumerate(zip(up.part_urls, parts, strict=True), start=1)
        sent = await asyncio.gather(
            *(self._put_part(url, part, f"{what}, part {n}") for n, (url, part) in pairs),
            return_exceptions=True,  # every part ends before an error is raised: none left running
        )
        for result in sent:
            if isinstance(result, BaseException):
                raise result
        up = await self._complete_upload(up.id, what)
        return await self._uploaded_asset(up, what)

    async def add_training_images(self, model_id: str, asset_ids: Sequence[str]) -> list[LiveImage]:
        """Attach assets to the model as training images, at most 10 per call; returns them in
        the order given. After an ambiguous failure, only the ids the model lacks are sent."""
        what = f"add training images to model {model_id}"
        path = f"/models/{segment(model_id)}/training-images"
        named: dict[str, LiveImage] = {}
        for chunk in uploads.chunks(list(dict.fromkeys(asset_ids))):
            post = self._api("POST", path, body={"assetIds": list(chunk)})
            try:
                image = await self._call("create", what, post, optional_image_reply)
            except AmbiguousWriteError:
                image = await self._add_missing(model_id, chunk, what)
            if image is not None and image.id in chunk:
                named[image.id] = image
        missing = [a for a in asset_ids if a not in named]
        if missing:
            named.update(await self._images_of(model_id, missing, what))
        return [named[a] for a in asset_ids]

    async def _put_part(self, url: str, data: bytes, what: str) -> None:
        """One part's bytes to its presigned URL, without the API's credentials (the URL is the
        credential, and its signed query a secret never shown). Retried like a read: the same
        bytes to the same URL."""
        shown = str(httpx.URL(url).copy_with(query=None))

        async def once(attempt: int) -> Failure | None:
            try:
                async with self._sem:
                    response = await self._http.put(url, content=data)
            except httpx.TransportError as exc:
                error = ApiError(f"{what}: PUT {shown}: {type(exc).__name__}", hint="run again")
                return Failure(error, self._part_delay(attempt, None))
            if response.is_success:
                return None
            status = response.status_code
            error = ApiError(
                f"{what}: PUT {shown}: HTTP {status}",
                status=status,
                hint="run again: a new upload gets new part URLs",
            )
            if not (status in (408, 429) or status >= 500):
                return Failure(error, None)
            return Failure(
                error, self._part_delay(attempt, retry_after(response, self._retry.clock))
            )

        await self._retrying(once)

    def _part_delay(self, attempt: int, asked: float | None) -> float | None:
        if attempt >= self._retry.attempts:
            return None
        if asked is not None:
            return asked if asked <= self._retry.max_retry_after else None
        return backoff(self._retry, attempt)

    async def _complete_upload(self, upload_id: str, what: str) -> uploads.UploadState:
        path = f"/uploads/{segment(upload_id)}"
        complete = self._api("POST", f"{path}/action", body={"action": "complete"})
        try:
            return await self._call("create", f"{what}: complete", complete, upload_reply)
        except AmbiguousWriteError:
            up = await self._call("read", f"{what}: read", self._api("GET", path), upload_reply)
            if up.status != "pending":
                return up
            return await self._call("create", f"{what}: complete", complete, upload_reply)

    async def _uploaded_asset(self, up: uploads.UploadState, what: str) -> str:
        """Read the upload until it names its asset; an error when it fails or never does."""
        get = self._api("GET", f"/uploads/{segment(up.id)}")
        delays = uploads.poll_delays()
        while up.status != "failed" and up.asset_id is None:
            up = await self._call("read", f"{what}: read", get, upload_reply)
            if up.status == "failed" or up.asset_id is not None:
                break
            delay = next(delays, None)
            if delay is None:
                raise ApiError(
                    f"{what}: the upload is still {up.status or 'without a status'} after "
                    f"{uploads.POLL_TOTAL:g} s",
                    hint="run apply again later: an upload left unused costs nothing",
                )
            await asyncio.sleep(delay)
        if up.status == "failed" or up.asset_id is None:
            raise ApiError(
                f"{what}: the API refused the file: {up.error or 'no reason given'}",
                hint="check that the file is a valid image or audio sample, then run again",
            )
        return up.asset_id

    async def _add_missing(
        self, model_id: str, chunk: Sequence[str], what: str
    ) -> LiveImage | None:
        """After an ambiguous add: send again only the ids the model does not have."""
        model = await self.get_model(model_id)
        have = {i.id for i in model.images}
        if len(model.images) < model.images_count and not set(chunk) <= have:
            raise AmbiguousWriteError(
                f"{what}: the request failed and the model's read is incomplete, so what "
                "landed is unknown",
                reason="an ambiguous failure",
                hint="run apply again: it re-reads the model and does only what is missing",
            )
        rest = [a for a in chunk if a not in have]
        if not rest:
            return None
        path = f"/models/{segment(model_id)}/training-images"
        post = self._api("POST", path, body={"assetIds": rest})
        return await self._call("create", what, post, optional_image_reply)

    async def _images_of(
        self, model_id: str, asset_ids: Sequence[str], what: str
    ) -> dict[str, LiveImage]:
        """The training images of these asset ids, read from the model: the add's reply names
        one image per call."""
        model = await self.get_model(model_id)
        found = {i.id: i for i in model.images if i.id in set(asset_ids)}
        if len(found) < len(set(asset_ids)):
            partial = len(model.images) < model.images_count
            raise ApiError(
                f"{what}: the model's read does not list {len(set(asset_ids)) - len(found)} of "
                "the images just added"
                + (" (it lists only part of its images)" if partial else ""),
                hint="run apply again: it re-reads the model and does only what is missing",
            )
        return found
