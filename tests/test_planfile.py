# ruff: noqa: E501  (snapshots hold whole lines)
"""`check_same` and `check_costs`: a saved plan is held to the plan made now, field by field
(issue 11, item 2). Pure: plans built with `diff` over builder values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.builders import desired, live, live_of, model, sha
from trainops.diff import diff
from trainops.errors import StalePlanError
from trainops.plan import Change, Plan, Scope
from trainops.planfile import (
    REPLAN,
    SHOWN,
    check_costs,
    check_same,
    load_plan,
    plan_from_data,
    save_plan,
    scope_of,
)


def now() -> Plan:
    """train (priced 12.5), same (none), old (an orphan)."""
    train = model("train", parameters={"learningRate": 0.0002}, fingerprint=sha("n"))
    plan = diff(
        desired(train, model("same")),
        live(live_of(model("train")), live_of(model("same")), live_of(model("old"))),
    )
    return plan.with_costs({"train": (12.5, None)})


def edited(plan: Plan, key: str, **fields: object) -> Plan:
    models = tuple(dataclasses.replace(m, **fields) if m.key == key else m for m in plan.models)
    return dataclasses.replace(plan, models=models)


def check(saved: Plan, made_now: Plan) -> None:
    check_same(saved, made_now)
    check_costs(saved, made_now)


def refusal(saved: Plan, made_now: Plan) -> str:
    with pytest.raises(StalePlanError) as exc:
        check(saved, made_now)
    assert exc.value.hint == REPLAN
    return exc.value.message


def test_the_plan_made_now_passes_and_so_does_a_cheaper_price() -> None:
    check(now(), now())
    check(edited(now(), "train", estimated_cost=20.0), now())


def test_every_deciding_field_is_named_per_model() -> None:
    change = Change("parameter", "change", "maxTrainSteps", 1000, 1)
    saved = edited(
        now(),
        "same",
        action="train",
        will_train=True,
        model_id="model_theirs",
        fingerprint=sha("forged"),
        changes=(change,),
    )
    assert refusal(saved, now()) == snapshot("""\
the saved plan does not match what apply would do now:
  same: action: saved train, now none
  same: will_train: saved true, now false
  same: model_id: saved model_theirs, now model_same
  same: fingerprint: saved ccdd35168ab474fa5764a526cfb83621351e23682c5075b2e18d56bddf96aa30, now b3d41a6000de7c986ec35aa36a00fdfce5464ab4bdeebcb6a58c5f1b2874cb3e
  same: changes: only saved: change parameter maxTrainSteps 1000 -> 1\
""")


def test_models_and_orphans_must_be_the_same_set() -> None:
    plan = now()
    no_orphan = dataclasses.replace(plan, models=tuple(m for m in plan.models if m.key != "old"))
    assert refusal(no_orphan, plan) == snapshot("""\
the saved plan does not match what apply would do now:
  old: saved (absent), now orphan\
""")
    assert refusal(plan, no_orphan) == snapshot("""\
the saved plan does not match what apply would do now:
  old: saved orphan, now (absent)\
""")
    twice = dataclasses.replace(plan, models=(*plan.models, plan.models[0]))
    assert refusal(twice, plan) == snapshot("""\
the saved plan does not match what apply would do now:
  old: listed 2 times in the saved plan\
""")
    other = dataclasses.replace(plan, workspace="other")
    assert refusal(other, plan) == snapshot("""\
the saved plan does not match what apply would do now:
  workspace: saved other, now acme\
""")


def test_an_orphan_entry_cannot_cover_a_model_that_has_a_manifest() -> None:
    # `apply --prune --plan` would delete it: the scope keeps its manifest, so it plans as itself.
    d = desired(model("same"))
    lv = live(live_of(model("same")))
    saved = edited(diff(d, lv), "same", action="orphan")
    assert scope_of(d, saved)[0].models == d.models
    assert refusal(saved, diff(scope_of(d, saved)[0], lv)) == snapshot("""\
the saved plan does not match what apply would do now:
  same: action: saved orphan, now none\
""")


def test_wording_sources_and_progress_do_not_count() -> None:
    saved = edited(now(), "train", reasons=("reworded",), source="elsewhere:9", cost_note="n")
    saved = dataclasses.replace(saved, commit="ffff", created_at="earlier")
    check(saved, now())


def test_a_cost_may_fall_but_never_rise_nor_become_unknown() -> None:
    assert refusal(edited(now(), "train", estimated_cost=0.5), now()) == snapshot("""\
the saved plan costs more now than it says:
  train: estimated_cost: saved 0.5, now 12.5\
""")
    unpriced_now = edited(now(), "train", estimated_cost=None)
    assert refusal(now(), unpriced_now) == snapshot("""\
the saved plan costs more now than it says:
  train: estimated_cost: saved 12.5, now unpriced\
""")
    # Reviewed as "priced at apply": any price now, which apply's own limits then bound.
    check_costs(unpriced_now, now())
    for nonsense in (float("nan"), float("inf")):
        with pytest.raises(StalePlanError):
            check_costs(edited(now(), "train", estimated_cost=nonsense), now())


def test_what_the_file_holds_is_escaped_and_the_list_is_bounded() -> None:
    plan = now()
    saved = edited(plan, "same", model_id="\x1b[2Jmodel_\u202etxt.exe")
    assert refusal(saved, plan).splitlines()[1] == (
        '  same: model_id: saved "\\u001b[2Jmodel_\\u202etxt.exe", now model_same'
    )
    many = tuple(dataclasses.replace(plan.models[0], key=f"m{i:03}") for i in range(30))
    lines = refusal(dataclasses.replace(plan, models=plan.models + many), plan).splitlines()
    assert len(lines) == 1 + SHOWN + 1
    assert lines[-1] == "  ... and 10 more"


def test_a_scope_round_trips_and_a_file_without_it_is_a_full_plan(tmp_path: Path) -> None:
    scope = Scope(paths=("models",), targets=("k*",), changed_since="main", deleted=(("x", "a"),))
    partial = dataclasses.replace(now(), partial=True, scope=scope)
    path = tmp_path / "plan.json"
    save_plan(partial, path)
    assert load_plan(path) == partial
    data = partial.data()
    del data["partial"], data["scope"]
    assert (plan_from_data(data).partial, plan_from_data(data).scope) == (False, None)
