"""The steps of a model's run before any training: create (or adopt), rename, metadata and tags,
record the fingerprint; and deleting an orphan planned for it."""

from __future__ import annotations

import dataclasses

from trainops.apply.state import Run, out, write_tags
from trainops.desired import DesiredModel
from trainops.errors import AmbiguousWriteError, TrainopsError
from trainops.leaks import claim, claim_leaked, looks_leaked
from trainops.live import LiveModel
from trainops.plan import ModelOutcome, ModelPlan
from trainops.tags import (
    COMMIT_PREFIX,
    FP_PREFIX,
    PENDING_PREFIX,
    commit_tag,
    fingerprint_tag,
    identity_tag,
    identity_tags_of,
)


async def rename(r: Run, live: LiveModel, d: DesiredModel, old: str) -> LiveModel:
    """Re-tag the model of a previous key as `d`'s, in one tag update: the new identity tag
    added and the old one removed together, so no plan ever sees it as both or neither."""
    new = identity_tag(r.ws, d.key)
    stale = identity_tags_of(live.tags, r.ws, old)
    if not stale and new not in live.tags:
        raise TrainopsError(
            f"model {live.id} no longer carries the identity tag of {old}: not renamed",
            hint="another run changed it since the plan: plan again",
        )
    add = [] if new in live.tags else [new]
    if add or stale:
        await write_tags(r, live.id, add=add, delete=stale)
    r.say(f"{d.key}: renamed {live.id} from {old}")
    tags = (*(t for t in live.tags if t not in stale), *add)
    return dataclasses.replace(live, tags=tags)


async def delete_orphan(r: Run, e: ModelPlan) -> ModelOutcome:
    # Only what the plan showed as `delete` (planned with --prune) is deleted.
    if e.action != "delete" or not r.opt.prune or e.model_id is None:
        return out(e, "skipped", "orphan: kept (plan and apply with --prune to delete it)")
    await r.client.delete_model(e.model_id)
    return out(e, "done", f"deleted orphan {e.model_id}")


async def create(r: Run, d: DesiredModel, e: ModelPlan) -> str:
    """A model for `d`, never used before its identity tag is on it and no other run's:
    the leaked one the plan found (`e.model_id`, see `trainops.leaks`) if it still is, else
    a new one. A crash after the tag leaves a model the next plan finds."""
    tags = [identity_tag(r.ws, d.key), *d.tags]
    kind = (d.type, d.name)
    if e.model_id and await claim_leaked(r.client, e.model_id, kind, tags):
        r.say(f"{d.key}: adopted {e.model_id}, left untagged by an interrupted create")
        return e.model_id
    started = r.opt.clock()
    try:
        model = await r.client.create_model(
            type=d.type, name=d.name, short_description=d.short_description
        )
    except AmbiguousWriteError:
        found = await _find_created(r, d, started, tags)
        if found is None:
            raise
        model_id = found
    else:
        model_id = model.id
        if not await claim(r.client, model_id, tags):
            raise TrainopsError(
                f"model {model_id} was claimed by another run before its identity tag "
                "landed: left to it",
                hint="apply again: it creates another",
            )
    r.say(f"{d.key}: created {model_id}")
    return model_id


async def _find_created(r: Run, d: DesiredModel, since: float, tags: list[str]) -> str | None:
    """After an ambiguous create: the model it may have made (same type and name, untagged,
    new, created after we asked), claimed. Adopting it avoids a duplicate model."""
    for m in await r.client.list_models():
        created = m.created_at
        if (
            looks_leaked(m)
            and (m.type, m.name) == (d.type, d.name)
            and created is not None
            and created >= since - 5
            and await claim_leaked(r.client, m.id, (d.type, d.name), tags)
        ):
            return m.id
    return None


async def metadata(r: Run, e: ModelPlan, d: DesiredModel, live: LiveModel) -> None:
    name = d.name if live.name != d.name else None
    desc = d.short_description if d.short_description != live.short_description else None
    drifted = any(c.kind == "parameter" and not c.sensitive for c in e.changes)
    params = d.resolved_parameters(r.opt.environ) if drifted and not e.will_train else None
    if name is not None or desc is not None or params is not None:
        await r.client.update_model(live.id, name=name, short_description=desc, parameters=params)
    missing = [t for t in (*d.tags, identity_tag(r.ws, d.key)) if t not in live.tags]
    recorded = any(c.kind == "fingerprint" for c in e.changes)
    if recorded:
        await record(r, live, d)
    elif missing:
        await write_tags(r, live.id, add=missing)


async def record(r: Run, live: LiveModel, d: DesiredModel) -> None:
    add = [fingerprint_tag(d.fingerprint), identity_tag(r.ws, d.key)]
    if r.opt.commit:
        add.append(commit_tag(r.opt.commit))
    prefixes = (FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX)
    stale = [t for t in live.tags if t.startswith(prefixes) and t not in add]
    new = [t for t in add if t not in live.tags]
    await write_tags(r, live.id, add=new, delete=stale)
