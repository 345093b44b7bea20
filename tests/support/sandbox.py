"""Helpers for the sandbox tests: a settable clock, image data, clients, a served sandbox."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from scenario_sdk import AsyncScenario
from starlette.applications import Starlette

from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

AUTH = (SANDBOX_API_KEY, SANDBOX_API_SECRET)
BASE = "http://sandbox/v1"
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def data_url(content: bytes = PNG_BYTES, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def image(n: int) -> str:
    """A distinct (not necessarily valid PNG) image per n, so captions differ."""
    return data_url(PNG_BYTES + bytes([n]))


class Clock:
    """A clock the test moves by hand: lifecycle states are a pure function of it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def upload_file(c: httpx.AsyncClient, name: str, data: bytes, mime: str) -> str:
    """The documented multipart upload over `c` (an API client), in one part; the asset id.
    The part URL is presigned: it is sent without the API's credentials."""
    kind = "audio" if mime.startswith("audio/") else "image"
    body = {"fileName": name, "fileSize": len(data), "contentType": mime, "kind": kind, "parts": 1}
    up = (await c.post("/uploads", json=body)).json()["upload"]
    put = await c.put(up["parts"][0]["url"], content=data, auth=None)  # type: ignore[arg-type]
    assert put.status_code == 200, put.text
    await c.post(f"/uploads/{up['id']}/action", json={"action": "complete"})
    asset_id: str = (await c.get(f"/uploads/{up['id']}")).json()["upload"]["entityId"]
    return asset_id


def http_client(app: Starlette, *, auth: Any = AUTH) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, auth=auth)


def sdk_client(app: Starlette, **kw: Any) -> AsyncScenario:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    return AsyncScenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=BASE,
        http_client=http,
        **kw,
    )


Serve = Callable[[Starlette], str]  # the `serve` fixture: serve(app) -> base URL (…/v1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Starlette) -> Iterator[str]:
    """Serve `app` over real HTTP in a thread; yields the base URL (…/v1)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def api_env(base_url: str) -> dict[str, str]:
    """The environment that points `trainops` (without `--sandbox`) at a served sandbox."""
    return {
        "SCENARIO_API_KEY": SANDBOX_API_KEY,
        "SCENARIO_API_SECRET": SANDBOX_API_SECRET,
        "SCENARIO_BASE_URL": base_url,
    }
