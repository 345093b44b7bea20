"""`trainops sandbox serve`: credentials, the loopback rule, state that survives a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.sandbox import free_port, http_client
from trainops.errors import ConfigError
from trainops.sandbox import create_app, serve


def test_flags_win_over_environment_which_wins_over_defaults() -> None:
    env = {serve.ENV_KEY: "env-key", serve.ENV_SECRET: "env-secret"}
    assert (serve.resolve(env={}).api_key, serve.resolve(env={}).api_secret) == (
        "sandbox-key",
        "sandbox-secret",
    )
    assert serve.resolve(env=env).api_key == "env-key"
    config = serve.resolve(api_key="k", api_secret="s", env=env)
    assert (config.api_key, config.api_secret) == ("k", "s")
    assert serve.resolve(host="::1", port=9, env={}).url == "http://[::1]:9/v1"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.2", "example.com"])
def test_non_loopback_needs_explicit_credentials(host: str) -> None:
    with pytest.raises(ConfigError, match="default credentials"):
        serve.resolve(host=host, env={})
    assert serve.resolve(host=host, env={serve.ENV_KEY: "k", serve.ENV_SECRET: "s"}).host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts(host: str) -> None:
    assert serve.is_loopback(host)


def test_cli_refuses_public_bind_with_default_credentials(cli: Cli) -> None:
    assert cli("sandbox", "serve", "--host", "0.0.0.0") == 1
    assert cli.err == (
        "error: refusing to serve on 0.0.0.0 with the documented default credentials\n"
        "hint: pass --api-key and --api-secret (or set TRAINOPS_SANDBOX_API_KEY and "
        "TRAINOPS_SANDBOX_API_SECRET), or bind a loopback address such as 127.0.0.1\n"
    )


def test_cli_rejects_bad_speed(cli: Cli) -> None:
    assert cli("sandbox", "serve", "--speed", "0") == 1
    assert cli.err == "error: --speed must be greater than 0, got 0\n"


@contextmanager
def _server(db: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, serve.ENV_KEY: "k1", serve.ENV_SECRET: "s1"}
    cmd = [
        sys.executable,
        "-m",
        "trainops",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=0.5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_serve_over_http_and_state_survives_a_restart(tmp_path: Path) -> None:
    db, port = tmp_path / "nested" / "sandbox.db", free_port()
    base = f"http://127.0.0.1:{port}/v1"
    with _server(db, port) as proc:
        assert (
            httpx.get(f"{base}/models", auth=("sandbox-key", "sandbox-secret")).status_code == 401
        )
        created = httpx.post(f"{base}/models", json={"name": "kept"}, auth=("k1", "s1"))
        assert created.status_code == 200
    out = proc.stdout.read() if proc.stdout else ""
    assert out == (
        f"sandbox API on {base} (state: {db}, speed x1, your credentials)\n"
        "team limits: 2 parallel trainings\n"
        "costs are simulated; press Ctrl+C to stop\n"
    )
    assert proc.returncode == 0

    # a second server on the same file, in-process: spawning one costs seconds
    assert model_names(create_app(db)) == ["kept"]


@synchronous
async def model_names(app: Starlette) -> list[str]:
    async with http_client(app) as c:
        return [m["name"] for m in (await c.get("/models")).json()["models"]]


def test_the_team_limits_default_to_a_small_team_and_flags_change_them(cli: Cli) -> None:
    small = serve.resolve(env={})
    assert (small.limits.max_parallel_trainings, small.limits.launch_cooldown_s) == (2, 0.0)
    given = serve.resolve(env={}, limits={"max_parallel_trainings": 1, "launch_cooldown_s": 5})
    assert (given.limits.max_parallel_trainings, given.limits.launch_cooldown_s) == (1, 5)
    with pytest.raises(ConfigError, match="must be a non-negative number"):
        serve.resolve(env={}, limits={"max_parallel_trainings": -1})
    assert cli("sandbox", "serve", "--parallel-trainings", "-1") == 1
    assert "must be a non-negative number" in cli.err
