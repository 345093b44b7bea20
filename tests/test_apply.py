"""apply against the in-process sandbox: crash safety, faults, and never a second training.

Every test runs the real pipeline (load -> read live -> diff -> price -> apply) on a real
workspace in a tmp dir; the only thing counted by hand is what the API saw.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.aio import synchronous
from tests.support.paths import EXAMPLES
from tests.support.sandbox import Clock, Serve
from tests.support.workspace import (
    FAST,
    actions,
    app_for,
    client_for,
    edit,
    init_repo,
    jobs_by_model,
    managed_models,
    plan,
    plan_and_apply,
    png,
    rerun_records_alpha_without_training,
    results,
)
from trainops.apply import ApplyOptions, apply_plan
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Fault, Limits
from trainops.scenario.client import Scenario
from trainops.scenario.parse import parse_job
from trainops.tags import pending_tag
from trainops.watch import wait_for_trainings

TRAIN = "PUT /models/{id}/train"
TRIGGER = re.compile(r"/models/[^/]+/train$")


def _is_trigger(scope: Scope) -> bool:
    """A real training trigger (a dry run is the same route with `dryRun` in the query)."""
    return (
        scope["type"] == "http"
        and scope["method"] == "PUT"
        and TRIGGER.search(scope["path"]) is not None
        and b"dryRun" not in scope.get("query_string", b"")
    )


class ActsThen500:
    """The API handles the first trigger (the training starts) and then answers 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.fired = app, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fired or not _is_trigger(scope):
            await self.app(scope, receive, send)
            return
        self.fired = True

        async def drop(_message: Message) -> None:
            pass

        await self.app(scope, receive, drop)
        await JSONResponse({"message": "internal error"}, status_code=500)(scope, receive, send)


class DiesAfterTrigger:
    """Apply killed right after the trigger: every later request fails, nothing is recorded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.dead = app, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.dead:
            await JSONResponse({"message": "gone"}, status_code=503)(scope, receive, send)
            return
        self.dead = _is_trigger(scope)
        await self.app(scope, receive, send)


@synchronous
async def test_apply_creates_trains_and_then_has_nothing_to_do(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        _, first = await plan(ws, client)
        assert actions(first) == {"alpha": "create", "beta": "create"}
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        assert client.requests[TRAIN] == 2
        outcome = await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert [m.detail for m in outcome.models] == ["trained", "trained"]
        _, after = await plan(ws, client)
        assert actions(after) == {"alpha": "none", "beta": "none"}
        assert not after.has_changes
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


async def _trained(ws: Path, client: Scenario) -> None:
    """Apply the workspace and wait for its trainings to end (instant at the default speed)."""
    outcome = await plan_and_apply(ws, client)
    await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
    client.requests.clear()


@synchronous
async def test_a_running_training_is_wait_and_apply_triggers_nothing(ws: Path) -> None:
    app = app_for(ws, speed=1.0)  # a training lasts seconds: still running at the second apply
    async with client_for(app, ws) as client:
        await plan_and_apply(ws, client)
        client.requests.clear()
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "wait", "beta": "wait"}
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "skipped", "beta": "skipped"}
        assert client.requests[TRAIN] == 0
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_a_trigger_recorded_only_as_pending_is_wait_then_recorded_never_retrained(
    ws: Path,
) -> None:
    clock = Clock(time.time())  # the sandbox's time, moved by hand to end trainings
    app = app_for(ws, speed=1.0, clock=clock)
    async with client_for(app, ws) as client:
        await plan_and_apply(ws, client)
        clock.advance(600)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 150")
        desired, changed = await plan(ws, client)
        entry = next(m for m in changed.models if m.key == "alpha")
        assert entry.action == "train"
        assert entry.model_id is not None
        # What apply does before it dies: the pending tag, then the trigger; no record.
        d = desired.by_key()["alpha"]
        pending = pending_tag(d.fingerprint, int(time.time()))
        await client.update_tags(entry.model_id, add=[pending])
        await client.train(entry.model_id, d.resolved_parameters({}))
        client.requests.clear()
        _, rerun = await plan(ws, client)
        assert actions(rerun) == {"alpha": "wait", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {
            "alpha": "skipped",
            "beta": "skipped",
        }
        clock.advance(600)
        _, ended = await plan(ws, client)
        assert actions(ended) == {"alpha": "update", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {
            "alpha": "done",
            "beta": "skipped",
        }
        _, final = await plan(ws, client)
        assert actions(final) == {"alpha": "none", "beta": "none"}
        assert client.requests[TRAIN] == 0
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}


class DiesAtTrigger:
    """Apply killed after the pending tag, before its trigger reached the API."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.dead = app, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.dead = self.dead or _is_trigger(scope)
        if self.dead:
            await JSONResponse({"message": "gone"}, status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class DiesAfterUploads:
    """Apply killed in the middle of uploading: after `n` uploads every request fails."""

    def __init__(self, app: ASGIApp, n: int) -> None:
        self.app, self.left = app, n

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.left <= 0:
            await JSONResponse({"message": "gone"}, status_code=503)(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"].endswith("/training-images"):
            self.left -= 1
        await self.app(scope, receive, send)


def _set_faults(app: Starlette, *faults: Fault) -> list[Fault]:
    app.state.sandbox.faults.replace(list(faults))
    return list(faults)


@synchronous
async def test_429s_and_500s_on_reads_and_writes_still_train_each_model_exactly_once(
    ws: Path,
) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        edit(ws / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 220")
        (ws / "alpha" / "images" / "alpha-2.png").write_bytes(png(200))
        (ws / "beta" / "images" / "beta-1.txt").write_text("beta from the side\n")
        faults = _set_faults(
            app,
            Fault("GET", r"/models$", "429", times=2, retry_after=0.01),
            Fault("GET", r"/models/[^/]+$", "500", times=3),
            Fault("GET", r"/jobs/", "429", times=2, retry_after=0.01),
            Fault("POST", r"/training-images$", "500", times=1),
            Fault("DELETE", r"/training-images/", "429", times=1, retry_after=0.01),
            Fault("PUT", r"/assets/", "500", times=1),
            Fault("PUT", r"/tags$", "500", times=2),
            Fault("PUT", r"/train$", "429", times=3, retry_after=0.01),
        )
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert [(f.path_regex, f.hits) for f in faults] == [(f.path_regex, f.times) for f in faults]
        _, after = await plan(ws, client)
        assert actions(after) == {"alpha": "none", "beta": "none"}
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 2}


@synchronous
async def test_a_500_on_the_trigger_before_the_api_acted_is_sent_once_more(ws: Path) -> None:
    app = app_for(ws)  # the sandbox's 500 fault answers before the handler runs
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        desired, the_plan = await plan(ws, client)
        client.requests.clear()
        _set_faults(app, Fault("PUT", r"/train$", "500", times=1))
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert results(outcome) == {"alpha": "done", "beta": "skipped"}
        assert client.requests[TRAIN] == 2
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}


@synchronous
async def test_a_500_on_the_trigger_after_the_api_acted_is_not_sent_again(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    flaky = ActsThen500(app)
    async with client_for(flaky, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        client.requests.clear()
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert flaky.fired
        assert results(outcome) == {"alpha": "done", "beta": "skipped"}
        assert client.requests[TRAIN] == 1
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, after = await plan(ws, client)
        assert actions(after) == {"alpha": "none", "beta": "none"}


@synchronous
async def test_a_trigger_that_times_out_after_the_api_acted_is_not_sent_again(
    ws: Path, serve: Serve
) -> None:
    app = app_for(ws)  # `slow` handles the request, then replies too late: a client timeout
    base_url = serve(app)
    async with Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=base_url,
        timeout=0.3,
        retry=FAST,
    ) as client:
        await _trained(ws, client)
        edit(ws / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 220")
        desired, the_plan = await plan(ws, client)
        client.requests.clear()
        _set_faults(app, Fault("PUT", r"/train$", "slow", times=1, seconds=0.6))
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert results(outcome) == {"alpha": "skipped", "beta": "done"}
        assert client.requests[TRAIN] == 1
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 2}


@synchronous
async def test_apply_killed_between_trigger_and_record_never_triggers_twice(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    dying = DiesAfterTrigger(app)
    async with client_for(dying, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert dying.dead
        assert results(outcome) == {"alpha": "unrecorded", "beta": "skipped"}
    await rerun_records_alpha_without_training(ws, app)


@synchronous
async def test_apply_killed_after_the_pending_tag_before_the_trigger_trains_on_rerun(
    ws: Path,
) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    dying = DiesAtTrigger(app)
    async with client_for(dying, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert dying.dead
        assert results(outcome) == {"alpha": "unrecorded", "beta": "skipped"}
    async with client_for(app, ws) as client:
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}
        _, rerun = await plan(ws, client)
        assert actions(rerun) == {"alpha": "train", "beta": "none"}


@synchronous
async def test_a_refused_trigger_leaves_no_pending_tag_so_the_rerun_trains(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        edit(ws / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 220")
        app.state.sandbox.limits = Limits(launch_cooldown_s=600)
        outcome = await plan_and_apply(ws, client)
        # Deferred by the launch cooldown (a quota, not a fault): no training started.
        assert results(outcome) == {"alpha": "deferred", "beta": "deferred"}
        assert all("cooldown" in m.detail for m in outcome.models)
        app.state.sandbox.limits = Limits()
        _, rerun = await plan(ws, client)
        assert actions(rerun) == {"alpha": "train", "beta": "train"}
        assert results(await plan_and_apply(ws, client)) == {"alpha": "done", "beta": "done"}
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 2}


@synchronous
async def test_wait_reports_a_canceled_training_as_failed(ws: Path) -> None:
    clock = Clock(time.time())
    app = app_for(ws, speed=1.0, clock=clock)
    async with client_for(app, ws) as client:
        outcome = await plan_and_apply(ws, client)
        alpha = next(m for m in outcome.models if m.key == "alpha")
        _, now = await plan(ws, client)
        model_id = next(m.model_id for m in now.models if m.key == "alpha")
        assert model_id is not None
        await client.cancel_training(model_id)
        clock.advance(600)
        lines: list[str] = []
        waited = await wait_for_trainings(client, outcome, lines.append, interval=0.01)
        assert results(waited) == {"alpha": "failed", "beta": "done"}
        assert waited.failed
        assert [m.detail for m in waited.models] == ["training canceled", "trained"]
        assert sorted(lines) == ["alpha: canceled 0%", "beta: success 100%"]
        assert alpha.job_id is not None


async def _live_images(client: Scenario) -> dict[str, list[str]]:
    """Each model's training image names (content-hash prefixed), in full."""
    out: dict[str, list[str]] = {}
    for listed in await managed_models(client):
        model = await client.get_model(listed.id)
        out[str(model.name)] = sorted(i.name for i in model.images)
    return out


@synchronous
async def test_apply_killed_mid_upload_uploads_only_the_rest_on_rerun(ws: Path) -> None:
    app = app_for(ws)
    dying = DiesAfterUploads(app, 3)
    async with client_for(dying, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert dying.left == 0
        assert "failed" in results(outcome).values()
    async with client_for(app, ws) as client:
        assert results(await plan_and_apply(ws, client)) == {"alpha": "done", "beta": "done"}
        names = [f"{k}-{i}.png" for k in ("alpha", "beta") for i in range(1, 6)]
        assert await _live_images(client) == {"Alpha": names[:5], "Beta": names[5:]}
        assert client.requests["POST /models/{id}/training-images"] == 7
        assert len(await managed_models(client)) == 2
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_a_removed_and_an_added_image_are_synced_before_training(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        (ws / "alpha" / "images" / "alpha-5.png").unlink()
        (ws / "alpha" / "images" / "alpha-6.png").write_bytes(png(250))
        _, changed = await plan(ws, client)
        assert actions(changed) == {"alpha": "train", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {
            "alpha": "done",
            "beta": "skipped",
        }
        images = await _live_images(client)
        assert images["Alpha"] == [f"alpha-{i}.png" for i in (1, 2, 3, 4, 6)]
        assert client.requests["POST /models/{id}/training-images"] == 1
        assert client.requests["DELETE /models/{id}/training-images/{id}"] == 1


@synchronous
async def test_a_replaced_image_is_one_change_uploaded_and_the_old_one_deleted(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        (ws / "alpha" / "images" / "alpha-5.png").write_bytes(png(250))
        _, changed = await plan(ws, client)
        [alpha] = [m for m in changed.models if m.key == "alpha"]
        assert [(c.kind, c.op, c.subject) for c in alpha.changes if c.kind == "image"] == [
            ("image", "replace", "alpha-5.png")
        ]
        assert results(await plan_and_apply(ws, client)) == {"alpha": "done", "beta": "skipped"}
        images = await _live_images(client)
        assert images["Alpha"] == [f"alpha-{i}.png" for i in range(1, 6)]
        assert client.requests["POST /models/{id}/training-images"] == 1
        assert client.requests["DELETE /models/{id}/training-images/{id}"] == 1
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "none", "beta": "none"}


@synchronous
async def test_a_create_and_an_upload_that_time_out_after_acting_are_not_duplicated(
    ws: Path, serve: Serve
) -> None:
    app = app_for(ws)
    base_url = serve(app)
    async with Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=base_url,
        timeout=0.3,
        retry=FAST,
    ) as client:
        _set_faults(
            app,
            Fault("POST", r"/models$", "slow", times=1, seconds=0.6),
            Fault("POST", r"/training-images$", "slow", times=1, seconds=0.6),
        )
        # No price probe: the slow create below must be the model's own.
        outcome = await plan_and_apply(ws, client, probe=False)
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        names = [f"{k}-{i}.png" for k in ("alpha", "beta") for i in range(1, 6)]
        assert await _live_images(client) == {"Alpha": names[:5], "Beta": names[5:]}
        assert len(await managed_models(client)) == 2
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_metadata_changes_update_without_training_and_keep_hand_added_tags(ws: Path) -> None:
    app = app_for(ws)
    manifest = ws / "alpha" / "model.yaml"
    edit(manifest, "  name: Alpha\n", "  name: Alpha\n  tags: [one, two]\n")
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        _, before = await plan(ws, client)
        model_id = next(m.model_id for m in before.models if m.key == "alpha")
        assert model_id is not None
        await client.update_tags(model_id, add=["added-by-hand"])
        edit(
            manifest,
            "  name: Alpha\n  tags: [one, two]\n",
            "  name: Alpha v2\n  tags: [one, three]\n",
        )
        _, changed = await plan(ws, client)
        assert actions(changed) == {"alpha": "update", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {
            "alpha": "done",
            "beta": "skipped",
        }
        _, after = await plan(ws, client)
        assert actions(after) == {"alpha": "none", "beta": "none"}
        model = await client.get_model(model_id)
        assert model.name == "Alpha v2"
        # `two`, dropped from the manifest, stays: trainops records no list of the tags it
        # set, so it cannot tell a dropped tag from one added by hand (which must survive).
        assert sorted(t for t in model.tags if ":" not in t) == [
            "added-by-hand",
            "one",
            "three",
            "two",
        ]
        assert client.requests[TRAIN] == 0


@synchronous
async def test_drift_made_by_hand_is_shown_and_undone(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        _, before = await plan(ws, client)
        ids = {m.key: m.model_id for m in before.models}
        assert ids["alpha"] is not None
        assert ids["beta"] is not None
        await client.update_model(ids["alpha"], parameters={"maxTrainSteps": 999})
        await client.add_training_image(
            ids["beta"], name="by-hand.png", data=png(123), mime="image/png"
        )
        _, drifted = await plan(ws, client)
        assert {m.key: (m.action, bool(m.drift)) for m in drifted.models} == {
            "alpha": ("update", True),
            "beta": ("update", True),  # trained on the declared images: no retraining
        }
        client.requests.clear()
        assert results(await plan_and_apply(ws, client)) == {"alpha": "done", "beta": "done"}
        assert client.requests[TRAIN] == 0
        assert (await client.get_model(ids["alpha"])).parameters["maxTrainSteps"] == 100
        images = await _live_images(client)
        assert "by-hand.png" not in " ".join(images["Beta"])
        assert len(images["Beta"]) == 5
        outcome = await plan_and_apply(ws, client)
        assert set(results(outcome).values()) == {"skipped"}


@synchronous
async def test_fail_fast_starts_no_training_after_a_model_failed(ws: Path) -> None:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
        edit(ws / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 220")
        desired, the_plan = await plan(ws, client)
        ids = {m.key: m.model_id for m in the_plan.models}
        _set_faults(
            app,
            Fault("PUT", rf"/models/{ids['alpha']}/tags$", "500"),  # alpha fails fast
            Fault(None, rf"/models/{ids['beta']}", "latency", seconds=0.2),  # beta is slow
        )
        options = ApplyOptions(fail_fast=True)
        outcome = await apply_plan(the_plan, desired, client, options)
        assert results(outcome) == {"alpha": "failed", "beta": "skipped"}
        assert client.requests[TRAIN] == 0


@synchronous
async def test_a_changed_pair_instruction_retrains_and_sets_the_pairs(tmp_path: Path) -> None:
    ws = tmp_path / "pairs"
    shutil.copytree(EXAMPLES / "day-to-night", ws / "day-to-night")
    shutil.copy(EXAMPLES / "trainops.yaml", ws / "trainops.yaml")
    init_repo(ws)
    app = app_for(ws)
    manifest = ws / "day-to-night" / "model.yaml"
    async with client_for(app, ws) as client:
        await _trained(ws, client)
        edit(
            manifest,
            "street-05-night.png, instruction: make it night",
            "street-05-night.png, instruction: make it a rainy night",
        )
        _, changed = await plan(ws, client)
        assert actions(changed) == {"day-to-night": "train"}
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"day-to-night": "done"}
        assert client.requests["PUT /models/{id}/training-images/pairs"] == 1
        assert client.requests[TRAIN] == 1
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, after = await plan(ws, client)
        assert actions(after) == {"day-to-night": "none"}
        model = await client.get_model(str(changed.models[0].model_id))
        assert sorted(str(p.instruction) for p in model.pairs) == [
            "make it a rainy night",
            *["make it night"] * 4,
        ]


@synchronous
async def test_a_first_apply_killed_after_its_triggers_completes_without_training_again(
    ws: Path,
) -> None:
    app = app_for(ws)
    dying = DiesAfterTrigger(app)
    async with client_for(dying, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert "failed" in results(outcome).values()
    async with client_for(app, ws) as client:
        before = await jobs_by_model(client)
        outcome = await plan_and_apply(ws, client)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, final = await plan(ws, client)
        assert actions(final) == {"alpha": "none", "beta": "none"}
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}
        # The model whose trigger landed was never triggered again.
        assert client.requests[TRAIN] == 2 - sum(before.values())


def test_live_lines_redraw_one_line_per_model_in_place() -> None:
    import io

    from trainops.commands.apply import LiveLines

    out = io.StringIO()
    show = LiveLines(out)
    show("alpha: queued 0%")
    show("beta: queued 0%")
    show("alpha: in-progress 50%, less than a minute left")
    assert out.getvalue() == (
        "\x1b[2Kalpha: queued 0%\n"
        "\x1b[1F\x1b[2Kalpha: queued 0%\n\x1b[2Kbeta: queued 0%\n"
        "\x1b[2F\x1b[2Kalpha: in-progress 50%, less than a minute left\n\x1b[2Kbeta: queued 0%\n"
    )


def test_progress_lines_extrapolate_the_time_left_from_the_progress_rate() -> None:
    from trainops.watch import _progress_line

    job = parse_job({"jobId": "job_1", "status": "in-progress", "progress": 0.5})
    assert _progress_line("alpha", job, (100.0, 0.25), 160.0) == (
        "alpha: in-progress 50%, about 2 min left"  # 60 s for 25%: 120 s for the 50% left
    )
    assert _progress_line("alpha", job, (100.0, 0.0), 160.0) == "alpha: in-progress 50%"
    done = parse_job({"jobId": "job_1", "status": "success", "progress": 1.0})
    assert _progress_line("alpha", done, (100.0, 0.25), 160.0) == "alpha: success 100%"


def test_a_finalizing_job_shows_no_time_left() -> None:
    from trainops.watch import _progress_line

    job = parse_job({"jobId": "job_1", "status": "finalizing", "progress": 1.0})
    assert _progress_line("alpha", job, (100.0, 0.25), 160.0) == "alpha: finalizing 100%"


class SomeoneTrainsFirst:
    """Another client triggers the model's training just before apply's trigger arrives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.done = app, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _is_trigger(scope) and not self.done:
            self.done = True
            transport = httpx.ASGITransport(app=self.app)
            auth = (SANDBOX_API_KEY, SANDBOX_API_SECRET)
            async with httpx.AsyncClient(transport=transport, auth=auth) as other:
                answer = await other.put(f"http://sandbox{scope['path']}", json={})
                assert answer.status_code == 200
        await self.app(scope, receive, send)


@synchronous
async def test_a_training_started_elsewhere_after_the_sync_is_skipped_not_doubled(ws: Path) -> None:
    app = app_for(ws, speed=1.0)  # the other training is still running when apply triggers
    async with client_for(app, ws) as client:
        await _trained(ws, client)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    racing = SomeoneTrainsFirst(app)
    async with client_for(racing, ws) as client:
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "skipped", "beta": "skipped"}
        alpha = next(m for m in outcome.models if m.key == "alpha")
        assert alpha.detail == "already training (started elsewhere): not triggered"
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}
        _, after = await plan(ws, client)
        assert actions(after)["alpha"] == "wait"  # and never a pending tag left behind
