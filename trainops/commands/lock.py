"""The apply lock as the commands use it (`trainops.lock`): held around `apply`, removed by hand
with `trainops unlock LOCK_ID` when an apply stopped without releasing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from trainops import pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target
from trainops.commands.handler import err
from trainops.errors import ManifestError
from trainops.lock import Holding, held, holder_of, unlock
from trainops.scenario.client import Scenario


@asynccontextmanager
async def apply_lock(
    client: Scenario,
    load: Callable[[], pipeline.Loaded],
    target: Target,
    *,
    timeout: float,
    poll: float,
) -> AsyncIterator[Holding]:
    """The workspace's apply lock around the block: taken before the live state is read, so
    the plan the block makes and applies is made from what no other apply is changing.
    `load` names the workspace (cache it: the block loads again)."""
    desired, _warnings, _partial = await asyncio.to_thread(load)
    async with held(
        client,
        desired.workspace.name,
        holder=holder_of(target.environ),
        warn=lambda text: err(f"warning: {text}"),
        timeout=timeout,
        poll=poll,
    ) as holding:
        yield holding


def run_unlock(target: Target, lock_id: str) -> int:
    """Remove the apply lock `lock_id` of the workspace holding `target.paths`."""
    workspace = _workspace_name(target)

    async def go() -> None:
        async with target.client() as client:
            lock = await unlock(client, workspace, lock_id)
        err(f"removed the apply lock {lock.id} of {workspace!r}, held by {lock.holder}")

    pipeline.run(go())
    return EXIT_OK


def _workspace_name(target: Target) -> str:
    """The workspace's name from its trainops.yaml alone: a stuck lock can be removed while a
    manifest is broken."""
    from trainops.manifest.workspace import find_root, load_workspace

    root = find_root(Path(target.paths[0]) if target.paths else Path("."), target.cwd)
    workspace, problems = load_workspace(root, target.cwd)
    if any(d.severity == "error" for d in problems):
        raise ManifestError(problems)
    return workspace.name
