"""What a reviewer saw in the pull request, model by model, and the merge-time check against it.

The plan comment records, for every model its plan acts on, the action, a digest of the model's
declared inputs (`planfile.model_inputs`) and its estimated cost (`Review.data`, kept in the
comment's hidden meta). At merge the plan is made again and compared with it (`compare`):

- the merge may do *less* than the review showed: a model already done (`none`), one still
  training (`wait`), or one whose remaining work is part of what was shown (`create` reviewed,
  `train` at merge: a re-run after a partial failure created it already);
- it must not create, train, update or delete anything the review did not show for that model
  with those declared inputs: a `delete` only where the review showed `delete` for that live
  model (an `orphan`, reported and kept, approves no deletion);
- the trainings it starts may cost at most `tolerance` more than the review priced them (a
  workspace setting, `mergeCostTolerance`, 10% by default); a training priced at review and
  unpriced now is refused (its cost is unknown), one unpriced at review is bounded by apply's
  own limits (`--max-cost`, `budget`) as it was when reviewed.

Pure: no I/O. The comment's author check (`github.comments`) is what makes the record trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from trainops.desired import Desired
from trainops.plan import ModelPlan, Plan, format_cu
from trainops.planfile import model_inputs

DEFAULT_TOLERANCE = 10.0  # percent
_FROM = "<"  # in a rename's inputs: the previous key and the live model it takes over

# What each entry may do to its model. `create` covers the work of a `train` or an `update` on
# the model it made (a re-run after a partial failure finds it made), `train` that of an update.
_OPS: dict[str, frozenset[str]] = {
    "create": frozenset({"create", "train", "update"}),
    "train": frozenset({"train", "update"}),
    "update": frozenset({"update"}),
    "delete": frozenset({"delete"}),
    # Reviews recorded before deletions were planned: an orphan shown approves no deletion.
    "orphan": frozenset(),
    "pending": frozenset({"train"}),  # a `wait` whose training runs on other inputs
    # A rename takes over the live model of a previous key: only a review that showed that
    # rename (of that model, `_inputs`) covers it, never a create, train or update of the key.
    "rename": frozenset({"rename", "update"}),
    "rename+train": frozenset({"rename", "train", "update"}),
    "rename+pending": frozenset({"rename", "train"}),
}
_DOES = {
    "create": "create it and train it",
    "train": "train it",
    "update": "update it",
    "delete": "delete it (--prune)",
    "orphan": "keep it",
    "pending": "train it when its running training ends",
    "rename": "rename it (re-tag a previous name's model)",
    "rename+train": "rename it (re-tag a previous name's model) and train it",
    "rename+pending": "rename it and train it when its running training ends",
}
_SHOWN = {
    "create": "create",
    "train": "train",
    "update": "update (no training)",
    "delete": "delete",
    "orphan": "orphan (kept: no deletion)",
    "pending": "a pending training",
    "rename": "rename (no training)",
    "rename+train": "rename and train",
    "rename+pending": "rename and a pending training",
}


@dataclass(frozen=True)
class ReviewedModel:
    action: str  # create | train | update | delete | pending | rename[+train|+pending]
    # (orphan: an older comment's; it approves no deletion)
    inputs: str  # digest of the declared inputs (the model id for a delete)
    cost: float | None = None  # estimated CU of its training, None when unpriced or not training


@dataclass(frozen=True)
class Review:
    """The acting entries of one plan, by model key."""

    models: Mapping[str, ReviewedModel] = field(default_factory=dict)
    max_cost: float | None = None  # the --max-cost the plan was held to, if any

    def data(self) -> dict[str, object]:
        models = {k: [m.action, m.inputs, m.cost] for k, m in sorted(self.models.items())}
        return {"models": models, "max_cost": self.max_cost}

    @classmethod
    def from_data(cls, data: object) -> Review | None:
        """The review a comment's meta holds; None when it holds none or a malformed one."""
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            return None
        models: dict[str, ReviewedModel] = {}
        for key, entry in data["models"].items():
            if not (isinstance(entry, list) and len(entry) == 3):
                return None
            action, inputs, cost = entry
            if action not in _OPS or not isinstance(inputs, str) or not _cost_ok(cost):
                return None
            models[str(key)] = ReviewedModel(action, inputs, None if cost is None else float(cost))
        max_cost = data.get("max_cost")
        return cls(models, float(max_cost) if _cost_ok(max_cost) and max_cost else None)


def _cost_ok(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def review_of(
    plan: Plan,
    desired: Desired,
    *,
    max_cost: float | None = None,
) -> Review:
    """The entries of `plan` that act on a model: a `delete` (planned with --prune) acts, an
    `orphan` (kept) does not."""
    declared = desired.by_key()
    models = {}
    for m in plan.models:
        action = _acting(m)
        if action is None:
            continue
        d = declared.get(m.key)
        inputs = model_inputs(d) if d is not None and action != "delete" else f"id:{m.model_id}"
        if m.renamed_from:  # which live model it takes over is part of what was reviewed
            inputs += f"{_FROM}{m.renamed_from}:{m.model_id}"
        models[m.key] = ReviewedModel(action, inputs, m.estimated_cost if m.will_train else None)
    return Review(models, max_cost)


def _acting(m: ModelPlan) -> str | None:
    if m.renamed_from:
        if m.action == "rename":
            return "rename"
        if m.action == "train":
            return "rename+train"
        if m.action == "wait" and m.training is not None and m.training.other_inputs:
            return "rename+pending"
        return "rename"  # a rename of a model that trains now: its re-tag only
    if m.action in ("create", "train", "update", "delete"):
        return m.action
    if m.action == "wait" and m.training is not None and m.training.other_inputs:
        # Trains once the running training ends (or now, with --replace-running).
        return "pending"
    return None


def compare(reviewed: Review, now: Review, *, tolerance: float = DEFAULT_TOLERANCE) -> list[str]:
    """Every way `now` (the merge-time plan) goes beyond `reviewed`, one line each; [] when
    the merge does what was reviewed or less."""
    problems, flagged = [], set()
    for key, m in sorted(now.models.items()):
        was = reviewed.models.get(key)
        does = _DOES[m.action]
        if was is None:
            problems.append(f"{key}: the review did not show it; the merge would {does}")
        elif not _OPS[m.action] <= _OPS[was.action]:
            problems.append(
                f"{key}: the review showed {_SHOWN[was.action]}; the merge would {does}"
            )
        elif m.inputs != was.inputs and m.action == "delete":
            problems.append(
                f"{key}: the review showed the deletion of another model "
                f"({was.inputs.removeprefix('id:')}); the merge would delete "
                f"{m.inputs.removeprefix('id:')}"
            )
        elif m.inputs != was.inputs and m.inputs != was.inputs.partition(_FROM)[0]:
            # (A reviewed rename done since, by another apply, leaves the same inputs.)
            problems.append(
                f"{key}: its declared inputs changed since the review; the merge would {does} "
                "with inputs nobody reviewed"
            )
        flagged |= {key} if problems and problems[-1].startswith(f"{key}: ") else set()
    # A model refused above is not priced against the review too: one reason is enough.
    rest = Review({k: m for k, m in now.models.items() if k not in flagged})
    return problems + _cost_problems(reviewed, rest, tolerance)


def _cost_problems(reviewed: Review, now: Review, tolerance: float) -> list[str]:
    """The trainings the merge starts, against what the review priced the same trainings at."""
    problems, was_total, now_total = [], 0.0, 0.0
    for key, m in sorted(now.models.items()):
        was = reviewed.models.get(key)
        if "train" not in _OPS[m.action] or was is None or was.cost is None:
            continue  # not shown (refused above) or unpriced at review: apply's limits bound it
        if m.cost is None:
            problems.append(f"{key}: priced {format_cu(was.cost)} CU at review, unpriced now")
            continue
        was_total += was.cost
        now_total += m.cost
    ceiling = was_total * (1 + tolerance / 100)
    if now_total > ceiling + 1e-9:
        rise = (now_total / was_total - 1) * 100 if was_total else math.inf
        problems.append(
            f"cost: the trainings cost {format_cu(now_total)} CU now, {format_cu(was_total)} CU "
            f"at review (+{rise:.0f}%), over the {tolerance:g}% tolerance "
            f"({format_cu(ceiling)} CU)"
        )
    return problems
