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

Where each rule lives: matching (1) in `match`, renames in `renames`, orphans and deletes (6, 7)
in `orphans`, one model's plan (2-5) in `model`.
"""

from __future__ import annotations

from trainops.desired import Desired, DesiredModel
from trainops.diff.match import leaked_for, match_all, tagged_models
from trainops.diff.model import plan_model
from trainops.diff.orphans import claimed_outside, covers, orphan
from trainops.diff.renames import as_rename, find_renames
from trainops.live import Live
from trainops.plan import Plan, Scope
from trainops.planfile import inputs_digest

__all__ = ["diff", "inputs_digest"]


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
    tagged = tagged_models(live, ws)
    matched = match_all(desired, live, tagged)
    renamed = find_renames(desired, tagged, matched)
    matched.update({key: tagged[old] for key, old in renamed.items()})
    leaked = leaked_for(desired, live, matched)
    models = [
        as_rename(
            plan_model(d, matched[d.key], ws, leaked.get(d.key)), d, matched[d.key], ws, renamed
        )
        for d in desired.models
    ]
    if scope is not None or only is not None or not partial:
        claimed = {m.id for m in matched.values() if m is not None}
        claimed |= claimed_outside(others, tagged)
        whole = desired.by_key() | {d.key: d for d in others}
        models += [
            orphan(m, whole, prune=prune)
            for m in tagged.values()
            if m.id not in claimed and covers(m.recorded.key or m.id, scope, only)
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
