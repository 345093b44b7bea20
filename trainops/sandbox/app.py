"""The ASGI application: routes under `/v1`, HTTP Basic auth, JSON errors, fault injection."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from trainops.sandbox import admin, assets, images, models, training, uploads
from trainops.sandbox.context import PREFIX, Sandbox
from trainops.sandbox.deviations import Deviations
from trainops.sandbox.faults import Fault, FaultBox, FaultMiddleware
from trainops.sandbox.limits import Limits
from trainops.sandbox.replies import BodyLimitMiddleware, HttpError
from trainops.sandbox.store import Store

SANDBOX_API_KEY = "sandbox-key"
SANDBOX_API_SECRET = "sandbox-secret"  # noqa: S105  (the documented default, refused off loopback)
_OPEN_PREFIX = f"{PREFIX}/files/"  # download URLs work without credentials, like signed URLs


def basic_auth_ok(header: str | None, key: str, secret: str) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_key, _, given_secret = decoded.partition(":")
    key_ok = hmac.compare_digest(given_key.encode(), key.encode())
    return hmac.compare_digest(given_secret.encode(), secret.encode()) and key_ok


class AuthMiddleware:
    def __init__(self, app: ASGIApp, key: str, secret: str) -> None:
        self.app, self.key, self.secret = app, key, secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith(_OPEN_PREFIX):
            headers = dict(scope.get("headers", []))
            raw = headers.get(b"authorization")
            if not basic_auth_ok(raw.decode("latin-1") if raw else None, self.key, self.secret):
                error = HttpError(401, "Invalid or missing API key and secret (HTTP Basic auth)")
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


# Starlette calls each handler only with the exception class it is registered for.
async def _http_error(request: Request, exc: Exception) -> Response:
    sb: Sandbox = request.app.state.sandbox
    return cast(HttpError, exc).response(sb.deviations.quota_body)


async def _starlette_error(_request: Request, exc: Exception) -> Response:
    http = cast(HTTPException, exc)
    return HttpError(http.status_code, str(http.detail)).response()


async def _crash(_request: Request, exc: Exception) -> Response:
    body = {"apiError": "internal-error", "message": f"Sandbox internal error: {exc!r}"}
    return JSONResponse(body, status_code=500)


def create_app(
    db_path: str | Path,
    *,
    api_key: str = SANDBOX_API_KEY,
    api_secret: str = SANDBOX_API_SECRET,
    speed: float = 1.0,
    limits: Limits | None = None,
    faults: Sequence[Fault] = (),
    clock: Callable[[], float] | None = None,
    deviations: Deviations | None = None,
) -> Starlette:
    """A Scenario-compatible API over the SQLite file `db_path` (created with its parents);
    `deviations` switches on behaviour no document settles (sandbox/deviations.py)."""
    if speed <= 0:
        raise ValueError("speed must be greater than 0")
    box = FaultBox(faults)
    sb = Sandbox(
        Store(db_path),
        clock or time.time,
        speed,
        limits or Limits(),
        box,
        api_key,
        api_secret,
        deviations or Deviations(),
    )
    api = [
        *models.routes(sb),
        *images.routes(sb),
        *training.routes(sb),
        *assets.routes(sb),
        *assets.file_routes(sb),
        *uploads.routes(sb),
        *admin.routes(sb),
    ]
    app = Starlette(
        routes=[Mount(PREFIX, routes=api)],
        middleware=[
            Middleware(BodyLimitMiddleware),
            Middleware(AuthMiddleware, key=api_key, secret=api_secret),
            Middleware(FaultMiddleware, box=box, prefix=PREFIX),
        ],
        exception_handlers={HttpError: _http_error, HTTPException: _starlette_error, 500: _crash},
    )
    app.state.sandbox = sb
    return app
