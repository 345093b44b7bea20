"""Plan and apply against the sandbox with its deviation switches on (issue 12): each read the
real API may give differently from our literal reading of its documents, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.middlemen import Truncating
from tests.support.workspace import (
    actions,
    client_for,
    commit,
    edit,
    managed_models,
    plan,
    plan_and_apply,
    results,
)
from trainops.errors import PaginationError
from trainops.sandbox import Deviations, create_app
from trainops.sandbox.client import SANDBOX_DB
from trainops.scenario.client import Scenario
from trainops.watch import wait_for_trainings

UPLOAD = "POST /models/{id}/training-images"


def app_on(root: Path, *switches: str) -> Starlette:
    return create_app(root / SANDBOX_DB, speed=1000.0, deviations=Deviations.of(switches))


@asynccontextmanager
async def trained(root: Path, app: Any) -> AsyncIterator[Scenario]:
    """A client of `app` after the workspace was applied and every training ended."""
    async with client_for(app, root) as client:
        outcome = await plan_and_apply(root, client)
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        yield client


async def counts(client: Scenario) -> dict[str, int]:
    full = await client.get_models_bulk([m.id for m in await managed_models(client)])
    return {str(m.name): len(m.images) for m in full}


# --- item 2: complete image lists ----------------------------------------------------------


@synchronous
async def test_apply_twice_on_truncated_reads_keeps_five_images(ws: Path) -> None:
    async with trained(ws, app_on(ws, "truncate-images")) as client:
        assert client.requests[UPLOAD] == 10
        edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 150")
        commit(ws, "alpha trains longer")
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "train", "beta": "none"}
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "done", "beta": "skipped"}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert client.requests[UPLOAD] == 10  # not one upload more
        assert await counts(client) == {"Alpha": 5, "Beta": 5}
        _, last = await plan(ws, client)
        assert actions(last) == {"alpha": "none", "beta": "none"}


@synchronous
async def test_a_model_whose_list_stays_short_fails_alone(ws: Path) -> None:
    app = app_on(ws)
    async with trained(ws, app):
        pass
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 150")
    (ws / "beta" / "images" / "beta-1.txt").write_text("beta, a new caption\n")
    commit(ws, "both change")
    async with client_for(Truncating(app), ws) as client:  # type: ignore[arg-type]
        _, the_plan = await plan(ws, client)
        assert actions(the_plan) == {"alpha": "train", "beta": "train"}
        outcome = await plan_and_apply(ws, client)
        assert results(outcome) == {"alpha": "failed", "beta": "failed"}
        detail = {m.key: m.detail for m in outcome.models}["alpha"]
        assert "the API shows 3 of its 5 training files" in detail
        assert "trainops never works from a partial list" in detail
        assert client.requests[UPLOAD] == 0
    async with client_for(app, ws) as client:
        assert await counts(client) == {"Alpha": 5, "Beta": 5}


# --- item 5: soft-deleted models -----------------------------------------------------------


@synchronous
async def test_a_model_deleted_in_the_web_app_is_planned_as_create(ws: Path) -> None:
    async with trained(ws, app_on(ws, "list-deleted")) as client:
        alpha = next(m for m in await managed_models(client) if m.name == "Alpha")
        await client.delete_model(alpha.id)
        assert alpha.id in {m.id for m in await client.list_models(include_deleted=True)}
        _, the_plan = await plan(ws, client)
        assert actions(the_plan) == {"alpha": "create", "beta": "none"}


# --- item 6: pagination --------------------------------------------------------------------


@synchronous
async def test_a_plan_over_a_repeating_page_token_stops_with_an_error(ws: Path) -> None:
    async with trained(ws, app_on(ws)):
        pass
    async with client_for(app_on(ws, "repeat-token"), ws) as client:
        with pytest.raises(PaginationError, match="pagination token it had already given"):
            await plan(ws, client)


# --- item 9: parameters in one canonical form ----------------------------------------------

DEFAULTS = """\
    maxTrainSteps: 500
    learningRate: 0.0001
    rank: 16
    nbEpochs: 2
"""


@synchronous
async def test_normalised_parameters_are_no_drift_and_real_drift_is_found(ws: Path) -> None:
    # 500 steps for 5 images, 1e-4 and 16 are Flux LoRA's defaults: the echo leaves them out.
    edit(ws / "alpha" / "model.yaml", "    maxTrainSteps: 100\n", DEFAULTS)
    commit(ws, "alpha declares defaults")
    async with trained(ws, app_on(ws, "normalise-parameters")) as client:
        alpha = next(m for m in await managed_models(client) if m.name == "Alpha")
        assert dict(alpha.params) == {"conceptPrompt": "alpha", "nbEpochs": 2.0}
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "none", "beta": "none"}
        await client.update_model(alpha.id, parameters={"rank": 32, "nbEpochs": 3})
        _, drifted = await plan(ws, client)
        entry = next(m for m in drifted.models if m.key == "alpha")
        assert entry.action == "update"
        changed = {c.subject: (c.old, c.new) for c in entry.changes if c.kind == "parameter"}
        # The update replaced the whole object: conceptPrompt is back to its default too.
        assert changed == {"rank": (32, 16), "nbEpochs": (3, 2), "conceptPrompt": (None, "alpha")}


@synchronous
async def test_a_live_model_with_no_parameters_shows_each_declared_one(ws: Path) -> None:
    async with trained(ws, app_on(ws, "normalise-parameters")) as client:
        beta = next(m for m in await managed_models(client) if m.name == "Beta")
        # All documented defaults: the echo has no `parameters` at all.
        await client.update_model(beta.id, parameters={"conceptPrompt": "", "maxTrainSteps": 500})
        assert (await client.get_model(beta.id)).parameters is None
        _, the_plan = await plan(ws, client)
        entry = next(m for m in the_plan.models if m.key == "beta")
        assert entry.action == "update"
        changed = {c.subject: (c.old, c.new) for c in entry.changes if c.kind == "parameter"}
        assert changed == {"conceptPrompt": (None, "beta"), "maxTrainSteps": (None, 200)}


# --- item 8: captions the listing shows ----------------------------------------------------


@synchronous
async def test_a_caption_changed_outside_trainops_is_seen_from_the_listing(ws: Path) -> None:
    for n in range(2, 6):
        (ws / "alpha" / "images" / f"alpha-{n}.txt").write_text(f"alpha, view {n}\n")
    commit(ws, "every alpha image has a caption")
    async with trained(ws, app_on(ws)) as client:
        listed = next(m for m in await client.list_models() if m.name == "Alpha")
        shown = listed.preview[0]
        await client.set_image_description(listed.id, shown.id, "changed in the web app")
        reads = client.requests["GET /models/{id}"]
        _, the_plan = await plan(ws, client)
        assert client.requests["GET /models/{id}"] == reads + 1  # alpha, read in full
        entry = next(m for m in the_plan.models if m.key == "alpha")
        assert entry.action == "update"
        assert entry.drift == (f"the caption of {shown.name} was changed outside trainops",)
