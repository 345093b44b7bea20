"""The apply lock as a test sees it (`trainops.lock`): the locks on a workspace's lock model, and
a lock another apply left there, written as that apply would have written it."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.workspace import app_for, client_for
from trainops.lock import Lock, find_homes, held, parse_lock
from trainops.scenario.client import Scenario


async def locks_on(client: Scenario, workspace: str) -> list[Lock]:
    homes = await find_homes(client, workspace)
    models = await client.get_models_bulk(homes, all_training_images=False) if homes else []
    return [lock for m in models for t in m.tags if (lock := parse_lock(t)) is not None]


async def plant(client: Scenario, workspace: str, lock: Lock) -> None:
    """`lock` on the workspace's lock model (made first, as an apply makes it)."""
    async with held(client, workspace, holder="setup", warn=lambda _: None):
        pass
    for home in await find_homes(client, workspace):
        await client.update_tags(home, add=[lock.tag])


@synchronous
async def locks_in(root: Path, workspace: str, app: Starlette | None = None) -> list[Lock]:
    """The locks in the workspace's `--sandbox` state (or on `app`)."""
    async with client_for(app or app_for(root), root) as client:
        return await locks_on(client, workspace)


@synchronous
async def plant_in(root: Path, workspace: str, lock: Lock) -> None:
    async with client_for(app_for(root), root) as client:
        await plant(client, workspace, lock)


@synchronous
async def home_in(root: Path, workspace: str) -> None:
    """The workspace's lock model, made as the first apply makes it, and no lock on it: a test
    can then fault a model's create without hitting the lock's."""
    async with (
        client_for(app_for(root), root) as client,
        held(client, workspace, holder="setup", warn=lambda _: None),
    ):
        pass
