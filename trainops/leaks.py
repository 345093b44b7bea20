"""Models a create left untagged: found by the next run and claimed instead of created again.

`POST /models` takes no tags, so the tag that makes a model trainops's (its identity, or a price
probe's) is a second request, and a run killed between the two leaves an empty model that no
later run would name. A later run finds it (`leaked`: status `new`, no training file, no job, no
trainops tag, the type and name the create gave it) and claims it (`claim_leaked`).

Which API key made a model cannot be told: a model carries `authorId` (a user) and `ownerId`
(the team), and no endpoint says which user an API key acts for. So an empty untagged model made
by hand with the same type and name is taken too: it cannot be told from a leaked one, and taking
it gives it the files and the training the create would have given a new one.

Two runs may claim one model at once: two workspaces with a model of the same name and type, or a
plan elsewhere seeing a model whose create still waits for its tag. `claim` tags the model, reads
it again and keeps it only when its trainops tags are exactly the ones it added; else it takes
its own back off and gives up. The later of two tag updates on one model sees the earlier one in
its re-read, so at most one run keeps the model (both may give up: the next run claims it).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from trainops.errors import ApiError
from trainops.live import LiveModel
from trainops.scenario.client import Scenario
from trainops.tags import check_written, is_trainops_tag, probe_name

Kind = tuple[str, str]  # (type, name): what a create gave the model


def looks_leaked(m: LiveModel) -> bool:
    """Empty, never trained and carrying no trainops tag: as a create leaves a model."""
    return (
        m.status == "new"
        and not m.images_count
        and m.job_id is None
        and not any(is_trainops_tag(t) for t in m.tags)
    )


def is_probe(m: LiveModel) -> bool:
    return m.name == probe_name(m.type)


def leaked(listing: Iterable[LiveModel], kinds: Collection[Kind]) -> tuple[LiveModel, ...]:
    """The listed models that look leaked and are of one of `kinds` or a price probe; oldest
    first, so that of two left by one model's creates the first is taken."""
    found = (m for m in listing if looks_leaked(m) and ((m.type, m.name) in kinds or is_probe(m)))
    return tuple(sorted(found, key=lambda m: (m.created_at or 0.0, m.id)))


async def claim_leaked(client: Scenario, model_id: str, kind: Kind, tags: Sequence[str]) -> bool:
    """Claim a model found leaked (by a plan, or after an ambiguous create) if it still is one."""
    try:
        now = await client.get_model(model_id)
    except ApiError as exc:
        if exc.status == 404:
            return False  # deleted since it was seen
        raise
    if not looks_leaked(now) or (now.type, now.name) != kind:
        return False
    return await claim(client, model_id, tags)


async def claim(client: Scenario, model_id: str, tags: Sequence[str]) -> bool:
    """Tag the model with `tags`; keep it only when no other run's trainops tag is on it then."""
    check_written(await client.update_tags(model_id, add=list(tags)), tags, ())
    ours = {t for t in tags if is_trainops_tag(t)}
    now = await client.get_model(model_id)
    if {t for t in now.tags if is_trainops_tag(t)} == ours:
        return True
    gone = sorted(ours)
    check_written(await client.update_tags(model_id, delete=gone), (), gone)
    return False
