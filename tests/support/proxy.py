"""Misbehaving middlemen in front of an app: replies that are 2xx but not the API's JSON, an
outage right after a trigger, a ^C at a chosen request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal

from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRIGGER = r"/models/[^/]+/train$"
HTML = "<html><body><h1>Welcome</h1><p>Please sign in to continue.</p></body></html>"


async def _drop(_message: Message) -> None:
    pass


class _Route:
    """`times` requests with `method` whose path `path` (a regex) is found in; a dry run (the
    trigger's route with `dryRun` in the query) only when `dry_run`. `times` None: all."""

    def __init__(
        self, method: str, path: str, *, times: int | None = 1, dry_run: bool = False
    ) -> None:
        self.method, self.path, self.left, self.dry_run = method, re.compile(path), times, dry_run
        self.hits = 0

    def take(self, scope: Scope) -> bool:
        hit = (
            scope["type"] == "http"
            and scope["method"] == self.method
            and self.path.search(scope["path"]) is not None
            and (b"dryRun" in scope.get("query_string", b"")) == self.dry_run
            and (self.left is None or self.left > 0)
        )
        if hit:
            self.hits += 1
            self.left = None if self.left is None else self.left - 1
        return hit


class HtmlReply(_Route):
    """Answers the matching requests with an HTML page and status 200. `acts`: the request
    reaches the app first (the API did it; only its reply is lost), else the proxy answers on
    its own and the API never sees it."""

    def __init__(
        self, app: ASGIApp, method: str, path: str, *, acts: bool, times: int | None = 1
    ) -> None:
        super().__init__(method, path, times=times)
        self.app, self.acts = app, acts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.take(scope):
            await self.app(scope, receive, send)
            return
        if self.acts:
            await self.app(scope, receive, _drop)
        await HTMLResponse(HTML, status_code=200)(scope, receive, send)


class TriggerThenOutage(_Route):
    """The API handles the first training trigger; its reply is the API's own, or `status` with
    an error body when given. From then on every request is answered 503: apply dies (its
    connection, or the API) right after triggering."""

    def __init__(self, app: ASGIApp, *, status: int | None = None) -> None:
        super().__init__("PUT", TRIGGER)
        self.app, self.status, self.down = app, status, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.down:
            await JSONResponse({"message": "unavailable"}, status_code=503)(scope, receive, send)
            return
        self.down = self.take(scope)
        if not self.down or self.status is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _drop)
        body = {"message": "internal error"}
        await JSONResponse(body, status_code=self.status)(scope, receive, send)


class SigintAt(_Route):
    """^C while the matching request is in flight: the API handles it, then SIGINT goes to
    `pid` (this process unless set: an in-process client, whose `asyncio.run` turns it into a
    cancel) and the reply is held until the client has given up on it."""

    def __init__(self, app: ASGIApp, method: str, path: str, *, hold: float = 5.0) -> None:
        super().__init__(method, path)
        self.app, self.hold = app, hold
        self.pid: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.take(scope):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _drop)
        if self.pid is None:
            signal.raise_signal(signal.SIGINT)
        else:
            os.kill(self.pid, signal.SIGINT)
        # Until the client goes away (after the body, `receive` waits for the disconnect).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.hold):
                while (await receive())["type"] != "http.disconnect":
                    pass
        await JSONResponse({"message": "too late"}, status_code=504)(scope, receive, send)


class EchoHeaders(_Route):
    """Refuses the matching requests with `status` and an error message that quotes the request's
    headers back, as some gateways do, followed by `padding` characters of filler."""

    def __init__(
        self, app: ASGIApp, method: str, path: str, *, status: int = 400, padding: int = 0
    ) -> None:
        super().__init__(method, path, times=None)
        self.app, self.status, self.padding = app, status, padding

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.take(scope):
            await self.app(scope, receive, send)
            return
        headers = "; ".join(f"{k.decode()}={v.decode()}" for k, v in scope["headers"])
        message = f"invalid request (headers: {headers}) " + "x" * self.padding
        body = {"apiError": "bad-request", "message": message}
        await JSONResponse(body, status_code=self.status)(scope, receive, send)
