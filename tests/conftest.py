"""Fixtures shared by every folder. Helpers to import live in tests/support/ (a test module never
imports another test module); fixtures one folder alone uses live in that folder's conftest.py.

- `cli`: `trainops ...` in-process (tests/support/cli.py): `cli("plan", "--sandbox", cwd=root)`
  returns the exit code; `cli.out` and `cli.err` hold what it printed. Credentials and other
  variables go in `cli.env` (or `env=` for one call), never through monkeypatch.setenv: the
  fixture clears SCENARIO_*, WANDB_KEY, GITHUB_* and sets NO_COLOR when it is created.
- `ws`: a small real workspace (models alpha and beta) committed in a git repository;
  `trained`: the same after one apply that trained both.
- `fake_github`: the fake GitHub API over real HTTP (tests/support/fake_github.py).
- `clock`: a clock the test moves by hand (`clock.advance(5)`).
- `sandbox`: the in-process sandbox app, its state in this test's tmp dir, on `clock`.
- `serve`: `serve(app)` serves an app over real HTTP until the test ends; the base URL (…/v1).
- every test runs with TRAINOPS_CACHE=verify: a cached manifest load is checked against an
  uncached one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.support.cli import UNSET, Cli
from tests.support.fake_github import FakeGithub, serve_fake_github
from tests.support.github_env import TOKEN
from tests.support.sandbox import Clock, Serve, served
from tests.support.workspace import make_workspace, train_all
from trainops.sandbox import create_app


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return Cli(capsys, monkeypatch)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def trained(ws: Path) -> Path:
    """`ws` after one apply that trained both its models, waited to the end."""
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    return ws


@pytest.fixture
def fake_github() -> Iterator[FakeGithub]:
    """The fake GitHub API over real HTTP, accepting `TOKEN`; `environ(tmp_path, fake_github,
    event)` (tests/support/github_env.py) is the environment that points trainops at it."""
    with serve_fake_github(TOKEN) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: Clock) -> Starlette:
    return create_app(tmp_path / "sandbox.db", clock=clock)


@pytest.fixture
def serve() -> Iterator[Serve]:
    with ExitStack() as servers:
        yield lambda app: servers.enter_context(served(app))


@pytest.fixture(autouse=True)
def _verify_the_load_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command a test runs checks its cached manifest load against a load without any
    cache, and fails (exit 3) naming what differed: each end-to-end test checks the cache."""
    monkeypatch.setenv("TRAINOPS_CACHE", "verify")
