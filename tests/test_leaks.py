"""A model left untagged by a run killed between `POST /models` and its tag is found by the
next plan and adopted, never created again; a price probe is tagged before it is used, and one
workspace's claim keeps every other off it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.aio import synchronous
from tests.support.builders import live_of, model
from tests.support.leaks import DiesAfter
from tests.support.workspace import (
    actions,
    app_for,
    client_for,
    edit,
    jobs_by_model,
    make_workspace,
    managed_models,
    plan,
    plan_and_apply,
    results,
)
from trainops.apply import ApplyOptions, apply_plan
from trainops.leaks import leaked
from trainops.live import LiveModel
from trainops.scenario.client import Scenario
from trainops.tags import is_trainops_tag, probe_name
from trainops.watch import wait_for_trainings

CREATE = "POST /models"


@pytest.fixture
def one(tmp_path: Path) -> Path:
    """A workspace `e2e` of one model, alpha: a kill leaves exactly one model behind."""
    return make_workspace(tmp_path / "one", ("alpha",))


def _other(root: Path) -> Path:
    """A second workspace (`other`) with a model of the same name and type as `one`'s alpha."""
    edit(root / "trainops.yaml", "workspace: e2e", "workspace: other")
    return root


def test_leaked_models_are_empty_untagged_new_and_of_a_wanted_kind_oldest_first() -> None:
    d = model("alpha")
    empty = {"status": "new", "images": (), "images_count": 0, "job": None, "tags": ()}
    kind = (d.type, d.name)

    def at(when: float, model_id: str, **kw: Any) -> LiveModel:
        return live_of(d, id=model_id, created_at=when, **{**empty, **kw})

    candidates = [
        at(3, "model_late"),
        at(1, "model_early"),
        at(2, "model_probe", name=probe_name(d.type)),
        at(0, "model_user_tag", tags=("mine",)),
        at(0, "model_tagged", tags=("trainops-probe:acme",)),
        at(0, "model_files", images_count=1),
        at(0, "model_trained", status="trained"),
        at(0, "model_job", job_id="job_1"),
        at(0, "model_renamed", name="Other"),
    ]
    found = [m.id for m in leaked(candidates, {kind})]
    assert found == ["model_user_tag", "model_early", "model_probe", "model_late"]


async def _untagged(client: Scenario) -> list[str]:
    return [m.id for m in await client.list_models() if not m.tags]


async def _killed_after_create(root: Path) -> str:
    """Apply killed right after its create was handled: the id of the model it left behind."""
    dying = DiesAfter(app_for(root), "POST", r"/models$")
    async with client_for(dying, root) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(root, client, probe=False)
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
    assert dying.dead
    assert results(outcome) == {"alpha": "failed"}
    async with client_for(app_for(root), root) as client:
        (leaked,) = await _untagged(client)
    return leaked


@synchronous
async def test_apply_killed_between_create_and_tag_adopts_the_model_on_rerun(one: Path) -> None:
    leaked = await _killed_after_create(one)
    async with client_for(app_for(one), one) as client:
        _, rerun = await plan(one, client, probe=False)
        (entry,) = rerun.models
        assert (entry.action, entry.model_id, entry.will_train) == ("create", leaked, True)
        assert entry.reasons == (
            f"no managed model: adopt {leaked} (empty and untagged, with this name and type: "
            "left by a create interrupted before its identity tag), upload 5 training files "
            "and train",
        )
        client.requests.clear()
        outcome = await plan_and_apply(one, client, probe=False)
        assert results(outcome) == {"alpha": "done"}
        assert client.requests[CREATE] == 0
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert [m.id for m in await managed_models(client)] == [leaked]
        assert await jobs_by_model(client) == {"Alpha": 1}
        assert (await client.get_model(leaked)).recorded.key == "alpha"
        _, after = await plan(one, client, probe=False)
        assert actions(after) == {"alpha": "none"}


@synchronous
async def test_a_leaked_model_claimed_elsewhere_after_the_plan_is_left_to_its_claimant(
    one: Path,
) -> None:
    leaked = await _killed_after_create(one)
    async with client_for(app_for(one), one) as client:
        desired, the_plan = await plan(one, client, probe=False)
        assert the_plan.models[0].model_id == leaked
        await client.update_tags(leaked, add=["trainops:other/alpha"])
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert results(outcome) == {"alpha": "done"}
        assert client.requests[CREATE] == 1
        theirs = await client.get_model(leaked)
        assert (theirs.tags, theirs.images_count) == (("trainops:other/alpha",), 0)
        ours = [m for m in await managed_models(client) if m.id != leaked]
        assert [m.recorded.key for m in ours] == ["alpha"]


class ClaimedAlongside:
    """Another run's claim lands with ours: right after the API handled our first tag update
    of a model, a second client adds `tag` to the same model."""

    def __init__(self, app: ASGIApp, root: Path, tag: str) -> None:
        self.app, self.root, self.tag = app, root, tag
        self.model: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        path = scope.get("path", "")
        if self.model is None and scope.get("method") == "PUT" and path.endswith("/tags"):
            self.model = path.split("/")[-2]
            async with client_for(self.app, self.root) as other:  # type: ignore[arg-type]
                await other.update_tags(self.model, add=[self.tag])


@synchronous
async def test_two_runs_claiming_one_leaked_model_at_once_never_both_keep_it(one: Path) -> None:
    leaked = await _killed_after_create(one)
    racing = ClaimedAlongside(app_for(one), one, "trainops:other/alpha")
    async with client_for(racing, one) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(one, client, probe=False)
    assert racing.model == leaked
    assert results(outcome) == {"alpha": "done"}
    async with client_for(app_for(one), one) as client:
        assert (await client.get_model(leaked)).tags == ("trainops:other/alpha",)
        ours = [m for m in await managed_models(client) if m.id != leaked]
        assert [(m.recorded.key, m.images_count) for m in ours] == [("alpha", 5)]


@synchronous
async def test_a_model_claimed_elsewhere_as_it_was_created_is_given_up(one: Path) -> None:
    racing = ClaimedAlongside(app_for(one), one, "trainops:other/alpha")
    async with client_for(racing, one) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(one, client, probe=False)
    (failed,) = outcome.models
    assert (failed.result, failed.detail) == (
        "failed",
        f"model {racing.model} was claimed by another run before its identity tag landed: "
        "left to it (hint: apply again: it creates another)",
    )
    async with client_for(app_for(one), one) as client:
        assert (await client.get_model(str(racing.model))).tags == ("trainops:other/alpha",)
        assert results(await plan_and_apply(one, client, probe=False)) == {"alpha": "done"}


# --- price probes -----------------------------------------------------------------------------


@synchronous
async def test_a_plan_killed_between_probe_create_and_tag_adopts_the_probe_next_time(
    one: Path,
) -> None:
    dying = DiesAfter(app_for(one), "POST", r"/models$")
    async with client_for(dying, one) as client:  # type: ignore[arg-type]
        _, first = await plan(one, client)
    assert dying.dead
    assert first.models[0].estimated_cost is None
    async with client_for(app_for(one), one) as client:
        (probe,) = await _untagged(client)
        client.requests.clear()
        _, second = await plan(one, client)
        assert client.requests[CREATE] == 0
        assert second.models[0].cost_note == (
            f"estimated with a dry run on the workspace's empty price probe {probe}"
        )
        model = await client.get_model(probe)
        assert (model.name, model.tags) == (probe_name("flux.1-lora"), ("trainops-probe:e2e",))


@synchronous
async def test_an_untagged_probe_is_never_used_untagged_nor_by_two_workspaces(
    one: Path, tmp_path: Path
) -> None:
    other = _other(make_workspace(tmp_path / "other", ("alpha",)))
    app = app_for(one)
    async with client_for(app, one) as client:
        left = (await client.create_model(type="flux.1-lora", name=probe_name("flux.1-lora"))).id
        _, without = await plan(one, client, probe=False)  # may not tag: may not use it either
        assert without.models[0].estimated_cost is None
        assert (await client.get_model(left)).tags == ()
        _, ours = await plan(one, client)
        _, theirs = await plan(other, client)
        probes = {
            m.id: [t for t in m.tags if is_trainops_tag(t)]
            for m in await client.list_models()
            if m.name == probe_name("flux.1-lora")
        }
    assert probes.pop(left) == ["trainops-probe:e2e"]
    assert list(probes.values()) == [["trainops-probe:other"]]
    assert ours.models[0].cost_note != theirs.models[0].cost_note
