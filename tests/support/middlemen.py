"""Middlemen in front of the sandbox app for the issue 12 tests: one that records what reaches
the API, one that shows every model's training images cut to the first 3 whatever is asked."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Recorder:
    """The app as it is; each request's method, path and query recorded on the way in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str, dict[str, list[str]]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = parse_qs(scope.get("query_string", b"").decode())
            self.seen.append((scope["method"], scope["path"], query))
        await self.app(scope, receive, send)


class Truncating:
    """Every `trainingImages` list cut to 3, get-bulk's with `allTrainingImages` too: an API
    that never shows a model's whole list."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: list[Message] = []
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.append(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body = b"".join(chunks)
        if body.startswith(b"{"):
            body = json.dumps(_cut(json.loads(body))).encode()
        headers = [(k, v) for k, v in start[0]["headers"] if k != b"content-length"]
        await send({**start[0], "headers": [*headers, (b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})


def _cut(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v[:3] if k == "trainingImages" else _cut(v) for k, v in value.items()}
    return [_cut(v) for v in value] if isinstance(value, list) else value
