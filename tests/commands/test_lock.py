"""The apply lock from the command line (`trainops apply`, `trainops unlock`): a held lock stops
apply with exit 75 naming its holder; `--lock-timeout` waits; an expired lock is taken over;
a failing or interrupted apply releases it; two applies at once train each model once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.locks import locks_in, locks_on, plant, plant_in
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import app_for, client_for, jobs, jobs_by_model
from trainops.commands.apply import ApplyFlags, run_apply
from trainops.commands.common import Target
from trainops.errors import LockedError
from trainops.lock import Lock, held, unlock
from trainops.sandbox import Fault

WS = "e2e"  # the `ws` fixture's workspace


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def _live(holder: str = "gh:octo/assets/123") -> Lock:
    return Lock(id="q7kx2m", holder=holder, expires=int(time.time()) + 600)


def test_a_held_lock_stops_apply_with_75_naming_its_holder(ws: Path, cli: Cli) -> None:
    plant_in(ws, WS, _live())
    assert cli("apply", "--sandbox", "--yes") == 75
    assert (cli.out, cli.err.splitlines()) == (
        "",  # not even planned: the plan is made once the lock is held
        [
            "error: another apply holds the lock of workspace 'e2e': gh:octo/assets/123 "
            "(https://github.com/octo/assets/actions/runs/123) (lock q7kx2m, expires in 10 min "
            "unless renewed)",
            "hint: let it finish and run apply again, or wait for it with --lock-timeout "
            "SECONDS; if that apply is no longer running, remove its lock: trainops unlock q7kx2m",
        ],
    )
    assert jobs(ws) == {}


def test_unlock_removes_the_named_lock_and_apply_goes_on(ws: Path, cli: Cli) -> None:
    plant_in(ws, WS, _live())
    assert cli("unlock", "nosuch", "--sandbox") == 1
    assert cli.err.splitlines()[0].startswith("error: no apply lock 'nosuch' on workspace 'e2e'")
    assert cli("unlock", "q7kx2m", "--sandbox") == 0
    assert cli.err == "removed the apply lock q7kx2m of 'e2e', held by gh:octo/assets/123\n"
    assert cli("apply", "--sandbox", "--yes") == 0, cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


def test_an_expired_lock_is_taken_over_with_a_warning(ws: Path, cli: Cli) -> None:
    plant_in(ws, WS, Lock(id="zzzzzz", holder="bob@laptop:77", expires=int(time.time()) - 900))
    assert cli("apply", "--sandbox", "--yes") == 0, cli.err
    assert cli.err.splitlines()[0] == (
        "warning: took over the apply lock of 'e2e' from bob@laptop:77 (lock zzzzzz, expired 15 "
        "min ago): that apply stopped without releasing it; check what it left with "
        "`trainops status`"
    )
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert locks_in(ws, WS) == []


def test_a_failing_apply_releases_the_lock(ws: Path, cli: Cli) -> None:
    assert cli("apply", "--sandbox", "--yes", "--max-cost", "1") == 1
    shown = "".join(line for line in cli.err.splitlines(True) if not line.startswith("note:"))
    assert shown.startswith("error: the plan costs 35 creative units, over --max-cost of 1\n")
    assert locks_in(ws, WS) == []
    assert cli("apply", "--sandbox", "--yes") == 0, cli.err


def test_lock_timeout_waits_for_the_other_apply_to_finish(ws: Path, cli: Cli) -> None:
    taken, done = threading.Event(), threading.Event()

    async def other_apply() -> None:
        async with (
            client_for(app_for(ws), ws) as client,
            held(client, WS, holder="laptop", warn=print),
        ):
            taken.set()
            await asyncio.sleep(0.5)
        done.set()

    other = threading.Thread(target=asyncio.run, args=(other_apply(),))
    other.start()
    assert taken.wait(10)
    code = cli("apply", "--sandbox", "--yes", "--lock-timeout", "30", "--poll-interval", "0.05")
    other.join(10)
    assert code == 0, cli.err
    assert done.is_set()
    first = cli.err.splitlines()[0]
    assert first.startswith("warning: waiting up to 30 s for the apply lock of 'e2e': laptop (")
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}


@synchronous
async def _taken_over(ws: Path) -> None:
    """As if this apply's lock expired and another apply took it over."""
    async with client_for(app_for(ws), ws) as client:
        for lock in await locks_on(client, WS):
            await unlock(client, WS, lock.id)
        await plant(client, WS, _live("laptop"))


def test_a_lock_lost_while_the_prompt_waited_stops_apply_before_any_change(ws: Path) -> None:
    def confirm(_question: str) -> bool:
        # The answer comes late: the lock expired meanwhile (a thread: this one runs the loop).
        other = threading.Thread(target=_taken_over, args=(ws,))
        other.start()
        other.join()
        return True

    target = Target(sandbox=True, cwd=ws)
    with pytest.raises(LockedError) as caught:
        run_apply(target, ApplyFlags(), interactive=True, confirm=confirm)
    assert re.sub(r"lock \w{6}\)", "lock ID)", caught.value.message) == (
        "this apply no longer holds the lock of workspace 'e2e' (lock ID): it expired while the "
        "apply waited, and another apply holds it now: laptop (lock q7kx2m, expires in 10 min "
        "unless renewed)"
    )
    assert jobs(ws) == {}


def _apply(ws: Path, url: str, holder: str, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, **api_env(url), "NO_COLOR": "1", "TRAINOPS_LOCK_HOLDER": holder}
    for name in ("GITHUB_TOKEN", "GITHUB_ACTIONS", "GITHUB_RUN_ID"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "trainops", "apply", "--yes", "--poll-interval", "0.05", *argv],
        cwd=ws,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@synchronous
async def _jobs_on(app: object, ws: Path) -> dict[str, int]:
    async with client_for(app, ws) as client:  # type: ignore[arg-type]
        return await jobs_by_model(client)


@pytest.mark.parametrize("wait", [False, True], ids=["stop", "lock-timeout"])
def test_a_second_apply_while_one_runs_stops_or_waits_and_each_model_trains_once(
    ws: Path, serve: Serve, wait: bool
) -> None:
    # Each trigger takes a while: the first apply holds the lock while the second starts. The
    # second only reads the lock when stopping, but it starts a Python process first: on a loaded
    # machine that took longer than two one-second triggers (the first had let go: exit 0).
    latency = 4.0
    app = app_for(ws, faults=(Fault("PUT", r"/train$", "latency", seconds=latency),))
    url = serve(app)
    first = _apply(ws, url, "ci-run")
    _until(lambda: bool(locks_in(ws, WS, app)), first)
    second = _apply(ws, url, "laptop", *(("--lock-timeout", "60") if wait else ()))
    (out1, err1), (out2, err2) = first.communicate(timeout=120), second.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0 if wait else 75), (err1, err2)
    assert out1.count("training started (job") == 2
    head = err2.splitlines()[0]
    if wait:
        assert head.startswith("warning: waiting up to 60 s for the apply lock of 'e2e': ci-run (")
        assert "Plan: 0 to create, 0 to train, 0 to update" in out2  # planned after the first
    else:
        assert head.startswith("error: another apply holds the lock of workspace 'e2e': ci-run (")
        assert out2 == ""
    assert _jobs_on(app, ws) == {"Alpha": 1, "Beta": 1}
    assert locks_in(ws, WS, app) == []


def test_two_applies_started_together_train_each_model_once(ws: Path, serve: Serve) -> None:
    app = app_for(ws)
    url = serve(app)
    procs = [_apply(ws, url, name, "--lock-timeout", "60") for name in ("a", "b")]
    done = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], done
    assert sum(out.count("training started (job") for out, _ in done) == 2
    assert _jobs_on(app, ws) == {"Alpha": 1, "Beta": 1}


def _until(ready: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)


@synchronous
async def _locked_and_triggered(app: object, ws: Path) -> bool:
    async with client_for(app, ws) as client:  # type: ignore[arg-type]
        return bool(await locks_on(client, WS)) and sum((await jobs_by_model(client)).values()) == 2


def test_ctrl_c_during_apply_releases_the_lock(ws: Path, serve: Serve) -> None:
    app = app_for(ws, speed=0.05)  # trainings last minutes: apply --wait is still following them
    proc = _apply(ws, serve(app), "laptop", "--wait")
    _until(lambda: _locked_and_triggered(app, ws), proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert locks_in(ws, WS, app) == []
