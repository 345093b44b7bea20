"""Orphans: live models of the workspace no manifest claims, reported, or planned as `delete`
with `prune`."""

from __future__ import annotations

from collections.abc import Mapping

from trainops.desired import DesiredModel
from trainops.live import LiveModel
from trainops.plan import ModelPlan, Scope


def covers(key: str, scope: Scope | None, only: frozenset[str] | None) -> bool:
    if only is not None:
        return key in only
    return scope is None or scope.covers(key, None)


def _previous_names(declared: Mapping[str, DesiredModel]) -> dict[str, DesiredModel]:
    return {old: d for d in declared.values() for old in d.previous_names}


def claimed_outside(others: tuple[DesiredModel, ...], tagged: Mapping[str, LiveModel]) -> set[str]:
    """The live models the manifests outside the scope manage, or take over by a rename."""
    out = {d.model_id or tagged[d.key].id for d in others if d.model_id or d.key in tagged}
    for d in others:
        if d.model_id is None and d.key not in tagged:
            out |= {tagged[old].id for old in d.previous_names if old in tagged}
    return out


def orphan(m: LiveModel, declared: Mapping[str, DesiredModel], *, prune: bool) -> ModelPlan:
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
