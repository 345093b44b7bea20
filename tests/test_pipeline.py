"""The pipeline driver (trainops.pipeline): what no command test pins on its own."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.workspace import actions, app_for, client_for, edit
from trainops import pipeline
from trainops.errors import ApiError, ManifestError
from trainops.sandbox import Fault
from trainops.scenario.client import Scenario


class Costly:
    """Stands for a plan of hundreds of models, whose full repr is slow to build."""

    reprs = 0

    def __repr__(self) -> str:
        Costly.reprs += 1
        return "Costly()"


def test_run_returns_the_result_without_ever_formatting_it() -> None:
    # asyncio.run restores the SIGINT handler on the way out, and on Python 3.11+ the signal
    # module formats the old handler (a partial holding the finished main task, so its result)
    # into an error message it then throws away: a large plan would pay for formatting itself.
    async def main() -> Costly:
        return Costly()

    Costly.reprs = 0
    out = pipeline.run(main())
    assert isinstance(out, Costly)
    assert Costly.reprs == 0


class Cycle:
    """Garbage only the cycle collector frees: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


async def fails() -> None:
    raise ApiError("GET /models: 500", status=500)


def test_run_leaves_what_existed_before_it_collectable_after_it() -> None:
    # A long-lived caller (the GitHub flow, a test session) must get back what it lent.
    before = Cycle(), Cycle()
    refs = [weakref.ref(c) for c in before]
    assert pipeline.run(asyncio.sleep(0, "done")) == "done"
    with pytest.raises(ApiError):
        pipeline.run(fails())
    del before
    gc.collect()
    assert [r() for r in refs] == [None, None]


# --- load_and_plan: the manifests load while the first list page is in flight -----------------


def _listing_in_flight(root: Path, client: Scenario, seen: list[int]) -> pipeline.Loaded:
    # A load that waits, up to 10 s, for the event loop to send the list request meanwhile.
    deadline = time.monotonic() + 10
    while not client.requests["GET /models"] and time.monotonic() < deadline:
        time.sleep(0.01)
    seen.append(client.requests["GET /models"])
    return pipeline.load([], cwd=root)


@synchronous
async def test_the_model_list_is_requested_while_the_manifests_load(ws: Path) -> None:
    app = app_for(ws, faults=(Fault("GET", r"/models$", "latency", seconds=0.3),))
    seen: list[int] = []
    async with client_for(app, ws) as client:
        planned = await pipeline.load_and_plan(client, lambda: _listing_in_flight(ws, client, seen))
    assert seen == [1]  # requested before the load returned, and only once in all
    assert actions(planned.plan) == {"alpha": "create", "beta": "create"}


@synchronous
async def test_a_manifest_error_is_raised_at_once_and_the_listing_cancelled(ws: Path) -> None:
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: -1")
    app = app_for(ws, faults=(Fault("GET", r"/models$", "latency", seconds=30),))
    start = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        async with client_for(app, ws) as client:
            await pipeline.load_and_plan(client, lambda: pipeline.load([], cwd=ws))
    assert [d.field for d in caught.value.diagnostics] == ["spec.parameters.maxTrainSteps"]
    assert time.monotonic() - start < 10  # not waiting for the 30 s listing


@synchronous
async def test_a_listing_error_is_raised_once_the_manifests_are_loaded(ws: Path) -> None:
    app = app_for(ws, faults=(Fault("GET", r"/models$", "500"),))
    with pytest.raises(ApiError) as caught:
        async with client_for(app, ws) as client:
            await pipeline.load_and_plan(client, lambda: pipeline.load([], cwd=ws))
    assert caught.value.status == 500
