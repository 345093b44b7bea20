"""The pipeline driver: the parts of `engine` that no command test pins on its own."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from tests.support.workspace import actions, app_for, client_for, edit, make_workspace
from trainops import pipeline
from trainops.errors import ApiError, ManifestError
from trainops.sandbox import Fault
from trainops.scenario.client import Scenario


class Costly:
    """Stands for a plan of 500 models: a full repr of one costs ~0.1 s."""

    reprs = 0

    def __repr__(self) -> str:
        Costly.reprs += 1
        return "Costly()"


def test_run_returns_the_result_without_ever_formatting_it() -> None:
    # asyncio.run restores the SIGINT handler on the way out, and on Python 3.11+ the signal
    # module formats the old handler (a partial holding the finished main task, so its result)
    # into an error message it then throws away: a warm plan of 500 models paid 0.1-0.2 s for it.
    async def main() -> Costly:
        return Costly()

    Costly.reprs = 0
    out = pipeline.run(main())
    assert isinstance(out, Costly)
    assert Costly.reprs == 0


def test_run_keeps_what_existed_before_out_of_the_collector_and_restores_it() -> None:
    async def main() -> int:
        return gc.get_freeze_count()

    assert gc.get_freeze_count() == 0
    assert pipeline.run(main()) > 0
    assert gc.get_freeze_count() == 0


# --- load_and_plan: the manifests load while the first list page is in flight -----------------


def _listing_in_flight(root: Path, client: Scenario, seen: list[int]) -> pipeline.Loaded:
    # A load that waits, up to 10 s, for the event loop to send the list request meanwhile.
    deadline = time.monotonic() + 10
    while not client.requests["GET /models"] and time.monotonic() < deadline:
        time.sleep(0.01)
    seen.append(client.requests["GET /models"])
    return pipeline.load([], cwd=root)


def test_the_model_list_is_requested_while_the_manifests_load(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    app = app_for(root, faults=(Fault("GET", r"/models$", "latency", seconds=0.3),))
    seen: list[int] = []

    async def go() -> pipeline.Planned:
        async with client_for(app, root) as client:
            return await pipeline.load_and_plan(
                client, lambda: _listing_in_flight(root, client, seen)
            )

    planned = pipeline.run(go())
    assert seen == [1]  # requested before the load returned, and only once in all
    assert actions(planned.plan) == {"alpha": "create", "beta": "create"}


def test_a_manifest_error_is_raised_at_once_and_the_listing_cancelled(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    edit(root / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: -1")
    app = app_for(root, faults=(Fault("GET", r"/models$", "latency", seconds=30),))

    async def go() -> pipeline.Planned:
        async with client_for(app, root) as client:
            return await pipeline.load_and_plan(client, lambda: pipeline.load([], cwd=root))

    start = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        pipeline.run(go())
    assert [d.field for d in caught.value.diagnostics] == ["spec.parameters.maxTrainSteps"]
    assert time.monotonic() - start < 10  # not waiting for the 30 s listing


def test_a_listing_error_is_raised_once_the_manifests_are_loaded(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws")
    app = app_for(root, faults=(Fault("GET", r"/models$", "500"),))

    async def go() -> pipeline.Planned:
        async with client_for(app, root) as client:
            return await pipeline.load_and_plan(client, lambda: pipeline.load([], cwd=root))

    with pytest.raises(ApiError) as caught:
        pipeline.run(go())
    assert caught.value.status == 500
