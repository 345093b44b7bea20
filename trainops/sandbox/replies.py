"""Request parsing and the API's error shape: `{"apiError": code, "message": text, ...}`."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


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

    def response(self) -> JSONResponse:
        body = {"apiError": self.code, "message": self.message, **self.extra}
        return JSONResponse(body, status_code=self.status)


_CODES = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    429: "too-many-requests",
}


def bad_request(message: str, **extra: Any) -> HttpError:
    return HttpError(400, message, extra=extra or None)


def not_found(kind: str, ident: str) -> HttpError:
    return HttpError(404, f"{kind} {ident} not found")


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
        return json.loads(raw)
    except ValueError:
        raise bad_request("The request body is not valid JSON") from None


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
