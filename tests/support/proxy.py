"""A misbehaving proxy in front of an app: replies that are 2xx but not the API's JSON."""

from __future__ import annotations

import re

from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRIGGER = re.compile(r"/models/[^/]+/train$")
HTML = "<html><body><h1>Welcome</h1><p>Please sign in to continue.</p></body></html>"


class HtmlReply:
    """Answers `times` requests matching `method` and `path` (a regex searched in the path, the
    query ignored unless `dry_run` says otherwise) with an HTML page and status 200.

    `acts`: the request reaches the app first (the API did it; only its reply is lost), else
    the proxy answers on its own and the API never sees it. `times` None: every matching one.
    """

    def __init__(
        self,
        app: ASGIApp,
        method: str,
        path: str,
        *,
        acts: bool,
        times: int | None = 1,
        dry_run: bool = False,
    ) -> None:
        self.app, self.method, self.path = app, method, re.compile(path)
        self.acts, self.left, self.dry_run = acts, times, dry_run
        self.hits = 0

    def _matches(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == self.method
            and self.path.search(scope["path"]) is not None
            and (b"dryRun" in scope.get("query_string", b"")) == self.dry_run
            and (self.left is None or self.left > 0)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._matches(scope):
            await self.app(scope, receive, send)
            return
        self.hits += 1
        if self.left is not None:
            self.left -= 1
        if self.acts:

            async def drop(_message: Message) -> None:
                pass

            await self.app(scope, receive, drop)
        await HTMLResponse(HTML, status_code=200)(scope, receive, send)


class TriggerThenOutage:
    """The API handles the first training trigger; its reply is the API's own, or `status` with
    an error body when given. From then on every request is answered 503: apply dies (its
    connection, or the API) right after triggering."""

    def __init__(self, app: ASGIApp, *, status: int | None = None) -> None:
        self.app, self.status, self.down = app, status, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.down:
            await JSONResponse({"message": "unavailable"}, status_code=503)(scope, receive, send)
            return
        trigger = (
            scope["type"] == "http"
            and scope["method"] == "PUT"
            and TRIGGER.search(scope["path"]) is not None
            and b"dryRun" not in scope.get("query_string", b"")
        )
        self.down = trigger
        if not trigger or self.status is None:
            await self.app(scope, receive, send)
            return

        async def drop(_message: Message) -> None:
            pass

        await self.app(scope, receive, drop)
        body = {"message": "internal error"}
        await JSONResponse(body, status_code=self.status)(scope, receive, send)
