"""Staleness of a saved plan: a digest of the inputs it was computed from.

`apply --plan FILE` recomputes `inputs_digest` from the manifests and a fresh read of the live
models and refuses a plan whose digest differs (`check_fresh`), like Terraform's "saved plan is
stale". The manifests side covers fingerprints (file contents, captions, parameters) and
metadata; the live side covers, per model, id, status, updatedAt, tags, image ids and the latest
job. A running model's `updatedAt` is left out: progress ticks bump it without changing what
apply would do (its status change at the end still counts).
"""

from __future__ import annotations

import hashlib
import json

from trainops.changes import is_busy
from trainops.desired import Desired, DesiredModel
from trainops.errors import StalePlanError
from trainops.live import Live, LiveModel
from trainops.plan import Plan, freeze

__all__ = ["check_fresh", "inputs_digest"]

HALF = 32


def inputs_digest(desired: Desired, live: Live) -> str:
    """64 hex chars: 32 of the manifests' hash, then 32 of the live snapshot's hash.

    Two halves so that a refusal can say which side changed.
    """
    manifests = {
        "workspace": desired.workspace.name,
        "models": [_desired_snapshot(d) for d in desired.models],
    }
    snapshot = [_live_snapshot(m) for m in sorted(live.models, key=lambda m: m.id)]
    return _sha(manifests)[:HALF] + _sha(snapshot)[:HALF]


def check_fresh(plan: Plan, desired: Desired, live: Live) -> None:
    """Raise StalePlanError when `plan` was not computed from these manifests and live state."""
    now = inputs_digest(desired, live)
    if now == plan.inputs_digest:
        return
    changed = []
    if now[:HALF] != plan.inputs_digest[:HALF]:
        changed.append("the manifests or their training files")
    if now[HALF:] != plan.inputs_digest[HALF:]:
        changed.append("the live models")
    raise StalePlanError(
        f"the saved plan is stale: {' and '.join(changed)} changed since it was computed",
        hint="run `trainops plan --out FILE` again, review it, and apply the new plan",
    )


def _sha(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _desired_snapshot(d: DesiredModel) -> dict[str, object]:
    return {
        "key": d.key,
        "fingerprint": d.fingerprint,
        "type": d.type,
        "name": d.name,
        "short_description": d.short_description,
        "tags": sorted(d.tags),
        "model_id": d.model_id,
        "parameters": {k: freeze(v) for k, v in d.public_parameters().items()},
    }


def _live_snapshot(m: LiveModel) -> dict[str, object]:
    return {
        "id": m.id,
        "status": m.status,
        "updated_at": None if is_busy(m) else m.updated_at,
        "tags": sorted(m.tags),
        "images_count": m.images_count,
        "job": [m.job.id, m.job.status] if m.job else None,
    }
