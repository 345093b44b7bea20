from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from trainops.desired import Desired, DesiredImage, DesiredModel, SecretRef, Source, Workspace
from trainops.errors import UnsafePlanError
from trainops.live import Live
from trainops.plan import Action, ModelPlan, Plan
from trainops.pricing import UNPRICED_NOTE, check_budget, price
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import RetryPolicy, Scenario


def _plan(*costs: tuple[str, float | None]) -> Plan:
    models = tuple(
        ModelPlan(
            key=key,
            action="train",
            model_id=f"model_{key}",
            type="flux.1-lora",
            display_name=key,
            will_train=True,
            estimated_cost=cost,
        )
        for key, cost in costs
    )
    return Plan(workspace="ws", models=models)


# --- the budget gate -------------------------------------------------------------------------


def test_budget_within_limits_passes() -> None:
    check_budget(_plan(("a", 10.0), ("b", 20.0)), max_cost=30.0, budget=None)
    check_budget(_plan(("a", 10.0)), max_cost=None, budget=None)


def test_max_cost_exceeded_names_total_limit_and_costliest_models() -> None:
    plan = _plan(("a", 10.0), ("b", 120.0), ("c", 40.0), ("d", 5.0))
    with pytest.raises(UnsafePlanError) as exc:
        check_budget(plan, max_cost=100.0, budget=1000.0)
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "the plan costs 175 creative units, over --max-cost of 100",
            "most expensive: b (120), c (40), a (10); "
            "raise --max-cost, or train fewer models in this change",
        )
    )


def test_workspace_budget_exceeded_says_the_total_is_a_lower_bound_when_unpriced() -> None:
    plan = _plan(("a", 60.0), ("b", None))
    with pytest.raises(UnsafePlanError) as exc:
        check_budget(plan, max_cost=None, budget=50.0)
    assert (exc.value.message, exc.value.hint) == snapshot(
        (
            "the plan costs 60 creative units (at least: 1 training(s) priced only at apply), "
            "over the workspace budget (trainops.yaml) of 50",
            "most expensive: a (60); "
            "raise `budget` in trainops.yaml, or train fewer models in this change",
        )
    )


# --- dry runs against the sandbox --------------------------------------------------------------

WS = "shop"
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)


def _desired(key: str, images: int, **params: Any) -> DesiredModel:
    files = tuple(
        DesiredImage(f"d/{key}{n}.png", f"{key}{n}.png", f"{n:064x}", 1, None)
        for n in range(images)
    )
    return DesiredModel(
        key=key,
        type="flux.1-lora",
        name=key,
        short_description=None,
        tags=(),
        parameters={"maxTrainSteps": 100, "wandbKey": SecretRef("WANDB"), **params},
        images=files,
        pairs=(),
        model_id=None,
        fingerprint="1" * 64,
        source=Source(f"{key}.yaml", 1),
    )


def _entry(key: str, action: Action, model_id: str | None) -> ModelPlan:
    return ModelPlan(
        key=key,
        action=action,
        model_id=model_id,
        type="flux.1-lora",
        display_name=key,
        will_train=action in ("create", "train"),
    )


@synchronous
async def test_price_dry_runs_only_trainings_and_stands_in_for_creates(sandbox: Starlette) -> None:
    models = {
        "fresh": _desired("fresh", 3),  # create, priced on the empty stand-in
        "uploaded": _desired("uploaded", 2),  # train: a live model with 1 image now
        "empty": _desired("empty", 3),  # train: a live model with no images yet
        "meta": _desired("meta", 1),  # update: never priced
        "bad": _desired("bad", 1, maxTrainSteps=10**6),  # the API refuses the dry run
    }
    async with sandbox_client(Path("unused.db"), app=sandbox, retry=FAST) as client:
        ids = {}
        for key in ("uploaded", "empty", "meta", "bad"):
            ids[key] = (await client.create_model(type="flux.1-lora", name=key)).id
        for key in ("uploaded", "bad", "meta"):
            await client.add_training_image(ids[key], name="x.png", data=b"x", mime="image/png")
        live = Live(WS, tuple([await client.get_model(i) for i in ids.values()]))
        plan = Plan(
            workspace=WS,
            models=(
                _entry("bad", "train", ids["bad"]),
                _entry("empty", "train", ids["empty"]),
                _entry("fresh", "create", None),
                _entry("meta", "update", ids["meta"]),
                _entry("uploaded", "train", ids["uploaded"]),
            ),
        )
        desired = Desired(Workspace(WS, Path(".")), tuple(models[k] for k in sorted(models)))
        client.requests.clear()
        priced = await price(plan, client, desired, live=live)
    assert client.requests == {"PUT /models/{id}/train?dryRun": 4}
    rows = [(m.key, m.estimated_cost, m.cost_note) for m in priced.models]
    stand_in = rows[2][2] or ""
    assert stand_in.startswith("estimated with a dry run on model_")
    assert [*rows[:2], rows[2][:2], *rows[3:]] == snapshot(
        [
            (
                "bad",
                None,
                "dry run refused: Invalid training parameters for flux.1-lora: "
                "maxTrainSteps: must be at most 10000 for Flux LoRA, got 1000000 (400)",
            ),
            ("empty", 15.0, None),
            ("fresh", 15.0),
            ("meta", None, None),
            ("uploaded", 15.0, "priced on the 1 images uploaded now (2 after apply)"),
        ]
    )


@synchronous
async def test_a_create_without_a_stand_in_is_priced_at_apply_without_any_request(
    sandbox: Starlette,
) -> None:
    desired = Desired(Workspace(WS, Path(".")), (_desired("fresh", 2),))
    plan = Plan(workspace=WS, models=(_entry("fresh", "create", None),))
    async with sandbox_client(Path("unused.db"), app=sandbox, retry=FAST) as client:
        priced = await price(plan, client, desired, live=Live(WS, ()))
    assert client.requests == {}
    assert [(m.estimated_cost, m.cost_note) for m in priced.models] == [(None, UNPRICED_NOTE)]
    assert (priced.total_cost, priced.unpriced) == (0.0, 1)


@synchronous
async def test_a_quota_refusal_while_pricing_becomes_the_note() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        body = {"message": "Trainings are launched too often", "remainingSeconds": 30}
        return httpx.Response(429, json=body)

    desired = Desired(Workspace(WS, Path(".")), (_desired("m", 1),))
    plan = Plan(workspace=WS, models=(_entry("m", "train", "model_1"),))
    async with Scenario(
        api_key="k",
        api_secret="s",
        base_url="http://api.test/v1",
        transport=httpx.MockTransport(api),
        retry=FAST,
    ) as client:
        (entry,) = (await price(plan, client, desired)).models
    assert (entry.estimated_cost, entry.cost_note) == snapshot(
        (None, "not priced: cooldown, 30s remaining: Trainings are launched too often")
    )


@pytest.mark.parametrize("pricing", ["api", "true"])
@synchronous
async def test_plans_are_priced_with_the_workspaces_dry_run_mode(pricing: Any) -> None:
    """trainops runs with API keys: it prices at the API tier (`dryRun=api`) unless the workspace
    says `pricing: true`."""
    seen: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["dryRun"])
        return httpx.Response(269, json={"creativeUnitsCost": 7})

    desired = Desired(Workspace(WS, Path("."), pricing=pricing), (_desired("m", 1),))
    plan = Plan(workspace=WS, models=(_entry("m", "train", "model_1"),))
    async with Scenario(
        api_key="k",
        api_secret="s",
        base_url="http://api.test/v1",
        transport=httpx.MockTransport(api),
        retry=FAST,
    ) as client:
        (entry,) = (await price(plan, client, desired)).models
    assert (entry.estimated_cost, seen) == (7, [pricing])


def test_the_default_workspace_prices_at_the_api_tier() -> None:
    assert Workspace(WS, Path(".")).pricing == "api"
