"""^C during apply says what may still be running and that apply can be run again (issue 11,
item 9): a real SIGINT, turned into a cancel by `asyncio.run` as in the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.proxy import TRIGGER, SigintAt
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import (
    actions,
    app_for,
    client_for,
    edit,
    jobs_by_model,
    plan,
    plan_and_apply,
)
from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.errors import Interrupted
from trainops.watch import wait_for_trainings

SAFE = "running apply again is safe: it does only what is missing and never trains twice"


@synchronous
async def _trained_then_alpha_edited(ws: Path) -> Starlette:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    return app


def _apply_until_interrupted(ws: Path, app: SigintAt) -> Interrupted:
    async def apply() -> None:
        async with client_for(app, ws) as client:  # type: ignore[arg-type]
            desired, the_plan = await plan(ws, client)
            await apply_plan(the_plan, desired, client, ApplyOptions())

    with pytest.raises(Interrupted) as caught:
        pipeline.run(apply())
    return caught.value


@synchronous
async def _rerun(ws: Path, app: Starlette) -> tuple[dict[str, str], dict[str, int]]:
    async with client_for(app, ws) as client:
        _, again = await plan(ws, client)
        await plan_and_apply(ws, client)
        return actions(again), await jobs_by_model(client)


def test_ctrl_c_during_a_trigger_names_the_training_that_may_still_run(ws: Path) -> None:
    app = _trained_then_alpha_edited(ws)
    stopped = _apply_until_interrupted(ws, SigintAt(app, "PUT", TRIGGER))
    assert (stopped.message, stopped.hint) == (
        "1 training this apply triggered may still be running: alpha (trigger sent, not confirmed)",
        f"follow them with `trainops status`; {SAFE} (it records what started)",
    )
    assert _rerun(ws, app) == ({"alpha": "update", "beta": "none"}, {"Alpha": 2, "Beta": 1})


def test_ctrl_c_before_any_trigger_says_none_was_started(ws: Path) -> None:
    app = app_for(ws)
    stopped = _apply_until_interrupted(ws, SigintAt(app, "POST", r"/training-images$"))
    assert (stopped.message, stopped.hint) == ("this apply triggered no training", SAFE)
    assert _rerun(ws, app)[1] == {"Alpha": 1, "Beta": 1}


def test_ctrl_c_while_waiting_says_the_trainings_go_on(ws: Path) -> None:
    app = app_for(ws, speed=1.0)  # trainings last seconds: still running when ^C comes
    watcher = SigintAt(app, "GET", r"/jobs/")

    async def apply_and_wait() -> None:
        async with client_for(watcher, ws) as client:  # type: ignore[arg-type]
            outcome = await plan_and_apply(ws, client)
            await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)

    with pytest.raises(Interrupted) as caught:
        pipeline.run(apply_and_wait())
    assert re.sub(r"job_\w+", "job_ID", caught.value.message) == (
        "stopped following the trainings; still running: alpha (job job_ID), beta (job job_ID)"
    )
    assert caught.value.hint == "apply recorded them: follow them with `trainops status`"


def test_the_cli_prints_what_may_still_run_and_exits_130(ws: Path, serve: Serve) -> None:
    app = _trained_then_alpha_edited(ws)
    sigint = SigintAt(app, "PUT", TRIGGER)
    env = {**os.environ, **api_env(serve(sigint)), "NO_COLOR": "1"}  # type: ignore[arg-type]
    env.pop("GITHUB_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainops", "apply", "--yes"],
        cwd=ws,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sigint.pid = proc.pid
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.splitlines() == [
        "interrupted: 1 training this apply triggered may still be running: alpha (trigger "
        "sent, not confirmed)",
        f"hint: follow them with `trainops status`; {SAFE} (it records what started)",
    ]
