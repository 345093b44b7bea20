"""The multipart upload flow (scenario-api.md 10; scenario-sdk's `uploads` resource and
`types/upload_*.py`): `POST /uploads` answers an upload with one URL per part; the client PUTs
each part's bytes to its URL; `POST /uploads/{id}/action {"action": "complete"}` assembles them
into an asset; `GET /uploads/{id}` names the asset (`entityId`) once the upload is `imported`.

The part URLs are the sandbox's own, outside the authenticated API like the real API's presigned
object-store URLs: a random token in the query is their credential, and they expire. Completing
answers `validating` without the asset; the next read answers `imported` with it, so a client
that does not poll is caught. Parts that do not add up to the declared `fileSize` fail the upload
(`failed`, with `errorMessage`), as a server-side validation would.

Only `image` and `audio` uploads of local bytes are implemented: the kinds trainops sends.
Pending uploads live in memory (bounded); a restart forgets them, as presigned URLs expire.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox import payloads
from trainops.sandbox.context import Sandbox, base_url, new_id
from trainops.sandbox.images import new_asset
from trainops.sandbox.replies import HttpError, bad_request, json_object, not_found, reply

MAX_FILE_BYTES = 100 * 1000 * 1000  # bounds what one upload holds in memory
MAX_PARTS = 100
MAX_PENDING = 32  # uploads not yet completed; the oldest is forgotten past it
MAX_KEPT = 10_000  # uploads of any status
PART_URL_TTL_S = 3600.0
KINDS = {"image": "image/", "audio": "audio/"}  # kind -> the content types it takes
_SDK_KINDS = ("3d", "asset", "audio", "avatar", "image", "model", "text", "video")
_OTHER_SOURCES = ("url", "civitaiModelUrl", "huggingFaceModelName")


@dataclass
class Upload:
    """One upload's state; `upload_payload` renders it as the SDK's `Upload`."""

    id: str
    created_at: float
    updated_at: float
    file_name: str
    file_size: int
    content_type: str
    kind: str
    parts_count: int
    token: str
    expires_at: float
    status: str = "pending"
    parts: dict[int, bytes] = field(default_factory=dict)
    asset_id: str | None = None
    error: str | None = None


def _declared(body: dict[str, Any]) -> tuple[str, int, str, str, int]:
    """fileName, fileSize, contentType, kind and parts of a multipart upload, checked."""
    if any(body.get(k) is not None for k in _OTHER_SOURCES):
        raise bad_request("The sandbox implements multipart uploads only (no url, civitai or hf)")
    name, size, mime = body.get("fileName"), body.get("fileSize"), body.get("contentType")
    kind, parts = body.get("kind"), body.get("parts")
    if not isinstance(name, str) or not name:
        raise bad_request("fileName is required for a multipart upload")
    if kind not in _SDK_KINDS:
        raise bad_request(f"kind must be one of {', '.join(_SDK_KINDS)}")
    if kind not in KINDS:
        raise bad_request(f"The sandbox does not implement uploads of kind {kind}")
    if not isinstance(mime, str) or not mime.startswith(KINDS[kind]):
        raise bad_request(f"contentType must be a {KINDS[kind]}* type for kind {kind}")
    size, parts = _whole(size), _whole(parts)
    if size is None or not 0 < size <= MAX_FILE_BYTES:
        raise bad_request(f"fileSize must be a number of bytes from 1 to {MAX_FILE_BYTES}")
    if parts is None or not 1 <= parts <= min(MAX_PARTS, size):
        raise bad_request(f"parts must be a whole number from 1 to {MAX_PARTS}, at most fileSize")
    return name, size, mime, kind, parts


def _whole(value: object) -> int | None:
    """A JSON number without a fraction (the SDK types sizes as floats), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None  # Python's JSON reads Infinity and NaN
    return int(value)


def routes(sb: Sandbox) -> list[Route]:
    uploads: OrderedDict[str, Upload] = OrderedDict()

    def found(upload_id: str) -> Upload:
        up = uploads.get(upload_id)
        if up is None:
            raise not_found("Upload", upload_id)
        return up

    async def create(request: Request) -> Response:
        name, size, mime, kind, parts = _declared(await json_object(request))
        now = sb.now()
        token = secrets.token_urlsafe(16)
        up = Upload(
            new_id("upload_"), now, now, name, size, mime, kind, parts, token, now + PART_URL_TTL_S
        )
        uploads[up.id] = up
        pending = [k for k, u in uploads.items() if u.status == "pending"]
        for stale in pending[: max(0, len(pending) - MAX_PENDING)]:
            del uploads[stale]
        while len(uploads) > MAX_KEPT:  # completed ones hold no bytes, but are not kept forever
            uploads.popitem(last=False)
        return reply({"upload": upload_payload(up, base_url(request))})

    async def put_part(request: Request) -> Response:
        up = uploads.get(request.path_params["upload_id"])
        token = request.query_params.get("token", "")
        # A presigned URL: a wrong token or an unknown upload look the same from outside.
        if up is None or not hmac.compare_digest(token.encode(), up.token.encode()):
            raise HttpError(403, "The part URL is not valid", code="forbidden")
        if sb.now() > up.expires_at:
            raise HttpError(403, "The part URL has expired", code="forbidden")
        number = int(request.path_params["number"])
        if not 1 <= number <= up.parts_count or up.status != "pending":
            raise HttpError(403, "The part URL is not valid", code="forbidden")
        data = await request.body()
        others = sum(len(b) for n, b in up.parts.items() if n != number)
        if others + len(data) > up.file_size:
            raise HttpError(413, "The parts are larger than the declared fileSize")
        up.parts[number] = data
        etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
        return Response(status_code=200, headers={"ETag": etag})

    async def action(request: Request) -> Response:
        body = await json_object(request)
        if body.get("action") != "complete":
            raise bad_request('action must be "complete"')
        up = found(request.path_params["upload_id"])
        if up.status == "pending":
            missing = [n for n in range(1, up.parts_count + 1) if n not in up.parts]
            if missing:
                raise bad_request(f"Part {missing[0]} of {up.parts_count} was not uploaded")
            _complete(sb, up)
        return reply({"upload": upload_payload(up, base_url(request))})

    async def retrieve(request: Request) -> Response:
        up = found(request.path_params["upload_id"])
        if up.status == "validating":
            up.status, up.updated_at = "imported", sb.now()
        return reply({"upload": upload_payload(up, base_url(request))})

    return [
        Route("/uploads", create, methods=["POST"]),
        Route("/uploads/{upload_id}", retrieve, methods=["GET"]),
        Route("/uploads/{upload_id}/action", action, methods=["POST"]),
        Route("/files/uploads/{upload_id}/{number:int}", put_part, methods=["PUT"]),
    ]


def _complete(sb: Sandbox, up: Upload) -> None:
    data = b"".join(up.parts[n] for n in range(1, up.parts_count + 1))
    up.parts.clear()
    up.updated_at = sb.now()
    if len(data) != up.file_size:
        up.status = "failed"
        up.error = f"The parts hold {len(data)} bytes, not the declared fileSize {up.file_size}"
        return
    with sb.store.write() as tx:
        up.asset_id = new_asset(tx, up.updated_at, up.file_name, up.content_type, data).id
    up.status = "validating"


def upload_payload(up: Upload, base_url: str) -> dict[str, Any]:
    """scenario-sdk's `Upload`: the part URLs while it is pending, the asset once imported."""
    out: dict[str, Any] = {
        "id": up.id,
        "authorId": payloads.AUTHOR_ID,
        "ownerId": payloads.OWNER_ID,
        "createdAt": payloads.iso(up.created_at),
        "updatedAt": payloads.iso(up.updated_at),
        "fileName": up.file_name,
        "originalFileName": up.file_name,
        "fileSize": up.file_size,
        "contentType": up.content_type,
        "kind": up.kind,
        "source": "multipart",
        "status": up.status,
        "partsCount": up.parts_count,
    }
    if up.status == "pending":
        expires = payloads.iso(up.expires_at)
        out["parts"] = [
            {
                "number": n,
                "url": f"{base_url}files/uploads/{up.id}/{n}?token={up.token}",
                "expires": expires,
            }
            for n in range(1, up.parts_count + 1)
        ]
    if up.status == "imported" and up.asset_id is not None:
        out["entityId"] = up.asset_id
    if up.error is not None:
        out["errorMessage"] = up.error
    return out
