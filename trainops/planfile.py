"""Plan files: `plan --out FILE` saves a plan, `apply --plan FILE` reads it back and refuses it
when it is stale.

A saved plan carries a digest of the inputs it was computed from (`inputs_digest`);
`apply --plan FILE` recomputes it from the manifests and a fresh read of the live models and
refuses a plan whose digest differs (`check_fresh`), like Terraform's "saved plan is stale". The
manifests side covers fingerprints (file contents, captions, parameters) and metadata; the live
side covers, per model, id, status, updatedAt, tags, image ids and the latest job. A running
model's `updatedAt` is left out: progress ticks bump it without changing what apply would do (its
status change at the end still counts).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.changes import is_busy
from trainops.desired import Desired, DesiredModel
from trainops.errors import ConfigError, StalePlanError
from trainops.live import Live, LiveModel
from trainops.plan import FORMAT_VERSION, ModelPlan, Plan, freeze

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = ["check_fresh", "inputs_digest", "load_plan", "plan_from_data", "save_plan"]

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


@functools.cache
def _models_adapter() -> TypeAdapter[tuple[ModelPlan, ...]]:
    # Built on first use: pydantic and this adapter are slow to set up, and only reading a saved
    # plan (`apply --plan`) needs them.
    from pydantic import TypeAdapter

    return TypeAdapter(tuple[ModelPlan, ...])


def save_plan(plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan.data(), sort_keys=True, indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def load_plan(path: Path) -> Plan:
    """Read a plan file written by `save_plan`; refuses edited or incompatible files."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad_file(path, str(exc)) from exc
    if not isinstance(data, dict):
        raise _bad_file(path, "not a JSON object")
    plan = plan_from_data(data, path)
    if plan.fingerprint() != data.get("plan_fingerprint"):
        raise ConfigError(
            f"{path}: the plan file was modified after it was saved (plan_fingerprint differs)",
            hint="run `trainops plan --out FILE` again instead of editing a plan file",
        )
    return plan


def plan_from_data(data: dict[str, object], path: Path | str = "<plan>") -> Plan:
    version = str(data.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ConfigError(
            f"{path}: plan format_version {version or '(missing)'} is not supported "
            f"(this trainops reads {FORMAT_VERSION.split('.')[0]}.x)",
            hint="plan again with this version of trainops",
        )
    raw_models = data.get("models")
    if not isinstance(raw_models, list):
        raise _bad_file(path, "models: expected a list")
    if not all(isinstance(m, dict) for m in raw_models):
        raise _bad_file(path, "models: expected a list of objects")
    renamed = [{"key": m.get("name"), **m} for m in raw_models]
    from pydantic import ValidationError

    try:
        models = _models_adapter().validate_python(renamed)
    except ValidationError as exc:
        raise _bad_file(path, str(exc)) from exc
    return Plan(
        workspace=str(data.get("workspace", "")),
        models=models,
        commit=_opt_str(data.get("commit")),
        created_at=str(data.get("created_at") or ""),
        inputs_digest=str(data.get("inputs_digest") or ""),
        format_version=version,
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _bad_file(path: Path | str, why: str) -> ConfigError:
    return ConfigError(
        f"{path}: not a valid trainops plan file: {why}",
        hint="write plan files with `trainops plan --out FILE`",
    )
