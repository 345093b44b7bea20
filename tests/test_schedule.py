"""Trainings under the team's limits (`trainops.schedule`), end to end over real HTTP: a served
sandbox with a small team's caps, `trainops apply` as a user runs it, and the server's own count
of trainings per model (never more than one)."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

from starlette.applications import Starlette

from tests.support.cli import Cli
from tests.support.paths import EXAMPLES
from tests.support.sandbox import Clock, Serve, api_env
from tests.support.workspace import WORKSPACE, app_for, init_repo, jobs, png
from trainops.sandbox import Limits
from trainops.sandbox.store import JobRow
from trainops.tags import PENDING_PREFIX

FAST_POLL = ("--poll-interval", "0.05")
ONE_IMAGE_MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: {key}
spec:
  type: flux.1-lora
  name: {key}
  trainingImages: [{key}.png]
  parameters:
    maxTrainSteps: 100
"""


def _examples(tmp_path: Path) -> Path:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".trainops"))
    init_repo(root)
    return root


def _jobs(app: Starlette) -> list[JobRow]:
    with app.state.sandbox.store.read() as tx:
        return sorted(tx.jobs(), key=lambda j: j.created_at)


def _outcome(out: str) -> list[str]:
    """The per-model result lines apply printed after its plan, sorted (models run at once)."""
    tail = out[out.index("\n", out.index("\nPlan: ") + 1) + 1 :]
    return sorted(line.split(" — ")[0] for line in tail.splitlines() if line.startswith("  "))


def test_wait_trains_the_examples_one_at_a_time_under_a_cap_of_one_and_a_cooldown(
    tmp_path: Path, cli: Cli, serve: Serve
) -> None:
    root = _examples(tmp_path)
    limits = Limits(max_parallel_trainings=1, launch_cooldown_s=5)
    app = app_for(root, speed=100.0, limits=limits)
    cli.cwd = root
    cli.env.update(api_env(serve(app)))
    assert cli("apply", "--yes", "--wait", *FAST_POLL) == 0, cli.err
    assert _outcome(cli.out) == [
        "  ✓ day-to-night: create done",
        "  ✓ hero-character: create done",
        "  ✓ narrator-voice: create done",
        "  ✓ watercolor-style: create done",
    ]
    # Which limit refuses first depends on the clock: a slow run (CI under coverage) may see
    # the first training end before the second launch, which the cooldown then refuses alone.
    assert re.search(
        r"queued behind the team's (limit of 1 parallel training|launch cooldown)", cli.err
    ), cli.err
    assert set(jobs(root).values()) == {1}
    assert len(jobs(root)) == 4
    started = _jobs(app)
    for before, after in itertools.pairwise(started):  # one at a time, 5 s apart
        assert after.created_at >= before.created_at + before.durations.total
        assert after.created_at >= before.created_at + 5
    assert cli("plan", "--detailed-exitcode") == 0


def test_without_wait_one_starts_the_rest_are_deferred_and_the_next_applies_start_them(
    tmp_path: Path, cli: Cli, serve: Serve
) -> None:
    root = _examples(tmp_path)
    clock = Clock()  # moved by hand: a training runs until the test says it ended
    limits = Limits(max_parallel_trainings=1, launch_cooldown_s=5)
    app = app_for(root, speed=100.0, limits=limits, clock=clock)
    cli.cwd = root
    cli.env.update(api_env(serve(app)))
    assert cli("apply", "--yes") == 0, cli.err  # deferred is not a failure
    results = _outcome(cli.out)
    assert [line[:3] for line in results].count("  ✓") == 1
    assert [line[:3] for line in results].count("  …") == 3
    assert (
        "3 trainings deferred by the team's limit of 1 parallel training: the next apply starts "
        "them\nApply: 1 done, 0 failed, 0 skipped, 3 deferred." in cli.out
    )
    assert "deferred by the team's limit of 1 parallel training: the next apply starts it" in (
        cli.out
    )
    for left in (2, 1, 0):
        assert cli("plan", "--detailed-exitcode") == 2  # the deferred trainings stay changes
        assert cli("apply", "--yes") == 0  # still running: nothing starts
        assert f"{left + 1} deferred" in cli.out
        clock.advance(3600)  # the running training ends, the cooldown is over
        assert cli("apply", "--yes") == 0, cli.err
        assert (f"{left} deferred" in cli.out) if left else ("deferred" not in cli.out)
    clock.advance(3600)
    assert cli("plan", "--detailed-exitcode") == 0
    assert len(_jobs(app)) == 4
    assert set(jobs(root).values()) == {1}


def test_a_hundred_and_twenty_models_all_train_against_the_default_sandbox(
    tmp_path: Path, cli: Cli, serve: Serve
) -> None:
    root = tmp_path / "many"
    root.mkdir()
    (root / "trainops.yaml").write_text(WORKSPACE.replace("parallelism: 4", "parallelism: 16"))
    for n in range(120):
        key = f"m{n:03}"
        (root / key).mkdir()
        (root / key / "model.yaml").write_text(ONE_IMAGE_MODEL.format(key=key))
        (root / key / f"{key}.png").write_bytes(png(n))
    init_repo(root)
    app = app_for(root, speed=200.0)  # a training lasts tens of ms; two at a time by default
    assert app.state.sandbox.limits.max_parallel_trainings == 2
    cli.cwd = root
    cli.env.update(api_env(serve(app)))
    assert cli("apply", "--yes", "--wait", "--no-probe", *FAST_POLL) == 0, cli.err[-2000:]
    assert "Apply: 120 done, 0 failed, 0 skipped." in cli.out
    assert "queued behind the team's limit of 2 parallel trainings" in cli.err
    assert len(_jobs(app)) == 120
    assert set(jobs(root).values()) == {1}


def test_the_dataset_ceiling_is_not_waited_for_the_model_fails_naming_it(
    ws: Path, cli: Cli, serve: Serve
) -> None:
    app = app_for(ws, limits=Limits(max_dataset_images=3))  # each model declares five images
    cli.cwd = ws
    cli.env.update(api_env(serve(app)))
    assert cli("apply", "--yes", "--wait", *FAST_POLL) == 1
    assert _outcome(cli.out) == ["  ✗ alpha: create failed", "  ✗ beta: create failed"]
    assert cli.out.count("the team's dataset ceiling of 3 training images is reached") == 2
    assert "waiting does not lift it" in cli.out
    assert _jobs(app) == []


def test_wait_gives_up_at_its_timeout_leaving_the_queued_trainings_deferred_and_unmarked(
    ws: Path, cli: Cli, serve: Serve
) -> None:
    clock = Clock()  # frozen: the first training never ends
    app = app_for(ws, limits=Limits(max_parallel_trainings=1), clock=clock)
    cli.cwd = ws
    cli.env.update(api_env(serve(app)))
    assert cli("apply", "--yes", "--wait", "--wait-timeout", "0.5", *FAST_POLL) == 1
    assert "deferred by the team's limit of 1 parallel training: --wait gave up" in cli.err
    assert len(_jobs(app)) == 1
    with app.state.sandbox.store.read() as tx:
        models = tx.models([k.id for k in tx.model_keys()]).values()
        tags = [t for m in models for t in m.tags]
    assert not [t for t in tags if t.startswith(PENDING_PREFIX)]  # refused: nothing pending
    clock.advance(3600)
    assert cli("apply", "--yes") == 0  # the next apply starts it
    assert set(jobs(ws).values()) == {1}
