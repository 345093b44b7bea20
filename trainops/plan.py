"""The Plan: an immutable, deterministic value saying what `apply` would do, and why.

`trainops.diff.diff(desired, live)` computes it (pure); `pricing` puts costs on it with
`Plan.with_costs`; `render` turns it into text, markdown or JSON; `apply` consumes it.

JSON contract (`Plan.data()`, `render_json`, plan files), `format_version` "1.4". Minor versions
only add keys (and actions); a reader refuses an unknown major version. Keys are sorted.

    format_version    "1.4" (1.1 added `partial`; 1.2 the `rename` action and `renamed_from`;
                      1.3 the `delete` action, `scope`, and per model `trainings` and `spent`;
                      1.4 the change op `replace`)
    workspace         the workspace name (namespaces identity tags)
    partial           true when only part of the workspace was planned (`scope` is not null)
    scope             null when the plan covers the whole workspace, else {paths, targets,
                      changed_since, deleted}: the PATH arguments (workspace-relative), the
                      `--target` globs, the `--changed-since` ref and the keys of the manifests
                      deleted since it. A manifest is in scope when it matches every part given;
                      an orphan only through `targets` or `deleted` (it has no path of its own
                      unless its manifest was deleted since the ref). Orphans are judged
                      against every manifest of the workspace, in scope or not
    commit            git commit of the manifests, or null
    created_at        ISO timestamp given by the caller ("" when not given)
    inputs_digest     sha256 of the manifests and the live snapshot the plan was computed from;
                      `apply --plan FILE` recomputes it and refuses a stale plan
    plan_fingerprint  sha256 of what would be done (actions, fingerprints, changes, costs), stable
                      across runs: compared at merge with the one reviewed in the pull request.
                      Unkeyed, so it catches accidents, not forgery: `apply --plan` plans again
                      and applies only a plan equal to the saved one (`trainops.planfile`)
    has_changes       true when apply would change something (create, train, update, rename or
                      delete, or a pending training: a `wait` whose declared inputs differ from the
                      running training's, `will_train` true)
    summary           {create, train, update, rename, wait, none, orphan, delete: counts,
                       total_cost: CU, unpriced_trainings: trainings without an estimate}
    models[]          sorted by name, then model_id:
      name            metadata.name (the key)         action   create|train|update|rename|wait|
                                                               none|orphan|delete
                      (`orphan`: reported, kept; `delete`: an orphan planned with `--prune`)
      model_id        live id or null (create)        type     model type
      display_name    the model's display name        source   "file:line" of the manifest or null
      reasons[]       why, in words                   drift[]  what changed outside trainops
      changes[]       {kind, op, subject, old, new, sensitive, ref}: kind parameter|image|
                      caption|pair|type|name|description|tag|fingerprint, op add|remove|change|
                      replace (an image: a file at the same name with new bytes; `old` the old
                      image's hash prefix, `new` the new file's path, `ref` its sha256);
                      `ref` is what apply acts on (an image's sha256 to upload, a live image id);
                      sensitive changes never carry values (old/new are null)
      fingerprint     desired training fingerprint (null for orphans)
      training        running training {job_id, status, progress, stage, remaining_ms,
                      other_inputs, cost_so_far} or null
      will_train      true for create and train, and for a pending training (`wait` on
                      other inputs: the declared inputs train when the running training ends)
      estimated_cost  CU from the API's dry run, or null (not priced / not training)
      cost_note       why a cost is missing, e.g. a quota refusal, or null
      renamed_from    the previous key (`metadata.previousNames`, or `moved:` in trainops.yaml)
                      whose live model this one takes over by re-tagging it, or null. Action
                      `rename` when nothing else needs a training; a rename whose inputs changed
                      too is a `train` (or `wait`) with `renamed_from` set
      trainings       `delete` only: the model's trainings found in the team's jobs, or null
      spent           `delete` only: CU those trainings cost (what deleting throws away), or null
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from typing_extensions import TypeAliasType

FORMAT_VERSION = "1.4"

Action = Literal["create", "train", "update", "rename", "wait", "none", "orphan", "delete"]
ACTIONS: tuple[Action, ...] = get_args(Action)
CHANGING_ACTIONS = frozenset({"create", "train", "update", "rename", "delete"})

ChangeKind = Literal[
    "parameter", "image", "caption", "pair", "type", "name", "description", "tag", "fingerprint"
]
ChangeOp = Literal["add", "remove", "change", "replace"]

# A JSON value made hashable: lists become tuples so every plan value stays frozen.
Value = TypeAliasType("Value", "str | int | float | bool | tuple[Value, ...] | None")


def freeze(value: object) -> Value:
    """A JSON-safe, immutable copy of a value read from YAML or the API."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    # Parameters are flat in the API schema; anything nested is shown, not interpreted.
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Change:
    """One typed difference between the manifest and the live model."""

    kind: ChangeKind
    op: ChangeOp
    subject: str  # parameter name, image file name, tag, or field name
    old: Value = None
    new: Value = None
    sensitive: bool = False  # a secret: old/new are always None
    ref: str | None = None  # image sha256 to upload, or the live image id to change/delete

    @property
    def forces_training(self) -> bool:
        # Secrets are not part of the fingerprint: changing one never retrains.
        return self.kind in ("parameter", "image", "caption", "pair", "type") and not self.sensitive


@dataclass(frozen=True)
class TrainingStatus:
    """A training running now (action `wait`)."""

    job_id: str | None
    status: str  # job status when the job is known, else the model status
    progress: float | None  # 0..1
    stage: str | None
    remaining_ms: float | None
    other_inputs: bool  # runs on other inputs than the manifest declares now
    cost_so_far: float | None


@dataclass(frozen=True)
class ModelPlan:
    key: str
    action: Action
    model_id: str | None
    type: str
    display_name: str | None
    reasons: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    drift: tuple[str, ...] = ()
    fingerprint: str | None = None
    training: TrainingStatus | None = None
    will_train: bool = False
    estimated_cost: float | None = None
    cost_note: str | None = None
    source: str | None = None
    renamed_from: str | None = None  # the previous key whose live model this one re-tags
    trainings: int | None = None  # `delete`: the trainings it had (its jobs), None when unknown
    spent: float | None = None  # `delete`: CU they cost

    def data(self) -> dict[str, object]:
        out = dataclasses.asdict(self)
        out["name"] = out.pop("key")
        return out


@dataclass(frozen=True)
class Scope:
    """The part of the workspace a plan covers (PATH arguments, `--target`, `--changed-since`);
    no scope is the whole workspace. Paths are workspace-relative, POSIX."""

    paths: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # globs on metadata.name
    changed_since: str | None = None
    deleted: tuple[tuple[str, str], ...] = ()  # (key, manifest path) deleted since the ref

    def covers(self, key: str, path: str | None) -> bool:
        """Whether the model `key`, declared in `path` (None for an orphan), is in scope."""
        if self.targets and not any(fnmatch.fnmatchcase(key, t) for t in self.targets):
            return False
        gone = dict(self.deleted)
        if path is None:
            # An orphan has no manifest to place it; a deleted one places it where it was.
            if key not in gone and (self.paths or self.changed_since is not None):
                return False
            path = gone.get(key)
        return not self.paths or (path is not None and any(_under(path, p) for p in self.paths))

    def describe(self) -> str:
        parts = []
        if self.paths:
            parts.append(", ".join(self.paths))
        if self.targets:
            parts.append("--target " + ", ".join(self.targets))
        if self.changed_since is not None:
            parts.append(f"changed since {self.changed_since}")
        return " · ".join(parts)


def _under(path: str, top: str) -> bool:
    return top in ("", ".") or path == top or path.startswith(top.rstrip("/") + "/")


@dataclass(frozen=True)
class Plan:
    workspace: str
    models: tuple[ModelPlan, ...]
    commit: str | None = None
    created_at: str = ""
    inputs_digest: str = ""
    format_version: str = FORMAT_VERSION
    partial: bool = False  # only part of the workspace was planned (`scope`)
    scope: Scope | None = None  # None: the whole workspace

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        for m in self.models:
            counts[m.action] += 1
        return counts

    @property
    def total_cost(self) -> float:
        return sum(m.estimated_cost or 0.0 for m in self.models if m.will_train)

    @property
    def unpriced(self) -> int:
        """Trainings without an estimate: the total is then a lower bound."""
        return sum(1 for m in self.models if m.will_train and m.estimated_cost is None)

    @property
    def has_changes(self) -> bool:
        # wait and orphan are reported, but apply does nothing for them; a pending
        # training (a wait on other inputs) is a change still to make, never "no changes".
        # A rename re-tags its model even while it trains (`wait`).
        return any(
            m.action in CHANGING_ACTIONS or m.will_train or m.renamed_from for m in self.models
        )

    def with_costs(self, costs: Mapping[str, tuple[float | None, str | None]]) -> Plan:
        """A copy with (estimated_cost, cost_note) set per model key; other models unchanged."""
        models = tuple(
            dataclasses.replace(m, estimated_cost=costs[m.key][0], cost_note=costs[m.key][1])
            if m.key in costs and m.action not in ("orphan", "delete")
            else m
            for m in self.models
        )
        return dataclasses.replace(self, models=models)

    def fingerprint(self) -> str:
        """sha256 of what would be done; excludes the commit, times, progress and wording so
        that the same intended work planned at review and at merge hashes the same."""
        body = {
            "format": FORMAT_VERSION.split(".")[0],
            "workspace": self.workspace,
            "models": [
                {
                    "name": m.key,
                    "action": m.action,
                    "model_id": m.model_id,
                    "fingerprint": m.fingerprint,
                    "will_train": m.will_train,
                    "estimated_cost": m.estimated_cost,
                    "changes": [dataclasses.asdict(c) for c in m.changes],
                }
                for m in self.models
            ],
        }
        return hashlib.sha256(_canonical_json(body).encode()).hexdigest()

    def data(self) -> dict[str, object]:
        summary: dict[str, object] = {**self.summary(), "total_cost": self.total_cost}
        summary["unpriced_trainings"] = self.unpriced
        return {
            "format_version": self.format_version,
            "workspace": self.workspace,
            "commit": self.commit,
            "created_at": self.created_at,
            "inputs_digest": self.inputs_digest,
            "partial": self.partial,
            "scope": None if self.scope is None else dataclasses.asdict(self.scope),
            "plan_fingerprint": self.fingerprint(),
            "has_changes": self.has_changes,
            "summary": summary,
            "models": [m.data() for m in self.models],
        }


def format_cu(value: float) -> str:
    """Creative units for people: `12.5`, `42`, `1,234.57`."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- apply outcome ----------------------------------------------------------------------------

# `unrecorded`: a training was triggered (or may have been) but apply could not record it; the
# next apply records it and never triggers it again. `blocked` (--wait): the training waits for a
# person in Scenario's web app (a professional voice clone's captcha); it is not failed.
# `deferred`: the team's limit on parallel trainings or its launch cooldown refused the trigger
# (`deferred_by` names it); nothing started, and the next apply starts it (`trainops.schedule`).
Result = Literal["done", "failed", "skipped", "unrecorded", "blocked", "deferred"]
RESULTS: tuple[Result, ...] = get_args(Result)


@dataclass(frozen=True)
class ModelOutcome:
    """What apply did for one model of the plan."""

    key: str
    action: Action
    result: Result
    detail: str  # one line: what happened, or why it failed / was skipped
    job_id: str | None = None
    cost: float | None = None  # CU billed for a triggered training, when known
    deferred_by: str | None = None  # `deferred`: the limit, `the team's launch cooldown`


@dataclass(frozen=True)
class Outcome:
    models: tuple[ModelOutcome, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(RESULTS, 0)
        for m in self.models:
            out[m.result] += 1
        return out

    @property
    def failed(self) -> bool:
        """Apply did not finish its work (exit 1): a model failed, a training is unrecorded, or
        (--wait) a training needs a person before it can end. A `deferred` training is not a
        failure: the change is kept, and the next apply starts it."""
        return any(m.result in ("failed", "unrecorded", "blocked") for m in self.models)

    @property
    def total_cost(self) -> float:
        return sum(m.cost or 0.0 for m in self.models)

    def data(self) -> dict[str, object]:
        """JSON: {failed, summary: {done, failed, skipped, unrecorded, blocked, deferred,
        total_cost}, models[]: {name, action, result, detail, job_id, cost, deferred_by}}."""
        summary: dict[str, object] = {**self.counts(), "total_cost": self.total_cost}
        models = [{"name": m.key, **dataclasses.asdict(m)} for m in self.models]
        for m in models:
            del m["key"]
        return {"failed": self.failed, "summary": summary, "models": models}
