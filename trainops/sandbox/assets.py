"""Routes for assets: upload (POST /assets), read, update the description (the training caption
of every training image made from the asset), and the file bytes behind every `downloadUrl`."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox import payloads, samples
from trainops.sandbox.context import Sandbox, base_url
from trainops.sandbox.images import _b64, decode_data_url, new_asset
from trainops.sandbox.replies import HttpError, bad_request, json_object, not_found, reply

MAX_DELETE = 100  # "Max 100 at once" (scenario-sdk's AssetDeleteMultipleParams)

# A 1x1 transparent PNG: what a captcha image downloads as (samples: `trainops.sandbox.samples`).
SAMPLE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _image_payload(value: object) -> tuple[str, bytes]:
    """`image` is plain base64 per the SDK; a data URL is accepted too."""
    if isinstance(value, str) and value.startswith("data:"):
        return decode_data_url(value)
    if not isinstance(value, str) or not value:
        raise bad_request("image must be a base64 string")
    return "image/png", _b64(value, "image")


def routes(sb: Sandbox) -> list[Route]:
    async def upload(request: Request) -> Response:
        body = await json_object(request)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("name is required")
        mime, data = _image_payload(body.get("image"))
        with sb.store.write() as tx:
            a = new_asset(tx, sb.now(), name, mime, data)
        return reply({"asset": payloads.asset(a, base_url(request))})

    async def retrieve(request: Request) -> Response:
        with sb.store.read() as tx:
            a = tx.asset(request.path_params["asset_id"])
        if a is None:
            raise not_found("Asset", request.path_params["asset_id"])
        return reply({"asset": payloads.asset(a, base_url(request))})

    async def update(request: Request) -> Response:
        body = await json_object(request)
        asset_id = request.path_params["asset_id"]
        description = body.get("description")
        with sb.store.write() as tx:
            a = tx.asset(asset_id)
            if a is None:
                raise not_found("Asset", asset_id)
            if "description" in body:
                if description is not None and not isinstance(description, str):
                    raise bad_request("description must be a string")
                now = sb.now()
                tx.set_asset_description(asset_id, description or "", now)
                tx.touch_models_with_asset(asset_id, now)
                a = a._replace(description=description or "", updated_at=now)
        return reply({"asset": payloads.asset(a, base_url(request))})

    async def delete_many(request: Request) -> Response:
        """`DELETE /assets {"assetIds": [...]}` (the SDK's `assets.delete_multiple`, at most 100).
        Its reply is untyped in the SDK: an empty object. Unknown ids are no error."""
        ids = (await json_object(request)).get("assetIds")
        if (
            not isinstance(ids, list)
            or not 1 <= len(ids) <= MAX_DELETE
            or not all(isinstance(i, str) and i for i in ids)
        ):
            raise bad_request(f"assetIds must be a list of 1 to {MAX_DELETE} asset ids")
        with sb.store.write() as tx:
            tx.delete_assets(ids)
        return reply({})

    return [
        Route("/assets", upload, methods=["POST"]),
        Route("/assets", delete_many, methods=["DELETE"]),
        Route("/assets/{asset_id}", retrieve, methods=["GET"]),
        Route("/assets/{asset_id}", update, methods=["PUT"]),
    ]


def file_routes(sb: Sandbox) -> list[Route]:
    """Served outside the authenticated API, like the real API's signed download URLs."""

    async def download(request: Request) -> Response:
        asset_id = request.path_params["asset_id"]
        if asset_id in ("sample.png", payloads.CAPTCHA_FILE):
            return Response(SAMPLE_PNG, media_type="image/png")
        with sb.store.read() as tx:
            found = tx.asset_data(asset_id)
        if found is None:
            raise not_found("File", asset_id)
        return Response(found[1], media_type=found[0])

    async def sample(request: Request) -> Response:
        """An epoch sample image: signed unless the `unsigned-samples` deviation is on."""
        asset_id = request.path_params["asset_id"]
        query = request.query_params
        if query or not sb.deviations.unsigned_samples:
            why = samples.refusal(
                asset_id, query.get("Expires"), query.get("Signature"), sb.api_secret, sb.now()
            )
            if why is not None:
                raise HttpError(403, f"Forbidden: {why}")
        return Response(samples.sample_png(asset_id), media_type="image/png")

    return [
        Route("/files/samples/{asset_id}.png", sample, methods=["GET"]),
        Route("/files/{asset_id}", download, methods=["GET"]),
    ]
