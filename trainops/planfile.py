"""Plan files: `plan --out FILE` saves a plan; `apply --plan FILE` holds the plan apply would
make now to it, and applies that one, never the file's entries.

A saved plan is a promise to check, never a script to run: its `plan_fingerprint` is an unkeyed
sha256 anyone who edits the file can recompute. So `apply --plan` (see `pipeline.remake_plan`):

1. scopes the manifests to the saved plan's models (`scope`): a `--changed-since` plan covers
   only some, and a manifest outside the file is not applied either way;
2. checks `inputs_digest` (`check_fresh`), a digest of the inputs the plan was computed from,
   against the manifests and a fresh read of the live models, like Terraform's "saved plan is
   stale". It is kept as the first check, not subsumed by 3: a saved plan is a promise about the
   inputs it was reviewed on, so any change to them makes it stale even where the decisions
   happen to come out the same, and this check can say which side changed. The manifests side
   covers fingerprints (file contents, captions, parameters) and metadata; the live side covers,
   per model, id, status, updatedAt, tags, image ids and the latest job. A running model's
   `updatedAt` is left out: progress ticks bump it without changing what apply would do (its
   status change at the end still counts);
3. diffs again and refuses a plan that differs in anything that decides what apply does
   (`check_same`): the workspace, the set of models (orphans included), and per model the
   action, `will_train`, `model_id`, the fingerprint, the changes, and whether a running
   training is on other inputs (`--replace-running`). Wording, sources and progress do not count;
4. prices again and refuses a plan whose costs rose (`check_costs`). The tolerance: a model's
   re-priced cost may be lower than or equal to the saved one, never higher (so neither can the
   total of what was priced); a saved price must still be a price (a saved `null`, "priced at
   apply", accepts any, as its review did: apply's own limits then bound it as for any unpriced
   training).

Every refusal is a `StalePlanError` (exit 1) naming each difference, per model and field.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.changes import is_busy
from trainops.desired import Desired, DesiredModel
from trainops.errors import ConfigError, StalePlanError
from trainops.live import Live, LiveModel
from trainops.plan import FORMAT_VERSION, Change, ModelPlan, Plan, Scope, Value, freeze
from trainops.scoped import Scoped

if TYPE_CHECKING:
    from pydantic import TypeAdapter

__all__ = [
    "check_costs",
    "check_fresh",
    "check_same",
    "inputs_digest",
    "load_plan",
    "model_inputs",
    "plan_from_data",
    "save_plan",
    "scope_of",
]

HALF = 32
REPLAN = "run `trainops plan --out FILE` again, review it, and apply the new plan"
SHOWN = 20  # differences listed in a refusal; a forged file may hold thousands


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


def model_inputs(d: DesiredModel) -> str:
    """16 hex chars naming one model's declared inputs (what it trains on and its metadata): a
    review records it per model, and the merge acts on a model only with the same inputs."""
    return _sha(_desired_snapshot(d))[:16]


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
        hint=REPLAN,
    )


def scope_of(
    desired: Desired, saved: Plan, others: tuple[DesiredModel, ...] = ()
) -> tuple[Desired, Scoped]:
    """The manifests of the models the saved plan covers (from `desired` and `others`, the
    workspace's manifests outside the load's scope), and what the rest claims. Taking its word
    for the scope is safe: a model it leaves out is not applied, and an orphan entry for a key
    some manifest declares brings that manifest into scope, where it plans as itself and
    `check_same` refuses it. Orphans are judged against every manifest; a scoped plan's only
    among its own entries' keys, a whole plan's all of them (a new one is a difference)."""
    keys = {m.key for m in saved.models}
    every = (*desired.models, *others)
    scoped = dataclasses.replace(desired, models=tuple(m for m in every if m.key in keys))
    rest = tuple(m for m in every if m.key not in keys)
    if saved.scope is None and not saved.partial:
        return scoped, Scoped(None, rest)
    orphans = frozenset(m.key for m in saved.models if m.action in ("orphan", "delete"))
    return scoped, Scoped(saved.scope, rest, only=orphans)


def check_same(saved: Plan, now: Plan) -> None:
    """Raise StalePlanError unless `now` would do what `saved` says, costs aside."""
    problems = []
    if saved.workspace != now.workspace:
        problems.append(_differs("workspace", saved.workspace, now.workspace))
    counts = Counter(m.key for m in saved.models)
    problems += [
        f"{_show(k)}: listed {n} times in the saved plan" for k, n in counts.items() if n > 1
    ]
    before = {m.key: m for m in saved.models}
    after = {m.key: m for m in now.models}
    for key in sorted(before.keys() | after.keys()):
        problems += _model_differences(key, before.get(key), after.get(key))
    _refuse(problems, "does not match what apply would do now")


def check_costs(saved: Plan, now: Plan) -> None:
    """Raise StalePlanError when a re-priced training costs more than the saved plan says."""
    before = {m.key: m.estimated_cost for m in saved.models}
    problems = [
        f"{m.key}: estimated_cost: saved {_cost(was)}, now {_cost(m.estimated_cost)}"
        for m in now.models
        if m.will_train
        and (was := before.get(m.key)) is not None
        and not _within(was, m.estimated_cost)
    ]
    _refuse(problems, "costs more now than it says")


def _within(saved: float, now: float | None) -> bool:
    # A file may hold NaN or Infinity (Python's json reads both): neither bounds anything.
    return now is not None and math.isfinite(saved) and now <= saved


# What decides what apply does with one model, by the name a refusal gives it.
_DECIDING: dict[str, Callable[[ModelPlan], Value]] = {
    "action": lambda m: m.action,
    "will_train": lambda m: m.will_train,
    "model_id": lambda m: m.model_id,
    "fingerprint": lambda m: m.fingerprint,
    "training on other inputs": lambda m: m.training.other_inputs if m.training else None,
}


def _model_differences(key: str, saved: ModelPlan | None, now: ModelPlan | None) -> list[str]:
    name = _show(key)
    if saved is None or now is None:
        was = saved.action if saved else "(absent)"
        return [f"{name}: saved {_show(was)}, now {now.action if now else '(absent)'}"]
    out = [
        _differs(f"{name}: {field}", get(saved), get(now))
        for field, get in _DECIDING.items()
        if get(saved) != get(now)
    ]
    if Counter(saved.changes) != Counter(now.changes):
        out.append(_changes_differ(name, saved.changes, now.changes))
    return out


def _changes_differ(name: str, saved: tuple[Change, ...], now: tuple[Change, ...]) -> str:
    only_saved = [_change(c) for c in (Counter(saved) - Counter(now)).elements()]
    only_now = [_change(c) for c in (Counter(now) - Counter(saved)).elements()]
    parts = [f"only saved: {'; '.join(only_saved)}"] if only_saved else []
    parts += [f"only now: {'; '.join(only_now)}"] if only_now else []
    return f"{name}: changes: {', '.join(parts)}"


def _change(c: Change) -> str:
    text = f"{_show(c.op)} {_show(c.kind)} {_show(c.subject)}"
    if not c.sensitive and (c.old is not None or c.new is not None):
        text += f" {_show(c.old)} -> {_show(c.new)}"
    # Two changes can differ only in what apply acts on (an image's hash, a live image id).
    return text + (f" [{_show(c.ref)[:12]}]" if c.ref else "")


def _differs(what: str, saved: Value, now: Value) -> str:
    return f"{what}: saved {_show(saved)}, now {_show(now)}"


def _show(value: Value) -> str:
    """A value for one line of a refusal: the saved side is whatever the file holds, so anything
    long or unprintable (escape sequences, bidi overrides) is shown escaped and cut."""
    if isinstance(value, str) and value.isprintable() and len(value) <= 64:
        return value
    text = json.dumps(value)  # ASCII only: escapes every control and bidi character
    return text if len(text) <= 64 else text[:61] + "..."


def _cost(value: float | None) -> str:
    return "unpriced" if value is None else f"{value:g}"


def _refuse(problems: list[str], what: str) -> None:
    if not problems:
        return
    shown = [f"  {p}" for p in problems[:SHOWN]]
    if len(problems) > SHOWN:
        shown.append(f"  ... and {len(problems) - SHOWN} more")
    raise StalePlanError(f"the saved plan {what}:\n" + "\n".join(shown), hint=REPLAN)


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
    # Catches a hand edit early, nothing more: the fingerprint is unkeyed, so a forger recomputes
    # it. What protects apply is that it plans again (`check_same`, `check_costs`).
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
        partial=data.get("partial") is True,
        scope=_scope(data.get("scope"), path),
    )


def _scope(raw: object, path: Path | str) -> Scope | None:
    if raw is None:
        return None
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(Scope).validate_python(raw)
    except ValidationError as exc:
        raise _bad_file(path, f"scope: {exc}") from exc


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _bad_file(path: Path | str, why: str) -> ConfigError:
    return ConfigError(
        f"{path}: not a valid trainops plan file: {why}",
        hint="write plan files with `trainops plan --out FILE`",
    )
