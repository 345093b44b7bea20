"""Helpers for the model-identity tests: a trained starting state, and an API that dies right
after it handled one chosen request (what a kill between two requests of apply looks like)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.workspace import plan_and_apply
from trainops.scenario.client import Scenario
from trainops.watch import wait_for_trainings


async def trained(ws: Path, client: Scenario) -> None:
    """Apply the workspace and wait for its trainings to end (instant at the default speed)."""
    outcome = await plan_and_apply(ws, client)
    await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
    client.requests.clear()


class DiesAfter:
    """The API handles the first `method` request whose path matches `path` and then answers
    every later request with 503: the process that sent it was killed right after it."""

    def __init__(self, app: ASGIApp, method: str, path: str) -> None:
        self.app, self.method, self.path = app, method, re.compile(path)
        self.dead = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.dead:
            await JSONResponse({"message": "gone"}, status_code=503)(scope, receive, send)
            return
        self.dead = (
            scope["type"] == "http"
            and scope["method"] == self.method
            and self.path.search(scope["path"]) is not None
        )
        await self.app(scope, receive, send)
