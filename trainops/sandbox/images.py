"""Routes for training images (data URL, assetId, assetIds), pairs, and the uploaded bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox import payloads
from trainops.sandbox.context import Sandbox, base_url, new_id
from trainops.sandbox.replies import (
    HttpError,
    bad_request,
    json_object,
    json_value,
    not_found,
    reply,
)
from trainops.sandbox.store import AssetRow, ModelRow, Tx

MAX_ASSET_IDS = 10
# Scenario's "Uploading Assets" page (scenario-api.md 10): a base64 data URL is for images under
# 6 MB; larger images and all audio go through the multipart upload flow (sandbox/uploads.py).
MAX_DATA_URL_BASE64 = 6 * 1000 * 1000
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(?P<data>.*)$", re.S)


def decode_data_url(value: object) -> tuple[str, bytes]:
    if not isinstance(value, str) or not (m := _DATA_URL.match(value)):
        raise bad_request("data must be a base64 data URL, e.g. data:image/png;base64,...")
    if m["mime"].lower().startswith("audio/"):
        raise bad_request(
            "Audio cannot be sent as a data URL: upload it with POST /uploads (kind audio), "
            "then add it by assetIds"
        )
    if len(m["data"]) > MAX_DATA_URL_BASE64:
        raise HttpError(
            413,
            "A data URL is for images under 6 MB: upload larger files with POST /uploads, "
            "then add them by assetIds",
            extra={"max": MAX_DATA_URL_BASE64},
        )
    return m["mime"], _b64(m["data"], "data")


def _b64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{field} is not valid base64") from None


def automatic_caption(name: str, data: bytes) -> str:
    """A deterministic stand-in for the API's captioner: same bytes, same caption."""
    stem = re.sub(r"[-_]+", " ", name.rsplit(".", 1)[0]).strip() or "image"
    return f"a sandbox caption of {stem} ({hashlib.sha256(data).hexdigest()[:8]})"


def new_asset(tx: Tx, now: float, name: str, mime: str, data: bytes) -> AssetRow:
    a = AssetRow(
        new_id("asset_"), now, now, name, mime, len(data), "", automatic_caption(name, data)
    )
    tx.insert_asset(a, data)
    return a


def _check_ceiling(sb: Sandbox, tx: Tx, adding: int) -> None:
    limit = sb.limits.max_dataset_images
    if tx.team_image_count() + adding > limit:
        raise HttpError(
            429,
            f"The team's training dataset limit of {limit} images is reached",
            code="quota-exceeded",
            extra={"action": "add-training-image", "actionLimit": limit},
        )


def _assets_from_body(tx: Tx, m: ModelRow, body: dict[str, Any], now: float) -> list[str]:
    """Asset ids the body names, creating one from a data URL; checks the add rules."""
    if "assetIds" in body:
        ids = body["assetIds"]
        if "assetId" in body or "data" in body:
            raise bad_request("assetIds cannot be combined with assetId or data and name")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise bad_request("assetIds must be a non-empty array of asset ids")
        if len(ids) > MAX_ASSET_IDS:
            raise bad_request("Too many assetIds provided in a single request", max=MAX_ASSET_IDS)
    elif "assetId" in body:
        ids = [body["assetId"]]
        if not isinstance(ids[0], str):
            raise bad_request("assetId must be a string")
    elif "data" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("name is required with data (the original file name)")
        mime, data = decode_data_url(body["data"])
        return [new_asset(tx, now, name, mime, data).id]
    else:
        raise bad_request("Provide assetId, assetIds, or data and name")
    for asset_id in dict.fromkeys(ids):
        if tx.asset(asset_id) is None:
            raise not_found("Asset", asset_id)
        if tx.image(m.id, asset_id) is not None:
            raise bad_request("The provided assetId is already a training image of this model")
    return list(dict.fromkeys(ids))


def _image_json(tx: Tx, request: Request, model_id: str, asset_id: str) -> dict[str, Any]:
    img = tx.image(model_id, asset_id)
    if img is None:  # just attached in this transaction: never, but not worth a 500
        raise not_found("Training image", asset_id)
    return {"trainingImage": payloads.training_image(img, base_url(request))}


def _pairs(body: Any, image_ids: set[str]) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise bad_request("The body must be an array of pairs {sourceId, targetId, instruction}")
    out = []
    for n, item in enumerate(body):
        if not isinstance(item, dict) or set(item) - {"sourceId", "targetId", "instruction"}:
            raise bad_request(f"pairs[{n}] must be an object with sourceId, targetId, instruction")
        for key, value in item.items():
            if value is not None and not isinstance(value, str):
                raise bad_request(f"pairs[{n}].{key} must be a string")
            if key != "instruction" and value is not None and value not in image_ids:
                raise bad_request(f"pairs[{n}].{key} {value} is not a training image of this model")
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def routes(sb: Sandbox) -> list[Route]:
    async def add(request: Request) -> Response:
        body = await json_object(request)
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            now = sb.now()
            ids = _assets_from_body(tx, m, body, now)
            _check_ceiling(sb, tx, len(ids))
            for asset_id in ids:
                tx.attach(m.id, asset_id, now)
            tx.update_model(m.id, now)
            return reply(_image_json(tx, request, m.id, ids[0]))

    async def replace(request: Request) -> Response:
        body = await json_object(request)
        old = request.path_params["image_id"]
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            if tx.image(m.id, old) is None:
                raise not_found("Training image", old)
            if "assetIds" in body:
                raise bad_request("Replace takes one image: assetId, or data and name")
            now = sb.now()
            ids = _assets_from_body(tx, m, body, now)
            tx.swap_image(m.id, old, ids[0], now)
            pairs = [{k: ids[0] if v == old else v for k, v in p.items()} for p in m.pairs]
            tx.update_model(m.id, now, pairs=pairs)
            return reply(_image_json(tx, request, m.id, ids[0]))

    async def delete(request: Request) -> Response:
        image_id = request.path_params["image_id"]
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            if tx.image(m.id, image_id) is None:
                raise not_found("Training image", image_id)
            tx.detach(m.id, image_id)
            pairs = [p for p in m.pairs if image_id not in (p.get("sourceId"), p.get("targetId"))]
            tx.update_model(m.id, sb.now(), pairs=pairs)
        return reply({})

    async def replace_pairs(request: Request) -> Response:
        body = await json_value(request)
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            pairs = _pairs(body, {i.asset.id for i in tx.images(m.id)})
            tx.update_model(m.id, sb.now(), pairs=pairs)
        return reply({"count": len(pairs), "pairs": pairs})

    return [
        Route("/models/{model_id}/training-images", add, methods=["POST"]),
        Route("/models/{model_id}/training-images/pairs", replace_pairs, methods=["PUT"]),
        Route("/models/{model_id}/training-images/{image_id}", replace, methods=["PUT"]),
        Route("/models/{model_id}/training-images/{image_id}", delete, methods=["DELETE"]),
    ]
