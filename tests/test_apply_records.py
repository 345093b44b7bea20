"""apply against an API that keeps tags, job ids and captions its own way (the sandbox's
deviation switches, or a proxy that drops a write): trainops's records survive or the model
stops with an error, never a second model or a second training.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.aio import synchronous
from tests.support.sandbox import Clock
from tests.support.workspace import (
    actions,
    client_for,
    commit,
    edit,
    jobs_by_model,
    managed_models,
    plan,
    plan_and_apply,
    rerun_records_alpha_without_training,
    results,
    write_model,
)
from tests.test_apply import ActsThen500, DiesAfterTrigger
from trainops.sandbox import Deviations, create_app
from trainops.sandbox.client import SANDBOX_DB
from trainops.tags import TAG_PATTERN, UNKNOWN_JOB, pending_tag
from trainops.watch import wait_for_trainings


def _app(root: Path, *deviations: str, speed: float = 1000.0, **kw: Any) -> Starlette:
    return create_app(root / SANDBOX_DB, speed=speed, deviations=Deviations.of(deviations), **kw)


async def _jobs_of(client: Any, model_id: str) -> list[str]:
    return [j.id for j in await client.list_jobs() if j.model_id == model_id]


@synchronous
async def test_with_tags_lowercased_apply_twice_keeps_one_model_per_key_and_one_training(
    ws: Path,
) -> None:
    # A workspace name in capitals, as a git directory may be named: its identity tags too
    # must survive an API that lowercases tags.
    edit(ws / "trainops.yaml", "workspace: e2e", "workspace: E2E-Shop")
    commit(ws, "a workspace name with capitals")
    app = _app(ws, "lowercase-tags")
    async with client_for(app, ws) as client:
        first = await plan_and_apply(ws, client)
        assert results(first) == {"alpha": "done", "beta": "done"}
        await wait_for_trainings(client, first, lambda _: None, interval=0.02)
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "none", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {"alpha": "skipped", "beta": "skipped"}
        # A change trains once more, and is then recorded as trained on.
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        changed = await plan_and_apply(ws, client)
        assert results(changed) == {"alpha": "done", "beta": "skipped"}
        await wait_for_trainings(client, changed, lambda _: None, interval=0.02)
        _, final = await plan(ws, client)
        assert actions(final) == {"alpha": "none", "beta": "none"}
        models = await managed_models(client)
        assert sorted(str(m.name) for m in models) == ["Alpha", "Beta"]
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}
        for m in await client.list_models():
            assert all(TAG_PATTERN.match(t) for t in m.tags), m.tags


@synchronous
async def test_a_tag_the_api_stores_otherwise_stops_that_model_with_the_fix(ws: Path) -> None:
    edit(ws / "beta" / "model.yaml", "  name: Beta\n", "  name: Beta\n  tags: [Style]\n")
    app = _app(ws, "lowercase-tags")
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "done", "beta": "failed"}
        beta = next(m for m in outcome.models if m.key == "beta")
        assert "the API did not keep the tags as written: stored 'style'" in beta.detail
        assert "write the manifest's tags as the API keeps them" in beta.detail
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 0}


@synchronous
async def test_after_a_lost_trigger_reply_the_job_id_is_the_job_s_never_none(ws: Path) -> None:
    clock = Clock(time.time())
    app = _app(ws, "no-job-id", speed=1.0, clock=clock)  # still training when re-read
    flaky = ActsThen500(app)
    async with client_for(flaky, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert flaky.fired
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        by_name = {str(m.name): m.id for m in await managed_models(client)}
        for m in outcome.models:
            assert [m.job_id] == await _jobs_of(client, by_name[m.key.capitalize()])
        clock.advance(24 * 3600)
        waited = await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert [m.detail for m in waited.models] == ["trained", "trained"]
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_a_training_over_before_the_re_read_is_not_triggered_again(ws: Path) -> None:
    flaky = ActsThen500(_app(ws, "no-job-id", speed=1e9))  # trained at once, no `jobId` shown
    async with client_for(flaky, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert flaky.fired
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}
        by_name = {str(m.name): m.id for m in await managed_models(client)}
        for m in outcome.models:
            assert [m.job_id] == await _jobs_of(client, by_name[m.key.capitalize()])


class NoJobs:
    """The team's job listing shows nothing (a listing that lags behind the trigger)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].endswith("/jobs"):
            await JSONResponse({"jobs": []})(scope, receive, send)
            return
        await self.app(scope, receive, send)


@synchronous
async def test_a_training_whose_job_cannot_be_found_is_reported_without_a_job(ws: Path) -> None:
    app = _app(ws, "no-job-id", speed=1.0)
    flaky = ActsThen500(NoJobs(app))  # type: ignore[arg-type]
    async with client_for(flaky, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        lost = [m for m in outcome.models if m.job_id is None]
        assert len(lost) == 1
        assert lost[0].result == "done"
        assert "its job id is unknown" in lost[0].detail
        waited = await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert results(waited) == {"alpha": "done", "beta": "done"}


class DropsCaptions:
    """The API answers a caption's `PUT /assets/{id}` with success and keeps nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT" and "/assets/" in scope["path"]:
            await JSONResponse({"asset": {}})(scope, receive, send)
            return
        await self.app(scope, receive, send)


@synchronous
async def test_a_caption_the_model_does_not_show_stops_that_model_before_its_trigger(
    ws: Path,
) -> None:
    (ws / "beta" / "images" / "beta-1.txt").unlink()  # beta declares no caption
    commit(ws, "beta uncaptioned")
    dropping = DropsCaptions(_app(ws))
    async with client_for(dropping, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "failed", "beta": "done"}
        alpha = next(m for m in outcome.models if m.key == "alpha")
        assert (
            "not trained: the caption of alpha/images/alpha-1.png did not hold: the model's "
            "read shows '', not the declared 'alpha seen from the front'"
        ) in alpha.detail
        assert await jobs_by_model(client) == {"Alpha": 0, "Beta": 1}


@synchronous
async def test_models_tagged_in_the_older_formats_are_still_managed_and_never_retrained(
    ws: Path,
) -> None:
    edit(ws / "trainops.yaml", "workspace: e2e", "workspace: E2E-Shop")
    commit(ws, "a workspace name with capitals")
    app = _app(ws)
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        # Rewrite each model's records as an older trainops wrote them: the workspace verbatim,
        # a pending trigger with a hex fingerprint and the raw previous job id.
        for m in await managed_models(client):
            key = str(m.name).lower()
            fp = m.recorded.fingerprint
            legacy = [f"trainops:E2E-Shop/{key}", f"trainops-pending:{fp}@1/{m.job_id}"]
            mine = [t for t in m.tags if t.startswith("trainops:")]
            await client.update_tags(m.id, add=legacy, delete=mine)
        _, again = await plan(ws, client)
        # Found by the old identity tag, which only gains the current one: no training.
        assert actions(again) == {"alpha": "update", "beta": "update"}
        assert results(await plan_and_apply(ws, client)) == {"alpha": "done", "beta": "done"}
        _, final = await plan(ws, client)
        assert actions(final) == {"alpha": "none", "beta": "none"}
        assert len(await managed_models(client)) == 2
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_a_key_too_long_for_a_whole_identity_tag_is_still_one_model(ws: Path) -> None:
    long_key = "a-model-key-as-long-as-a-manifest-key-may-be-sixty-three-charss"
    assert len(long_key) == 63
    write_model(ws, long_key, first_shade=50)
    edit(ws / "trainops.yaml", "workspace: e2e", "workspace: A-Rather-Long-Workspace-Name-2027")
    commit(ws, "a long key")
    app = _app(ws, "lowercase-tags")
    async with client_for(app, ws) as client:
        # Three models, two trainings at a time: the third queues (as with --wait).
        outcome = await plan_and_apply(ws, client, queue=True, poll_interval=0.02)
        assert set(results(outcome).values()) == {"done"}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, again = await plan(ws, client)
        assert set(actions(again).values()) == {"none"}
        assert len(await managed_models(client)) == 3
        assert set((await jobs_by_model(client)).values()) == {1}


@synchronous
async def test_killed_after_a_trigger_on_a_model_that_names_no_job_never_trains_twice(
    ws: Path,
) -> None:
    app = _app(ws, "no-job-id")
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    dying = DiesAfterTrigger(app)
    async with client_for(dying, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert dying.dead
        assert results(outcome)["alpha"] == "unrecorded"
    # The rerun finds the pending trigger's job in the team's jobs and records it.
    await rerun_records_alpha_without_training(ws, app)


@synchronous
async def test_killed_before_the_trigger_on_a_model_that_names_no_job_trains_on_rerun(
    ws: Path,
) -> None:
    clock = Clock(time.time() - 3600)  # the first training an hour ago
    app = _app(ws, "no-job-id", clock=clock)
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        clock.advance(3600)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        desired, _ = await plan(ws, client)
        alpha = next(m for m in await managed_models(client) if m.name == "Alpha")
        # As a run killed after its pending tag, before its trigger, leaves the model.
        pending = pending_tag(desired.by_key()["alpha"].fingerprint, int(time.time()), UNKNOWN_JOB)
        await client.update_tags(alpha.id, add=[pending])
        _, rerun = await plan(ws, client)
        assert actions(rerun) == {"alpha": "train", "beta": "none"}
