from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.builders import (
    WS,
    desired,
    foreign_image,
    image,
    job,
    live,
    live_of,
    model,
    pair,
    retag,
    sha,
)
from trainops.changes import drift_line
from trainops.desired import SecretRef
from trainops.diff import diff, inputs_digest
from trainops.errors import ConfigError, ManifestError, StalePlanError
from trainops.plan import (
    Change,
    ModelOutcome,
    ModelPlan,
    Outcome,
    Plan,
    format_cu,
)
from trainops.planfile import check_fresh, load_plan, save_plan
from trainops.tags import fingerprint_tag, identity_tag, pending_tag


def only(plan: Plan) -> ModelPlan:
    assert len(plan.models) == 1
    return plan.models[0]


# --- matching and create ----------------------------------------------------------------------


def test_diff_creates_model_missing_live() -> None:
    d = model(tags=("style",))
    m = only(diff(desired(d), live()))
    assert (m.action, m.will_train, m.model_id) == ("create", True, None)
    assert m.reasons == ("no live model: create it, upload 2 training files and train",)
    assert [(c.kind, c.op, c.subject) for c in m.changes] == [
        ("parameter", "add", "learningRate"),
        ("parameter", "add", "maxTrainSteps"),
        ("image", "add", "a.png"),
        ("image", "add", "b.png"),
        ("name", "add", "name"),
        ("tag", "add", "style"),
        ("tag", "add", identity_tag(WS, "hero")),
    ]
    assert m.changes[2].ref == d.images[0].sha256
    assert m.changes[4] == Change("name", "add", "name", new="Hero")


def test_diff_is_none_when_live_matches() -> None:
    d = model()
    m = only(diff(desired(d), live(live_of(d))))
    assert (m.action, m.changes, m.drift, m.reasons) == ("none", (), (), ())


def test_diff_matches_by_model_id_before_identity_tag() -> None:
    d = model(model_id="model_adopted")
    tagged = live_of(d, id="model_tagged")
    adopted = retag(live_of(d, id="model_adopted"), (fingerprint_tag(d.fingerprint),))
    plan = diff(desired(d), live(adopted, tagged))
    assert [(m.action, m.model_id) for m in plan.models] == [
        ("update", "model_adopted"),
        ("orphan", "model_tagged"),
    ]
    assert plan.models[0].changes == (Change("tag", "add", identity_tag(WS, "hero")),)
    assert plan.models[1].reasons == (
        "carries the identity tag of hero, but its manifest adopts model_adopted (spec.modelId): "
        "reported only; `apply --prune` deletes it",
    )


def test_diff_refuses_model_id_that_is_not_live() -> None:
    with pytest.raises(ManifestError) as exc:
        diff(desired(model(model_id="model_gone")), live())
    assert [str(d) for d in exc.value.diagnostics] == [
        "models/hero.yaml:1: spec.modelId: model model_gone was not found in this team\n"
        "  hint: check the id (and the API key's team), or remove spec.modelId to create a new "
        "model"
    ]


def test_diff_refuses_two_manifests_managing_one_live_model() -> None:
    a, b = model("a", model_id="model_x"), model("b")
    lv = retag(live_of(b, id="model_x"), (identity_tag(WS, "b"),))
    with pytest.raises(ManifestError) as exc:
        diff(desired(a, b), live(lv))
    assert [str(d) for d in exc.value.diagnostics] == [
        "models/b.yaml:1: metadata.name: model model_x is already managed by a (models/a.yaml:1)\n"
        "  hint: give each live model exactly one manifest"
    ]


def test_diff_ignores_models_of_other_workspaces() -> None:
    d = model()
    other = retag(live_of(d), (identity_tag("other", "hero"),))
    assert only(diff(desired(d), live(other))).action == "create"


def test_diff_reports_orphans_unless_partial() -> None:
    gone = live_of(model("gone"))
    plan = diff(desired(), live(gone))
    assert [(m.key, m.action, m.model_id, m.fingerprint) for m in plan.models] == [
        ("gone", "orphan", "model_gone", None)
    ]
    assert plan.models[0].reasons == (
        "no manifest declares it: reported only; `apply --prune` deletes it",
    )
    assert diff(desired(), live(gone), partial=True).models == ()


# --- train ------------------------------------------------------------------------------------


def test_diff_trains_on_parameter_change_showing_old_and_new() -> None:
    before = model()
    after = model(parameters={"learningRate": 0.0001, "maxTrainSteps": 2000}, fingerprint=sha("x"))
    m = only(diff(desired(after), live(live_of(before))))
    assert (m.action, m.will_train) == ("train", True)
    assert m.changes == (Change("parameter", "change", "maxTrainSteps", old=1000, new=2000),)
    assert m.reasons == (
        f"training inputs changed since the last training "
        f"(fingerprint {before.fingerprint[:8]} -> {after.fingerprint[:8]})",
    )


def test_diff_treats_integral_floats_as_equal_numbers() -> None:
    d = model()
    lv = live_of(d, parameters={"learningRate": 0.0001, "maxTrainSteps": 1000.0, "rank": 16.0})
    assert only(diff(desired(d), live(lv))).action == "none"


def test_diff_matches_images_by_content_so_a_rename_is_no_change() -> None:
    before = model(images=(image("a.png", "A"),))
    after = model(images=(image("renamed.png", "A"),))
    assert only(diff(desired(after), live(live_of(before)))).action == "none"


def test_diff_trains_on_image_content_change() -> None:
    before = model(images=(image("a.png", "A"), image("b.png", "B")))
    after = model(images=(image("a.png", "A2"), image("b.png", "B")), fingerprint=sha("new"))
    m = only(diff(desired(after), live(live_of(before))))
    assert m.action == "train"
    # One file at the same name with new bytes: one `replace`, the new file's hash to upload.
    assert [(c.kind, c.op, c.subject, c.old, c.new, c.ref) for c in m.changes] == [
        ("image", "replace", "a.png", sha("A")[:16], "data/a.png", sha("A2")),
    ]
    assert drift_line(m.changes[0]) == (
        "image a.png on the live model differs from the declared file"
    )


def test_a_foreign_or_duplicate_image_of_the_same_name_is_no_replacement() -> None:
    before = model(images=(image("a.png", "A"),))
    after = model(images=(image("a.png", "A2"),), fingerprint=sha("new"))
    lv = live_of(before)
    lv = dataclasses.replace(lv, images=(foreign_image("a.png"),))
    m = only(diff(desired(after), live(lv)))
    assert [(c.op, c.subject, c.old) for c in m.changes if c.kind == "image"] == [
        ("add", "a.png", None),
        ("remove", "a.png", None),
    ]


def test_diff_trains_on_caption_change() -> None:
    before = model(images=(image("a.png", caption="a cat"),))
    after = model(images=(image("a.png", caption="a dog"),), fingerprint=sha("new"))
    m = only(diff(desired(after), live(live_of(before))))
    assert m.changes == (
        Change("caption", "change", "a.png", old="a cat", new="a dog", ref="img_a.png"),
    )


def test_diff_trains_on_pair_and_type_change() -> None:
    before = model(type="qwen-image-edit-lora", images=(), pairs=(pair("s.png", "t.png", "x"),))
    after = dataclasses.replace(
        before, type="flux.2-dev-edit-lora", pairs=(pair("s.png", "t.png", "y"),),
        fingerprint=sha("new"),
    )  # fmt: skip
    m = only(diff(desired(after), live(live_of(before))))
    assert m.reasons[-1] == (
        "the API changes a model's type only while it is new (model_hero is trained): apply will "
        "fail; rename metadata.name (or drop spec.modelId) to create a new model"
    )
    assert [(c.kind, c.op, c.subject, c.old, c.new) for c in m.changes] == [
        ("type", "change", "type", "qwen-image-edit-lora", "flux.2-dev-edit-lora"),
        ("pair", "add", "s.png -> t.png", None, "y"),
        ("pair", "remove", "s.png -> t.png", "x", None),
    ]


@pytest.mark.parametrize(
    ("status", "error", "why"),
    [
        ("new", None, "never trained"),
        ("failed", "out of memory", "the last training failed: out of memory"),
        ("training-canceled", None, "the last training was canceled"),
    ],
)
def test_diff_retrains_new_failed_and_canceled_models(
    status: str, error: str | None, why: str
) -> None:
    d = model()
    lv = live_of(d, status=status, job=job("failure", error=error))
    m = only(diff(desired(d), live(lv)))
    assert (m.action, m.reasons) == ("train", (why,))


def test_diff_trains_adopted_model_without_recorded_fingerprint() -> None:
    d = model(model_id="model_hero")
    lv = retag(live_of(model(model_id="model_hero", parameters={"maxTrainSteps": 500})), ())
    m = only(diff(desired(d), live(lv)))
    assert m.action == "train"
    assert m.reasons == ("no training recorded by trainops (trained outside trainops, or adopted)",)
    assert m.changes[-1] == Change("tag", "add", identity_tag(WS, "hero"))


def test_diff_records_an_adopted_model_trained_on_the_declared_inputs() -> None:
    """Issue 14: `trainops import`, then plan: the same inputs, so record them, never train."""
    d = model(model_id="model_hero")
    lv = retag(live_of(d), ("handmade",))
    m = only(diff(desired(d), live(lv)))
    assert (m.action, m.will_train) == ("update", False)
    assert m.reasons[0].startswith("trained outside trainops on the declared inputs")
    assert m.changes[0].kind == "fingerprint"
    assert m.changes[-1] == Change("tag", "add", identity_tag(WS, "hero"))


def test_diff_compares_listed_models_by_fingerprint_only() -> None:
    before = model()
    after = model(images=(image("c.png"),), fingerprint=sha("new"))
    lv = live_of(before, images=(), complete=False)
    m = only(diff(desired(after), live(lv)))
    assert (m.action, m.changes) == ("train", ())
    assert m.reasons[-1] == (
        "images were not read in full (the live model has 2, the manifest declares 1): "
        "compared by fingerprint only"
    )


def test_diff_removes_foreign_images_on_train_and_reports_them_as_drift() -> None:
    before = model()
    after = model(fingerprint=sha("new"))
    lv = live_of(before)
    lv = dataclasses.replace(lv, images=(*lv.images, foreign_image("hand.png")))
    m = only(diff(desired(after), live(lv)))
    assert m.changes == (Change("image", "remove", "hand.png", ref="img_hand.png"),)
    assert m.drift == ("image hand.png was not uploaded by trainops",)


# --- wait -------------------------------------------------------------------------------------


def test_diff_waits_for_running_training_on_declared_inputs() -> None:
    d = model()
    lv = live_of(
        d, status="training", job=job("in-progress", progress=0.4, cost=3.5),
        progress=0.45, stage="running-train", remaining_ms=600_000.0,
    )  # fmt: skip
    m = only(diff(desired(d), live(lv)))
    assert (m.action, m.will_train) == ("wait", False)
    assert m.reasons == ("a training is running: trainops never starts another one",)
    assert m.training is not None
    assert (m.training.progress, m.training.other_inputs, m.training.cost_so_far) == (
        0.45, False, 3.5,
    )  # fmt: skip


def test_diff_waits_and_warns_when_running_on_other_inputs() -> None:
    old = model()
    new = model(parameters={"learningRate": 0.0002}, fingerprint=sha("new"))
    lv = live_of(old, status="training", job=job("queued", cost=1.25))
    m = only(diff(desired(new), live(lv)))
    assert (m.action, m.will_train) == ("wait", True)
    assert m.training is not None
    assert m.training.other_inputs
    assert m.reasons[1] == (
        f"running on other inputs (fingerprint {old.fingerprint[:8]}, declared "
        f"{new.fingerprint[:8]}): the declared inputs train when it ends (`apply --wait` waits "
        "for it; `apply --replace-running` cancels it and trains them now; 1.25 CU spent so far)"
    )
    assert m.changes[0] == Change("parameter", "change", "learningRate", old=0.0001, new=0.0002)


def test_a_wait_on_other_inputs_is_a_pending_training_and_a_change() -> None:
    old = model()
    new = model(parameters={"learningRate": 0.0002}, fingerprint=sha("new"))
    running = live(live_of(old, status="training", job=job("in-progress")))
    plan = diff(desired(new), running)
    assert plan.has_changes
    assert plan.data()["has_changes"] is True
    # The same running training on the declared inputs is nothing to do.
    assert not diff(desired(old), running).has_changes


def test_diff_waits_on_the_pending_fingerprint_after_an_interrupted_apply() -> None:
    d = model()
    tags = (identity_tag(WS, "hero"), pending_tag(d.fingerprint, 1_700_000_000))
    lv = retag(live_of(d, status="training", job=job("pending")), tags)
    m = only(diff(desired(d), live(lv)))
    assert m.action == "wait"
    assert m.training is not None
    assert not m.training.other_inputs


def test_diff_records_a_training_that_finished_unrecorded_instead_of_training_again() -> None:
    d = model()
    at = 1_700_000_000  # 2023-11-14T22:13:20Z, before the job's creation time
    lv = retag(live_of(d), (identity_tag(WS, "hero"), pending_tag(d.fingerprint, at)))
    m = only(diff(desired(d), live(lv)))
    assert m.action == "update"
    assert m.changes == (
        Change("fingerprint", "change", "fingerprint", old=None, new=d.fingerprint[:32]),
    )
    # The latest job is the one the model had before the pending trigger: it never happened.
    same_job = pending_tag(d.fingerprint, at, "job_1")
    assert only(diff(desired(d), live(retag(lv, (identity_tag(WS, "hero"), same_job))))).action == (
        "train"
    )


def test_diff_falls_back_to_time_for_a_pending_tag_without_the_previous_job() -> None:
    d = model()
    old_style = f"trainops-pending:{d.fingerprint[:32]}@2000000000"  # after the job's creation
    lv = retag(live_of(d), (identity_tag(WS, "hero"), old_style))
    assert only(diff(desired(d), live(lv))).action == "train"


# --- update and drift -------------------------------------------------------------------------


def test_diff_updates_metadata_without_training() -> None:
    before = model()
    after = model(name="Hero v2", short_description="a hero", tags=("style",))
    lv = live_of(before, extra_tags=("added-by-hand",))
    m = only(diff(desired(after), live(lv)))
    assert (m.action, m.will_train) == ("update", False)
    assert m.changes == (
        Change("name", "change", "name", old="Hero", new="Hero v2"),
        Change("description", "change", "shortDescription", old=None, new="a hero"),
        Change("tag", "add", "style"),
    )
    assert m.reasons == ("metadata differs: updated without training",)


def test_diff_reports_drift_when_fingerprint_matches_but_live_changed() -> None:
    d = model(images=(image("a.png", caption="cap"), image("b.png")))
    lv = live_of(d, parameters={"learningRate": 0.5, "maxTrainSteps": 1000})
    lv = dataclasses.replace(
        lv, images=(dataclasses.replace(lv.images[0], description="edited"), foreign_image("x.png"))
    )
    m = only(diff(desired(d), live(lv)))
    assert (m.action, m.will_train) == ("update", False)
    assert m.drift == (
        "parameter learningRate was changed outside trainops",
        "image b.png is missing on the live model",
        "image x.png was not uploaded by trainops",
        "the caption of a.png was changed outside trainops",
    )


def test_diff_reports_image_count_drift_for_listed_models() -> None:
    d = model()
    lv = live_of(d, images=(), images_count=5, complete=False)
    m = only(diff(desired(d), live(lv)))
    assert (m.action, m.drift) == (
        "update",
        ("the live model has 5 training files, the manifest declares 2",),
    )


# --- secrets ----------------------------------------------------------------------------------

SECRET = "wandb-secret-value-123"


def test_diff_never_copies_a_secret_value() -> None:
    d = model(parameters={"learningRate": 0.0001, "wandbKey": SecretRef("WANDB")})
    lv = live_of(d, parameters={"learningRate": 0.0001, "wandbKey": SECRET})
    fresh = model(parameters={"learningRate": 0.0001}, fingerprint=sha("new"))
    plans = [
        diff(desired(d), live()),
        diff(desired(d), live(lv)),
        diff(desired(fresh), live(lv)),
    ]
    assert [only(p).action for p in plans] == ["create", "none", "train"]
    assert Change("parameter", "add", "wandbKey", sensitive=True) in plans[0].models[0].changes
    assert plans[2].models[0].changes == (
        Change("parameter", "remove", "wandbKey", sensitive=True),
    )
    for p in plans:
        assert SECRET not in json.dumps(p.data())


# --- the Plan value ---------------------------------------------------------------------------


def a_plan() -> Plan:
    lv_old = live_of(model("old"))
    train = model("train", parameters={"learningRate": 0.0002}, fingerprint=sha("n"))
    plan = diff(
        desired(model("create"), train, model("same")),
        live(live_of(model("train")), live_of(model("same")), lv_old),
        commit="0123456789abcdef",
        created_at="2026-11-27T05:00:00Z",
    )
    return plan.with_costs({"create": (12.5, None), "train": (None, "team limit reached")})


def test_plan_summary_cost_and_changes() -> None:
    plan = a_plan()
    assert plan.summary() == snapshot(
        {
            "create": 1,
            "train": 1,
            "update": 0,
            "rename": 0,
            "wait": 0,
            "none": 1,
            "orphan": 1,
            "delete": 0,
        }
    )
    assert (plan.total_cost, plan.unpriced, plan.has_changes) == (12.5, 1, True)
    assert [(m.key, m.estimated_cost, m.cost_note) for m in plan.models] == [
        ("create", 12.5, None),
        ("old", None, None),
        ("same", None, None),
        ("train", None, "team limit reached"),
    ]
    assert not diff(desired(model()), live(live_of(model()))).has_changes


def test_plan_fingerprint_is_stable_and_ignores_commit_time_and_wording() -> None:
    plan = a_plan()
    same = dataclasses.replace(
        plan, commit="ffff", created_at="later", inputs_digest="other",
        models=tuple(dataclasses.replace(m, reasons=("reworded",)) for m in plan.models),
    )  # fmt: skip
    assert same.fingerprint() == plan.fingerprint() == a_plan().fingerprint()
    costlier = plan.with_costs({"create": (13.0, None)})
    assert costlier.fingerprint() != plan.fingerprint()


def test_plan_file_round_trips_exactly(tmp_path: Path) -> None:
    plan = a_plan()
    path = tmp_path / "out" / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan
    data = json.loads(path.read_text())
    assert sorted(data) == snapshot(
        [
            "commit",
            "created_at",
            "format_version",
            "has_changes",
            "inputs_digest",
            "models",
            "partial",
            "plan_fingerprint",
            "scope",
            "summary",
            "workspace",
        ]
    )
    assert data["summary"] == snapshot(
        {
            "create": 1,
            "delete": 0,
            "none": 1,
            "orphan": 1,
            "rename": 0,
            "total_cost": 12.5,
            "train": 1,
            "unpriced_trainings": 1,
            "update": 0,
            "wait": 0,
        }
    )


def test_load_plan_refuses_edited_broken_and_future_files(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(a_plan(), path)
    data = json.loads(path.read_text())
    data["models"][0]["action"] = "none"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="modified after it was saved"):
        load_plan(path)
    path.write_text(json.dumps({**data, "format_version": "3.0"}))
    with pytest.raises(ConfigError, match=r"format_version 3\.0 is not supported"):
        load_plan(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not a valid trainops plan file"):
        load_plan(path)
    path.write_text(json.dumps({**data, "models": [{"name": "x", "action": "explode"}]}))
    with pytest.raises(ConfigError, match="not a valid trainops plan file"):
        load_plan(path)


def test_inputs_digest_changes_with_manifests_and_live_state_only() -> None:
    d = model()
    lv = live_of(d)
    digest = inputs_digest(desired(d), live(lv))
    assert digest == inputs_digest(desired(d), live(lv))
    assert digest != inputs_digest(desired(model(name="Other")), live(lv))
    assert digest != inputs_digest(desired(d), live(dataclasses.replace(lv, updated_at="later")))
    running = live_of(d, status="training", job=job("in-progress"))
    ticked = dataclasses.replace(running, updated_at="a second later", progress=0.5)
    assert inputs_digest(desired(d), live(running)) == inputs_digest(desired(d), live(ticked))
    assert diff(desired(d), live(lv)).inputs_digest == digest


def test_check_fresh_refuses_a_stale_plan_saying_what_changed() -> None:
    d = model()
    lv = live_of(d)
    plan = diff(desired(d), live(lv))
    check_fresh(plan, desired(d), live(lv))
    with pytest.raises(StalePlanError) as exc:
        check_fresh(plan, desired(d), live(dataclasses.replace(lv, status="failed")))
    assert (exc.value.message, exc.value.hint) == (
        "the saved plan is stale: the live models changed since it was computed",
        "run `trainops plan --out FILE` again, review it, and apply the new plan",
    )
    edited = model(images=(image("a.png", "new bytes"),), fingerprint=sha("other"))
    with pytest.raises(StalePlanError) as exc:
        check_fresh(plan, desired(edited), live())
    assert exc.value.message == (
        "the saved plan is stale: the manifests or their training files and the live models "
        "changed since it was computed"
    )


def test_outcome_counts_and_cost() -> None:
    outcome = Outcome(
        (
            ModelOutcome("a", "create", "done", "trained", job_id="job_1", cost=2.5),
            ModelOutcome("b", "train", "failed", "402: not enough creative units"),
            ModelOutcome("c", "wait", "skipped", "training running"),
        )
    )
    assert (outcome.counts(), outcome.failed, outcome.total_cost) == (
        {"done": 1, "failed": 1, "skipped": 1, "unrecorded": 0, "blocked": 0, "deferred": 0},
        True, 2.5,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "text"), [(12.5, "12.5"), (42.0, "42"), (1234.567, "1,234.57"), (0.0, "0")]
)
def test_format_cu(value: float, text: str) -> None:
    assert format_cu(value) == text
