"""This workspace's price probes as a list, and their removal (`trainops probes clean`).

A price probe (`trainops.pricing`) is an empty model, named `trainops price probe (<type>)` and
tagged `trainops-probe:<workspace>`, that plans dry-run new models on. It costs nothing, but it
is a model in the team's list, so the user can see them (`trainops status`) and remove them. A
model is removed only when it is, on a fresh read, this workspace's probe: its tag (the tag
protocol's definition, `trainops.tags`), and still empty and never trained. Anything else is
left alone and said so: another workspace's probe, an untagged one (possibly another
workspace's, its create cut off before its tag: see `trainops.leaks`), or a "probe" someone
trained or gave files to.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from trainops.errors import ApiError
from trainops.live import LiveModel
from trainops.scenario.client import Scenario
from trainops.tags import probe_tag


def is_own_probe(m: LiveModel, workspace: str) -> bool:
    """Tagged as this workspace's probe, as plans find it (`trainops.read`): the tag, not the
    name, makes a probe (a rename in the web app changes nothing)."""
    return probe_tag(workspace) in m.tags


def still_empty(m: LiveModel) -> bool:
    return m.status == "new" and not m.images_count and m.job_id is None


@dataclass(frozen=True)
class Cleaned:
    deleted: tuple[LiveModel, ...]
    kept: tuple[tuple[LiveModel, str], ...]  # (model, why it was left alone)


async def own_probes(client: Scenario, workspace: str) -> tuple[LiveModel, ...]:
    """Every model tagged as this workspace's price probe (oldest first)."""
    listing = await client.list_models()
    found = (m for m in listing if probe_tag(workspace) in m.tags)
    return tuple(sorted(found, key=lambda m: (m.created_at or 0.0, m.id)))


async def clean_probes(client: Scenario, workspace: str) -> Cleaned:
    """Delete this workspace's price probes, each checked again just before its deletion."""

    async def one(listed: LiveModel) -> tuple[LiveModel, str | None]:
        try:
            m = await client.get_model(listed.id)
        except ApiError as exc:
            if exc.status == 404:
                return listed, "gone already"
            raise
        if not is_own_probe(m, workspace):
            return m, "no longer tagged as this workspace's price probe"
        if not still_empty(m):
            return m, f"not empty ({m.status}, {m.images_count} file(s)): not a probe any more"
        await client.delete_model(m.id)
        return m, None

    done = await asyncio.gather(*(one(m) for m in await own_probes(client, workspace)))
    return Cleaned(
        deleted=tuple(m for m, why in done if why is None),
        kept=tuple((m, why) for m, why in done if why is not None),
    )
