# ruff: noqa: E501  (snapshots hold whole output lines)
"""`apply --wait` against the sandbox: a professional voice clone stops at its captcha (a person
must read it in Scenario's web app), and --wait says so instead of waiting for ever."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from inline_snapshot import snapshot

from tests.support.aio import synchronous
from tests.support.cli import Cli, scrub
from tests.support.paths import EXAMPLES
from tests.support.sandbox import PNG_BYTES, Clock
from tests.support.workspace import edit
from trainops.plan import ModelOutcome, Outcome
from trainops.sandbox import create_app
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.watch import NEEDS_PERSON, wait_for_trainings

WAIT = ("apply", "--sandbox", "--yes", "--wait", "--poll-interval", "0.05")


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    """A workspace of one Flux LoRA (alpha) and one professional voice clone."""
    cli.cwd = ws
    shutil.rmtree(ws / "beta")
    shutil.copytree(EXAMPLES / "narrator-voice", ws / "narrator-voice")
    edit(ws / "narrator-voice" / "model.yaml", "cloneType: instant", "cloneType: professional")
    return cli


def _outcome(out: str) -> list[str]:
    return scrub(out[out.index("\nPlan: ") + 1 :]).splitlines()[1:]


def test_wait_stops_at_a_captcha_and_says_a_person_must_finish_it(cli: Cli) -> None:
    assert cli(*WAIT) == 1
    assert _outcome(cli.out) == snapshot(
        [
            "  ✓ alpha: create done — trained (job job_ID, 15 CU)",
            "  ! narrator-voice: create blocked — pending-captcha: a person must finish this professional voice clone in Scenario's web app (read its captcha aloud); the training goes on from there; --wait stopped following it (see `trainops status`) (job job_ID, 500 CU)",
            "",
            "Apply: 1 done, 0 failed, 0 skipped, 1 waiting for a person. Cost: 515 CU.",
        ]
    )
    assert [ln for ln in scrub(cli.err).splitlines() if "narrator" in ln][-1] == snapshot(
        "narrator-voice: pending-captcha: a person must finish this professional voice clone in Scenario's web app (read its captcha aloud); the training goes on from there"
    )


@synchronous
async def test_a_clone_back_at_ready_for_captcha_also_needs_a_person() -> None:
    """After a recoverable failure the API puts the model back at `ready-for-captcha` (SDK)."""

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs/job_1"):
            job = {"jobId": "job_1", "status": "in-progress", "progress": 0.0}
            return httpx.Response(200, json={"job": {**job, "metadata": {"outputModelId": "m1"}}})
        stage = {"stage": "ready-for-captcha", "updatedAt": 0, "retryCount": 1}
        model = {"id": "m1", "type": "elevenlabs-voice", "status": "training", "tags": []}
        return httpx.Response(200, json={"model": {**model, "trainingProgress": stage}})

    started = Outcome((ModelOutcome("voice", "create", "done", "training started", "job_1"),))
    lines: list[str] = []
    async with Scenario(
        api_key="k",
        api_secret="s",
        base_url="http://api.test/v1",
        transport=httpx.MockTransport(api),
    ) as client:
        waited = await wait_for_trainings(client, started, lines.append, interval=0.01)
    assert [(m.result, m.detail.split(":")[0]) for m in waited.models] == [
        ("blocked", "ready-for-captcha")
    ]
    assert lines == [f"voice: ready-for-captcha: {NEEDS_PERSON}"]


@synchronous
async def test_a_finished_training_gets_its_billed_cost_duration_and_epoch_samples(
    tmp_path: Path,
) -> None:
    """The outcome's cost was the plan's estimate: once the job ended it is what it billed, and
    the model, read once, gives the training's duration and its epochs' samples by prompt."""
    clock = Clock()
    app = create_app(tmp_path / "s.db", clock=clock)
    async with sandbox_client(tmp_path / "s.db", app=app) as c:
        m = await c.create_model(type="flux.1-lora", name="fox")
        await c.add_training_image(m.id, name="a.png", data=PNG_BYTES, mime="image/png")
        job_id = await c.train(m.id, {"nbEpochs": 2, "samplePrompts": ["a fox", "a den"]})
        estimated = ModelOutcome("fox", "train", "done", "training started", job_id, cost=999)

        def tick(_line: str) -> None:
            clock.advance(60)

        outcome = await wait_for_trainings(c, Outcome((estimated,)), tick, interval=0)
        billed = (await c.get_job(job_id)).cost
    [fox] = outcome.models
    assert (fox.detail, fox.model_id, fox.cost) == ("trained", m.id, billed)
    assert billed != 999
    assert fox.duration_s is not None
    assert fox.duration_s > 0
    assert [[s.prompt for s in e.samples] for e in fox.epochs] == [["a fox", "a den"]] * 2
