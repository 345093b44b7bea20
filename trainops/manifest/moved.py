"""Renames: the previous keys of each model (`metadata.previousNames`, and trainops.yaml's
`moved:` list), checked across the workspace before anything is planned.

A previous key lets a plan find the live model still tagged with it and re-tag it (`rename`)
instead of creating and training a new model while the old one becomes an orphan. Each
previous key must name one model's past only: a key still declared, or claimed by two models,
is an error, since either reading could re-tag (or `--prune` delete) the wrong trained model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from trainops.desired import DesiredModel, Workspace
from trainops.errors import Diagnostic
from trainops.manifest.workspace import SETTINGS_FILE

_FIELD = "metadata.previousNames"


def with_previous_names(
    workspace: Workspace, models: Sequence[DesiredModel]
) -> tuple[list[DesiredModel], list[Diagnostic]]:
    """`models` with their previous keys (the manifest's own, then `moved:`'s) and the problems.

    A `moved:` entry whose `to` no loaded model has is left out: a run scoped to some paths
    loads only their manifests."""
    keys = {m.key: m for m in models}
    moved: dict[str, list[str]] = {}
    for old, new in workspace.moved:
        moved.setdefault(new, []).append(old)
    out: list[DesiredModel] = []
    diags: list[Diagnostic] = []
    claimed: dict[str, DesiredModel] = {}
    for m in sorted(models, key=lambda m: m.key):
        names = tuple(dict.fromkeys((*m.previous_names, *moved.get(m.key, ()))))
        for old in names:
            where = _where(m, old)
            if old == m.key:
                diags.append(_diag(m, where, f"{old!r} is this model's own name", _DROP))
            elif old in keys:
                diags.append(
                    _diag(
                        m,
                        where,
                        f"{old!r} is still the name of the model at {keys[old].source}",
                        "a previous name must be free: rename or remove that manifest, or drop "
                        f"{old!r} here",
                    )
                )
            elif (first := claimed.setdefault(old, m)) is not m:
                diags.append(
                    _diag(
                        m,
                        where,
                        f"{old!r} is also a previous name of {first.key} ({first.source})",
                        "one live model can become only one model: keep the previous name on "
                        "the model it became",
                    )
                )
        out.append(dataclasses.replace(m, previous_names=names) if names else m)
    return out, diags


_DROP = "remove it: a model needs no rename to keep its own name"


def _where(m: DesiredModel, old: str) -> str:
    return _FIELD if old in m.previous_names else f"moved (in {SETTINGS_FILE})"


def _diag(m: DesiredModel, where: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(m.source.file, m.source.line, where, message, hint)
