"""Renames: a manifest with no live model of its own takes over the one tagged with a previous
key, and its plan becomes a `rename` (or a `train`/`wait` with `renamed_from`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from trainops.desired import Desired, DesiredModel
from trainops.diff.model import METADATA
from trainops.errors import Diagnostic, ManifestError
from trainops.live import LiveModel
from trainops.plan import Change, ModelPlan
from trainops.tags import identity_tag, identity_tags_of


def find_renames(
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


def as_rename(
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
    kept = tuple(r for r in p.reasons if not (retag_only and r == METADATA))
    how = "; its training inputs changed too: it trains" if p.will_train else ", nothing trains"
    why = f"renamed from {old}: its live model is re-tagged {identity_tag(ws, d.key)}{how}"
    action = "rename" if p.action in ("none", "update") else p.action
    return dataclasses.replace(
        p, action=action, reasons=(why, *kept), changes=(*p.changes, *drop), renamed_from=old
    )
