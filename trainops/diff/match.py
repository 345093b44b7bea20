"""Matching manifests to live models: by `spec.modelId`, else by identity tag, each live model
claimed by one manifest at most; and the leaked model each create adopts."""

from __future__ import annotations

from collections.abc import Mapping

from trainops.desired import Desired, DesiredModel
from trainops.errors import Diagnostic, ManifestError
from trainops.live import Live, LiveModel


def tagged_models(live: Live, ws: str) -> dict[str, LiveModel]:
    """The workspace's live models by key: one each, as the reader refused two claiming one."""
    return {
        m.recorded.key: m
        for m in live.models
        if m.recorded.workspace == ws and m.recorded.key is not None
    }


def match_all(
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


def leaked_for(
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
