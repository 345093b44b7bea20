"""`diff(desired, live) -> Plan`: the pure comparison of manifests with live models.

Decision rules, per manifest, in order:

1. Match. A manifest finds its live model by `spec.modelId` first, else by the identity tag
   `trainops:<workspace>/<key>`. A `spec.modelId` that is not live is a manifest error, and so
   are two manifests matching one live model. (Two live models claiming one key never get here:
   the reader refuses them, see `trainops.read`.) A manifest with no live model of its own takes
   over the one tagged with a previous key (`previous_names`: `metadata.previousNames`, or
   `moved:` in trainops.yaml): a *rename*, which apply carries out by re-tagging it. It is planned
   by the rules below, then `none` and `update` become `rename` (`renamed_from` set, nothing
   trains); a `train` or `wait` stays one, with `renamed_from` set. Two live models of previous
   keys is an error; a previous key whose model is not live is a `create` that says so, and one
   whose successor has a live model of its own stays an orphan. No live model -> `create`; the
   create adopts an empty untagged model of the manifest's type and name (one a create
   interrupted before its identity tag left, `trainops.leaks`) when there is one: its id is on
   the entry.
2. `wait`: the model is training (status `training`, or its latest job is not terminal) or being
   copied: never trigger another training. When the running training's fingerprint (the pending
   tag, else the recorded one) is not the desired one, it runs on other inputs and the declared
   ones are a *pending training*: `will_train` is set (priced, counted in the total and the
   budget, and a change for `plan --detailed-exitcode`), since the change must not look like "no
   changes" and wait for some unrelated apply. It trains when the running training ends
   (`apply --wait` waits for that; `apply --replace-running` cancels it; the cost so far is shown).
3. `train`: the recorded fingerprint is missing or differs from the desired one, or the model is
   `new`, `failed` or `training-canceled`. The changes say why: parameters old -> new (the
   declared public parameters against the live echo, in one canonical form: `trainops.echo`),
   images added/removed by file name but matched by content hash (a rename is no change),
   captions, pairs, type. A model known only from a listing or a partial list (`complete=False`)
   is compared by fingerprint and by the captions its preview shows: no image change is invented.
   Exception (crash recovery): when the latest job succeeded, started after a pending tag that
   carries the desired fingerprint (allowing `CLOCK_SKEW_S` of clock skew), and the fingerprint
   was never recorded, the training already happened: `update`, which only records it. So too
   for a model trained outside trainops (`trainops import`) whose inputs, read in full and its
   files matched by content (`trainops.contents`), are exactly the declared ones.
4. `update`: only metadata differs (name, a declared short description, user tags or the identity
   tag missing on live; tags added by hand on live are never a change), or drift: the recorded
   fingerprint matches but parameters, images, captions or pairs were changed outside trainops.
   Apply restores the declared values without training.
5. `none`: otherwise.
6. `orphan`: a live model with this workspace's identity tag that no manifest of the workspace
   claims, in scope or not (`others` are the manifests outside the scope); a scoped plan lists
   only the orphans its scope covers (`Scope.covers`). Reported only: apply keeps it.
7. `delete`: an orphan, planned with `prune`: apply deletes exactly the `delete` entries. The
   trainings and credits it cost are put on it after the diff (`pipeline`, from the jobs).

Secrets: a live secret value (`wandbKey`) is never copied into the plan; secret parameters appear
only as sensitive changes without values, and never count as drift (the API may not echo them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

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
from trainops.desired import Desired, DesiredModel
from trainops.errors import Diagnostic, ManifestError
from trainops.live import Live, LiveModel
from trainops.plan import Change, ModelPlan, Plan, Scope, TrainingStatus, format_cu
from trainops.planfile import inputs_digest
from trainops.tags import FP_LEN, identity_tag, identity_tags_of

__all__ = ["diff", "inputs_digest"]

_METADATA = "metadata differs: updated without training"
# pending_at comes from the local clock, a job's createdAt from the API's: allow some skew.
CLOCK_SKEW_S = 30

RETRAIN_STATUSES = {
    "new": "never trained",
    "failed": "the last training failed",
    "training-canceled": "the last training was canceled",
}


def diff(
    desired: Desired,
    live: Live,
    *,
    commit: str | None = None,
    created_at: str = "",
    partial: bool = False,
    scope: Scope | None = None,
    others: tuple[DesiredModel, ...] = (),
    only: frozenset[str] | None = None,
    prune: bool = False,
) -> Plan:
    """The plan for every manifest of `desired` and every orphan `scope` covers (none when
    `partial` without a scope: the caller cannot say which), or `only` these keys. `others`: the
    workspace's manifests outside the scope, whose models are no orphans. `prune`: orphans are
    planned as `delete`.
    Pure: no I/O, no clock."""
    ws = desired.workspace.name
    tagged = _tagged(live, ws)
    matched = _match_all(desired, live, tagged)
    renamed = _renames(desired, tagged, matched)
    matched.update({key: tagged[old] for key, old in renamed.items()})
    leaked = _leaked_for(desired, live, matched)
    models = [
        _renamed(
            _plan_model(d, matched[d.key], ws, leaked.get(d.key)), d, matched[d.key], ws, renamed
        )
        for d in desired.models
    ]
    if scope is not None or only is not None or not partial:
        claimed = {m.id for m in matched.values() if m is not None}
        claimed |= _claimed_outside(others, tagged)
        whole = desired.by_key() | {d.key: d for d in others}
        models += [
            _orphan(m, whole, prune=prune)
            for m in tagged.values()
            if m.id not in claimed and _covers(m.recorded.key or m.id, scope, only)
        ]
    return Plan(
        workspace=ws,
        models=tuple(sorted(models, key=lambda m: (m.key, m.model_id or ""))),
        commit=commit,
        created_at=created_at,
        inputs_digest=inputs_digest(desired, live),
        partial=partial or scope is not None or only is not None,
        scope=scope,
    )


# --- matching ---------------------------------------------------------------------------------


def _tagged(live: Live, ws: str) -> dict[str, LiveModel]:
    """The workspace's live models by key: one each, as the reader refused two claiming one."""
    return {
        m.recorded.key: m
        for m in live.models
        if m.recorded.workspace == ws and m.recorded.key is not None
    }


def _match_all(
    desired: Desired, live: Live, tagged: Mapping[str, LiveModel]
) -> dict[str, LiveModel | None]:
    by_id = live.by_id()
    out: dict[str, LiveModel | None] = {}
    problems: list[Diagnostic] = []
    for d in desired.models:
        if d.model_id is None:
            out[d.key] = tagged.get(d.key)
        elif d.model_id in by_id:
            out[d.key] = by_id[d.model_id]
        else:
            problems.append(
                Diagnostic(
                    d.source.file,
                    d.source.line,
                    "spec.modelId",
                    f"model {d.model_id} was not found in this team",
                    hint="check the id (and the API key's team), or remove spec.modelId "
                    "to create a new model",
                )
            )
    problems += _shared_claims(desired, out)
    if problems:
        raise ManifestError(problems)
    return out


def _renames(
    desired: Desired, tagged: Mapping[str, LiveModel], matched: Mapping[str, LiveModel | None]
) -> dict[str, str]:
    """Key -> the previous key whose live model it takes over: for a manifest with no live
    model of its own, the one live model tagged with one of its previous names. Two of them is
    an error: only one can become this model."""
    out: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for d in desired.models:
        if d.model_id is not None or matched.get(d.key) is not None:
            continue
        found = [old for old in d.previous_names if old in tagged]
        if len(found) > 1:
            listed = " and ".join(f"{tagged[old].id} ({old})" for old in found)
            problems.append(
                Diagnostic(
                    d.source.file,
                    d.source.line,
                    "metadata.previousNames",
                    f"live models {listed} are each a previous model of {d.key}",
                    hint="one live model can become this one: delete the other (or its "
                    "identity tag), or drop its name from previousNames / moved",
                )
            )
        elif found:
            out[d.key] = found[0]
    if problems:
        raise ManifestError(problems)
    return out


def _renamed(
    p: ModelPlan, d: DesiredModel, m: LiveModel | None, ws: str, renamed: Mapping[str, str]
) -> ModelPlan:
    """`p` as a rename when its live model still carries a previous key: apply re-tags it
    (never a create); it trains only when its inputs changed too."""
    old = renamed.get(d.key)
    if old is None or m is None:
        if p.action == "create" and d.previous_names and d.model_id is None:
            names = ", ".join(d.previous_names)
            why = f"no live model has its previous name{'s' if len(d.previous_names) > 1 else ''} "
            return dataclasses.replace(p, reasons=(*p.reasons, f"{why}({names}): a new model"))
        return p
    drop = tuple(Change("tag", "remove", t) for t in identity_tags_of(m.tags, ws, old))
    retag_only = all(c.kind == "tag" for c in p.changes) and not p.drift
    kept = tuple(r for r in p.reasons if not (retag_only and r == _METADATA))
    how = "; its training inputs changed too: it trains" if p.will_train else ", nothing trains"
    why = f"renamed from {old}: its live model is re-tagged {identity_tag(ws, d.key)}{how}"
    action = "rename" if p.action in ("none", "update") else p.action
    return dataclasses.replace(
        p, action=action, reasons=(why, *kept), changes=(*p.changes, *drop), renamed_from=old
    )


def _leaked_for(
    desired: Desired, live: Live, matched: Mapping[str, LiveModel | None]
) -> dict[str, LiveModel]:
    """The leaked model each create adopts: one of its type and name, each taken once."""
    left = list(live.leaked)  # oldest first
    out: dict[str, LiveModel] = {}
    for d in desired.models:
        if matched[d.key] is None and d.model_id is None:
            found = next((m for m in left if (m.type, m.name) == (d.type, d.name)), None)
            if found is not None:
                out[d.key] = found
                left.remove(found)
    return out


def _shared_claims(desired: Desired, matched: Mapping[str, LiveModel | None]) -> list[Diagnostic]:
    """Two manifests must never manage one live model (each would undo the other's changes)."""
    first: dict[str, DesiredModel] = {}
    problems: list[Diagnostic] = []
    for d in desired.models:
        m = matched.get(d.key)
        if m is None:
            continue
        if (other := first.setdefault(m.id, d)) is not d:
            problems.append(
                Diagnostic(
                    d.source.file,
                    d.source.line,
                    "spec.modelId" if d.model_id else "metadata.name",
                    f"model {m.id} is already managed by {other.key} ({other.source})",
                    hint="give each live model exactly one manifest",
                )
            )
    return problems


def _covers(key: str, scope: Scope | None, only: frozenset[str] | None) -> bool:
    if only is not None:
        return key in only
    return scope is None or scope.covers(key, None)


def _previous_names(declared: Mapping[str, DesiredModel]) -> dict[str, DesiredModel]:
    return {old: d for d in declared.values() for old in d.previous_names}


def _claimed_outside(others: tuple[DesiredModel, ...], tagged: Mapping[str, LiveModel]) -> set[str]:
    """The live models the manifests outside the scope manage, or take over by a rename."""
    out = {d.model_id or tagged[d.key].id for d in others if d.model_id or d.key in tagged}
    for d in others:
        if d.model_id is None and d.key not in tagged:
            out |= {tagged[old].id for old in d.previous_names if old in tagged}
    return out


def _orphan(m: LiveModel, declared: Mapping[str, DesiredModel], *, prune: bool) -> ModelPlan:
    key = m.recorded.key or m.id
    adopter = declared.get(key)
    why = (
        f"carries the identity tag of {key}, but its manifest adopts {adopter.model_id} "
        "(spec.modelId)"
        if adopter is not None
        else "no manifest declares it"
    )
    if (renamed := _previous_names(declared).get(key)) is not None:
        why = f"{key} is a previous name of {renamed.key}, which has a live model of its own"
    then = (
        "deleted by this apply (--prune)" if prune else "reported only; `apply --prune` deletes it"
    )
    return ModelPlan(
        key=key,
        action="delete" if prune else "orphan",
        model_id=m.id,
        type=m.type,
        display_name=m.name,
        reasons=(f"{why}: {then}",),
    )


# --- one model --------------------------------------------------------------------------------


def _plan_model(
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
        reasons.append(_METADATA)
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
