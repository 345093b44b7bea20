"""The calls on assets and training images: add one as a data URL, or upload by the multipart
flow and attach by asset ids; captions, pairs, deleting, downloading the bytes. A part of
`Scenario` (`trainops.scenario.client`); the steps of an upload, and the retry kind of each, are
in `trainops.scenario.uploads`.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Mapping, Sequence

import httpx

from trainops.backoff import backoff
from trainops.errors import AmbiguousWriteError, ApiError
from trainops.live import LiveImage
from trainops.scenario import uploads
from trainops.scenario.calls import Calls
from trainops.scenario.replies import image_reply, optional_image_reply, undecoded, upload_reply
from trainops.scenario.retry import (
    Failure,
    gone_ok,
    on_download_status,
    on_download_transport,
    retry_after,
)
from trainops.scenario.wire import segment

ASSETS_PER_DELETE = 100  # scenario-sdk's AssetDeleteMultipleParams: "Max 100 at once"


class AssetCalls(Calls):
    """The calls on assets and training images, for `Scenario`."""

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

    # --- uploads: the multipart flow and adding by asset ids -----------------------------------

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
