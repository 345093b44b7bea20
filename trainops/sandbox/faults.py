"""Fault injection: added latency, transient 429s, 500s and slow replies on chosen routes.

`latency` waits before the request is handled; `slow` handles it (the change is made) and then
waits before replying, which is what a client timeout after a successful write looks like.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["latency", "429", "500", "slow"]
KINDS: tuple[str, ...] = ("latency", "429", "500", "slow")


@dataclass
class Fault:
    method: str | None  # None matches every method
    path_regex: str  # searched in the request path, e.g. r"/models/[^/]+/train$"
    kind: FaultKind
    times: int | None = None  # how many matching requests it hits; None = always
    seconds: float = 0.0  # latency / slow delay
    retry_after: float | None = None  # 429: the Retry-After header, in seconds
    hits: int = field(default=0, compare=False)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path_regex, path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "pathRegex": self.path_regex,
            "kind": self.kind,
            "times": self.times,
            "seconds": self.seconds,
            "retryAfter": self.retry_after,
            "hits": self.hits,
        }


def fault_from_json(data: object) -> Fault:
    """Parse one fault of `POST /_sandbox/faults`; raises ValueError naming the bad field."""
    if not isinstance(data, dict):
        raise ValueError("each fault must be an object")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    path = data.get("pathRegex", data.get("path_regex"))
    if not isinstance(path, str):
        raise ValueError("pathRegex must be a string (a regular expression)")
    try:
        re.compile(path)
    except re.error as exc:
        raise ValueError(f"pathRegex is not a valid regular expression: {exc}") from None
    method, times = data.get("method"), data.get("times")
    seconds = data.get("seconds", 0.0)
    retry_after = data.get("retryAfter", data.get("retry_after"))
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string or null")
    if times is not None and (not isinstance(times, int) or times < 0):
        raise ValueError("times must be a non-negative integer or null")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("seconds must be a non-negative number")
    if retry_after is not None and not isinstance(retry_after, int | float):
        raise ValueError("retryAfter must be a number or null")
    return Fault(method, path, kind, times, float(seconds), retry_after)


class FaultBox:
    """The server's current faults; shared by concurrent requests, so guarded by a lock."""

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults = list(faults)

    def replace(self, faults: Sequence[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request, counting the hit against `times`."""
        fired: list[Fault] = []
        with self._lock:
            for f in self._faults:
                if f.matches(method, path) and (f.times is None or f.hits < f.times):
                    f.hits += 1
                    fired.append(f)
        return fired


def _error_response(fault: Fault) -> Response:
    if fault.kind == "500":
        body = {"apiError": "internal-error", "message": "Injected sandbox fault: internal error"}
        return JSONResponse(body, status_code=500)
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    body = {"apiError": "too-many-requests", "message": "Injected sandbox fault: rate limited"}
    return JSONResponse(body, status_code=429, headers=headers)


class FaultMiddleware:
    """Applies the box's faults to every request under the API prefix."""

    def __init__(self, app: ASGIApp, box: FaultBox, prefix: str) -> None:
        self.app, self.box, self.prefix = app, box, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or "/_sandbox/" in path:
            await self.app(scope, receive, send)
            return
        fired = self.box.take(scope["method"], path)
        for f in fired:
            if f.kind == "latency":
                await asyncio.sleep(f.seconds)
            elif f.kind in ("429", "500"):
                await _error_response(f)(scope, receive, send)
                return
        slow = sum(f.seconds for f in fired if f.kind == "slow")
        if not slow:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(slow)
        for message in held:
            await send(message)
