"""The calls on models: list (a page at a time), read (one, or many by get-bulk), create,
update, tag and delete. A part of `Scenario` (`trainops.scenario.client`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

from trainops.errors import ApiError, IncompleteModelError
from trainops.live import LiveModel, TagsReply
from trainops.scenario.calls import Calls
from trainops.scenario.replies import model_page, model_reply, models_reply, tags_reply, undecoded
from trainops.scenario.retry import gone_ok, redacting, secret_values
from trainops.scenario.wire import JsonObject, segment

LIST_PAGE_SIZE = 500
BULK_SIZE = 100  # models per get-bulk request (no documented maximum)


class ModelCalls(Calls):
    """The calls on models, for `Scenario`."""

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
