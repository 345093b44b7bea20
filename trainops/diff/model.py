"""One manifest's plan against its live model: `create`, `wait`, `train` (with the reasons), the
`update` that only records a training already done, `update` and `none`."""

from __future__ import annotations

import dataclasses

from trainops.changes import (
    count_drift,
    create_changes,
    drift_line,
    image_notes,
    input_changes,
    is_busy,
    is_foreign,
    meta_changes,
    secret_changes,
)
from trainops.desired import DesiredModel
from trainops.live import LiveModel
from trainops.plan import Change, ModelPlan, TrainingStatus, format_cu
from trainops.tags import FP_LEN

METADATA = "metadata differs: updated without training"
# pending_at comes from the local clock, a job's createdAt from the API's: allow some skew.
CLOCK_SKEW_S = 30

RETRAIN_STATUSES = {
    "new": "never trained",
    "failed": "the last training failed",
    "training-canceled": "the last training was canceled",
}


def plan_model(
    d: DesiredModel, m: LiveModel | None, ws: str, leaked: LiveModel | None = None
) -> ModelPlan:
    base = ModelPlan(
        key=d.key,
        action="none",
        model_id=m.id if m else (leaked.id if leaked else None),
        type=d.type,
        display_name=d.name,
        fingerprint=d.fingerprint,
        source=str(d.source),
    )
    if m is None:
        return _create(base, d, ws, leaked)
    inputs = input_changes(d, m)
    meta = meta_changes(d, m, ws)
    if is_busy(m):
        return _wait(base, d, m, inputs + meta)
    why = _train_reasons(d, m)
    if why and _recovered(d, m):
        return _record(base, d, m, meta)
    if why and _adopted(m, inputs):
        return _record(base, d, m, meta, why=ADOPTED)
    if why:
        changes = inputs + secret_changes(d, m) + meta
        notes = image_notes(d, m) + _type_note(d, m)
        drift = tuple(drift_line(c) for c in inputs if is_foreign(c))
        return dataclasses.replace(
            base,
            action="train",
            reasons=(*why, *notes),
            changes=changes,
            drift=drift,
            will_train=True,
        )
    drift = tuple(drift_line(c) for c in inputs) + count_drift(d, m)
    if not (inputs or meta or drift):
        return base
    reasons = []
    if drift:
        reasons.append(
            "changed outside trainops: apply restores the declared values without training"
        )
    if meta:
        reasons.append(METADATA)
    return dataclasses.replace(
        base, action="update", reasons=tuple(reasons), changes=inputs + meta, drift=drift
    )


def _create(base: ModelPlan, d: DesiredModel, ws: str, leaked: LiveModel | None) -> ModelPlan:
    # Still `create` when it adopts a leaked model: the same work (files, tags, a first
    # training) at the same cost, and the plan's readers (summaries, comments) need no new word.
    n = len(d.training_files)
    changes = create_changes(d, ws)
    files = f"upload {n} training file{'s' if n != 1 else ''} and train"
    why = f"no live model: create it, {files}"
    if leaked is not None:
        why = (
            f"no managed model: adopt {leaked.id} (empty and untagged, with this name and type: "
            f"left by a create interrupted before its identity tag), {files}"
        )
    return dataclasses.replace(
        base, action="create", reasons=(why,), changes=changes, will_train=True
    )


def _wait(base: ModelPlan, d: DesiredModel, m: LiveModel, changes: tuple[Change, ...]) -> ModelPlan:
    job = m.job
    running_fp = m.recorded.pending_fingerprint or m.recorded.fingerprint
    other = m.status != "copying" and running_fp != d.fingerprint[:FP_LEN]
    training = TrainingStatus(
        job_id=job.id if job else None,
        status=job.status if job and job.running else m.status,
        progress=m.progress if m.progress is not None else (job.progress if job else None),
        stage=m.stage,
        remaining_ms=m.remaining_ms,
        other_inputs=other,
        cost_so_far=job.cost if job else None,
    )
    if m.status == "copying":
        reasons = ["the model is being copied: plan again when it is done"]
    else:
        reasons = ["a training is running: trainops never starts another one"]
    if other:
        reasons.append(_other_inputs_reason(running_fp, d.fingerprint, training.cost_so_far))
    return dataclasses.replace(
        base,
        action="wait",
        reasons=tuple(reasons),
        changes=changes,
        training=training,
        will_train=other,
    )


def _other_inputs_reason(running_fp: str | None, desired_fp: str, cost: float | None) -> str:
    what = (
        "on inputs not recorded by trainops"
        if running_fp is None
        else f"on other inputs (fingerprint {running_fp[:8]}, declared {desired_fp[:8]})"
    )
    spent = f"; {format_cu(cost)} CU spent so far" if cost is not None else ""
    return (
        f"running {what}: the declared inputs train when it ends (`apply --wait` waits for "
        f"it; `apply --replace-running` cancels it and trains them now{spent})"
    )


def _train_reasons(d: DesiredModel, m: LiveModel) -> list[str]:
    out: list[str] = []
    if status_why := RETRAIN_STATUSES.get(m.status):
        error = m.job.error if m.status == "failed" and m.job and m.job.error else None
        out.append(f"{status_why}: {error}" if error else status_why)
    recorded, want = m.recorded.fingerprint, d.fingerprint[:FP_LEN]
    if recorded is None and m.status != "new":
        out.append("no training recorded by trainops (trained outside trainops, or adopted)")
    elif recorded is not None and recorded != want:
        out.append(
            f"training inputs changed since the last training "
            f"(fingerprint {recorded[:8]} -> {want[:8]})"
        )
    return out


def _type_note(d: DesiredModel, m: LiveModel) -> tuple[str, ...]:
    if d.type == m.type or m.status == "new":
        return ()
    return (
        f"the API changes a model's type only while it is new ({m.id} is {m.status}): "
        "apply will fail; rename metadata.name (or drop spec.modelId) to create a new model",
    )


def _recovered(d: DesiredModel, m: LiveModel) -> bool:
    """A training on the desired inputs succeeded, but apply was interrupted before recording it."""
    r, job = m.recorded, m.job
    if r.pending_fingerprint != d.fingerprint[:FP_LEN] or r.pending_at is None or job is None:
        return False
    if m.status != "trained" or job.status != "success":
        return False
    if (new := r.pending_job_is_new(job.id)) is not None:  # exact: any job but the one before
        return new
    started = job.created_at  # a tag without the previous job: fall back to time
    return started is not None and started >= r.pending_at - CLOCK_SKEW_S


ADOPTED = (
    "trained outside trainops on the declared inputs (same files by content, captions, "
    "parameters): record its fingerprint, do not train again"
)


def _adopted(m: LiveModel, inputs: tuple[Change, ...]) -> bool:
    """Trained (e.g. in the web app, then `trainops import`ed) on exactly what the manifest
    declares, read in full and matched file by file by content (`trainops.contents`)."""
    r = m.recorded
    return (
        m.status == "trained"
        and m.complete
        and not inputs
        and r.fingerprint is None
        and r.pending_fingerprint is None
        and (m.job is None or m.job.status == "success")
    )


def _record(
    base: ModelPlan,
    d: DesiredModel,
    m: LiveModel,
    meta: tuple[Change, ...],
    *,
    why: str | None = None,
) -> ModelPlan:
    record = Change(
        "fingerprint",
        "change",
        "fingerprint",
        old=m.recorded.fingerprint,
        new=d.fingerprint[:FP_LEN],
    )
    why = why or (
        "a training on the declared inputs succeeded but was not recorded "
        "(interrupted apply): record it, do not train again"
    )
    return dataclasses.replace(base, action="update", reasons=(why,), changes=(record, *meta))
