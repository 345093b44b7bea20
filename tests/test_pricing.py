from __future__ import annotations

import pytest
from inline_snapshot import snapshot

from trainops.errors import UnsafePlanError
from trainops.plan import ModelPlan, Plan
from trainops.pricing import check_budget


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
