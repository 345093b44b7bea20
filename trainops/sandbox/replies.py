"""Request parsing and the API's error shape: `{"apiError": code, "message": text, ...}`.

The sandbox is served to other tools, so what it reads from a request is bounded: a body over
`MAX_BODY_BYTES` is refused with 413 while it streams in, and JSON nested deeper than
`MAX_JSON_DEPTH` with 400, before anything recursive (parsing, storing, replying) runs out of
stack on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The API takes images under 6 MB as base64 data URLs in JSON (4/3 of the bytes: 8 MiB), and
# the rest of the JSON (name, keys) around one.
MAX_BODY_BYTES = 9 * 1024 * 1024
MAX_JSON_DEPTH = 32  # the API's bodies nest a few levels; Python's recursion limit is 1000


class HttpError(Exception):
    """Raised by handlers; the app turns it into a JSON error reply."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.extra = extra or {}

    def response(
        self, shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> JSONResponse:
        body = {"apiError": self.code, "message": self.message, **self.extra}
        return JSONResponse(body if shape is None else shape(body), status_code=self.status)


_CODES = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    429: "too-many-requests",
}


def bad_request(message: str, **extra: Any) -> HttpError:
    return HttpError(400, message, extra=extra or None)


def not_found(kind: str, ident: str) -> HttpError:
    return HttpError(404, f"{kind} {ident} not found")


def too_large(limit: int) -> HttpError:
    message = (
        f"The request body is over the {limit} byte limit "
        "(a base64 data URL is for images under 6 MB)"
    )
    return HttpError(413, message, extra={"max": limit})


def _too_deep() -> HttpError:
    return bad_request(f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)")


class BodyLimitMiddleware:
    """413 for a body over `limit` bytes: at once when Content-Length says so, otherwise as soon
    as the bytes read pass it (a chunked upload), so a huge body is never held in memory."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and (len(declared) > 18 or int(declared) > self.limit):
            await too_large(self.limit).response()(scope, receive, send)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.limit:
                # Raised inside the handler's read: the app's HttpError handler replies.
                raise too_large(self.limit)
            return message

        await self.app(scope, counted, send)


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body reads as `{}`."""
    value = await json_value(request)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object")
    return value


async def json_value(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise bad_request("The request body is not valid JSON") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise _too_deep()
    return value


def json_depth(value: Any) -> int:
    """How many arrays and objects deep `value` nests (0 for a scalar), without recursion."""
    depth, level = 0, [value]
    while containers := [v for v in level if isinstance(v, dict | list)]:
        depth += 1
        level = [c for v in containers for c in (v.values() if isinstance(v, dict) else v)]
    return depth


def reply(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def opt_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def str_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{name} must be an array of strings")
    return value


def query_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer between {lo} and {hi}") from None
    if not lo <= value <= hi:
        raise bad_request(f"{name} must be an integer between {lo} and {hi}, got {value}")
    return value
