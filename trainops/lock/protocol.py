"""Taking, holding and releasing the apply lock on its homes (records: `trainops.lock.record`).

Taking it (`held`):
    1. read the homes. A live lock of another apply: wait for it (polling, up to `timeout`),
       else `LockedError` naming its holder. An expired one: removed, with a warning naming
       its holder (that apply stopped without releasing it).
    2. add this apply's lock tag, then read the homes again.
    3. this apply's lock alone: taken. Another's too (both wrote at once): take ours back off,
       wait a random moment, go back to 1.
   "Alone after writing" rather than "the lowest id wins": the API applies each tag update to a
   model as a whole, so for two applies both to read themselves alone, each read would have to
   come before the other's write, which comes before its own read. "Lowest wins" would let an
   apply that came second take a lock the first already holds.
Holding it: the lock's expiry is pushed back every `ttl / 3` (one tag update that adds the new
tag and removes the old), so only an apply that stopped without releasing leaves one that
expires. Releasing it: its tag removed at the end, on an error and on ^C.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from trainops.errors import ApiError, ConfigError, LockedError
from trainops.live import LiveModel
from trainops.lock.record import (
    HOME_TYPE,
    TTL,
    Lock,
    duration,
    home_name,
    home_tag,
    new_lock_id,
    parse_lock,
)
from trainops.scenario.client import Scenario
from trainops.tags import check_written

_CONTENDED_TRIES = 8  # rounds of "both wrote at once" before giving up


# --- the homes ---------------------------------------------------------------------------------


async def find_homes(client: Scenario, workspace: str) -> list[str]:
    """The ids of the workspace's lock homes, oldest first; none when no apply ever ran."""
    tag = home_tag(workspace)
    found = [m for m in await client.list_models() if tag in m.tags]
    return [m.id for m in sorted(found, key=lambda m: (m.created_at or 0.0, m.id))]


async def _homes_or_new(client: Scenario, workspace: str) -> list[str]:
    homes = await find_homes(client, workspace)
    if homes:
        return homes
    home = await client.create_model(
        type=HOME_TYPE,
        name=home_name(workspace),
        short_description="Where trainops keeps the workspace's apply lock. Never trained.",
    )
    tag = home_tag(workspace)
    check_written(await client.update_tags(home.id, add=[tag]), [tag], ())
    # Listed again: another first apply may have made one too, and both must lock on both.
    return await find_homes(client, workspace)


async def _locks_on(client: Scenario, homes: Sequence[str]) -> list[Lock]:
    models: list[LiveModel] = await client.get_models_bulk(homes, all_training_images=False)
    return sorted(
        {lock for m in models for t in m.tags if (lock := parse_lock(t)) is not None},
        key=lambda lock: (lock.expires, lock.id),
    )


async def _write(
    client: Scenario, homes: Sequence[str], add: Lock | None, drop: Lock | None
) -> bool:
    """Add `add` and remove `drop` on every home; False when `drop` was on none of them."""
    added, dropped = [add.tag] if add else [], [drop.tag] if drop else []
    replies = await asyncio.gather(
        *(client.update_tags(h, add=added, delete=dropped) for h in homes)
    )
    for reply in replies:
        check_written(reply, added, dropped)
    return not dropped or any(dropped[0] in r.deleted for r in replies)


# --- taking, holding, releasing ----------------------------------------------------------------


class Holding:
    """The lock an apply holds: its tag now (renewal changes it), and `check`."""

    def __init__(
        self,
        client: Scenario,
        workspace: str,
        homes: Sequence[str],
        lock: Lock,
        clock: Callable[[], float],
    ) -> None:
        self.client, self.workspace, self.homes, self.clock = client, workspace, homes, clock
        self.lock = lock

    @property
    def id(self) -> str:
        return self.lock.id

    @property
    def holder(self) -> str:
        return self.lock.holder

    async def check(self) -> None:
        """`LockedError` unless the lock is still there and live: after the event loop was
        blocked (a confirmation prompt) nothing renewed it, and it may have expired and been
        taken over meanwhile."""
        now = self.clock()
        live = [lock for lock in await _locks_on(self.client, self.homes) if lock.expires > now]
        if self.lock in live:
            return
        others = "; ".join(lock.describe(now) for lock in live if lock.id != self.id)
        raise LockedError(
            f"this apply no longer holds the lock of workspace {self.workspace!r} (lock "
            f"{self.id}): it expired while the apply waited"
            + (f", and another apply holds it now: {others}" if others else ""),
            hint="nothing was changed: run apply again (it plans again from what is live then)",
        )


@asynccontextmanager
async def held(
    client: Scenario,
    workspace: str,
    *,
    holder: str,
    warn: Callable[[str], None],
    timeout: float = 0.0,
    poll: float = 5.0,
    ttl: float = TTL,
    renew_every: float | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Holding]:
    """The workspace's apply lock, held while the block runs and released after it (also on an
    error and on ^C). Another apply's live lock is waited for up to `timeout` seconds, polling
    every `poll`, then `LockedError`; an expired one is taken over with a warning. The lock
    lives `ttl` seconds, renewed every `renew_every` (default: a third of it)."""
    homes = await _homes_or_new(client, workspace)
    waiter = _Waiter(workspace, timeout, poll, warn)
    mine = await _take(client, workspace, homes, holder, warn, waiter, ttl, clock)
    holding = Holding(client, workspace, homes, mine, clock)
    every = ttl / 3 if renew_every is None else renew_every
    renewer = asyncio.create_task(_renew(holding, warn, ttl, every))
    try:
        yield holding
    finally:
        renewer.cancel()
        await asyncio.gather(renewer, return_exceptions=True)
        await _release(client, homes, holding.lock, warn)


async def _take(
    client: Scenario,
    workspace: str,
    homes: Sequence[str],
    holder: str,
    warn: Callable[[str], None],
    waiter: _Waiter,
    ttl: float,
    clock: Callable[[], float],
) -> Lock:
    for attempt in range(_CONTENDED_TRIES):
        while others := await _clear_expired(client, homes, warn, workspace, clock()):
            await waiter.wait(others, clock())
        mine = Lock(id=new_lock_id(), holder=holder, expires=int(clock() + ttl))
        await _write(client, homes, mine, None)
        if [lock for lock in await _locks_on(client, homes) if lock != mine] == []:
            return mine
        # Another apply wrote at the same moment: both step back, and try again apart.
        await _write(client, homes, None, mine)
        await asyncio.sleep(random.uniform(0.05, 0.3) * (attempt + 1))  # noqa: S311 (not crypto)
    raise LockedError(
        f"could not take the apply lock of workspace {workspace!r}: another apply took it at the "
        f"same moment {_CONTENDED_TRIES} times",
        hint="run apply again",
    )


class _Waiter:
    """Waits for other applies' locks up to `timeout` seconds in all, saying so once."""

    def __init__(
        self, workspace: str, timeout: float, poll: float, warn: Callable[[str], None]
    ) -> None:
        self.workspace, self.timeout, self.poll, self.warn = workspace, timeout, poll, warn
        self.deadline = time.monotonic() + timeout
        self.told = False

    async def wait(self, others: Sequence[Lock], now: float) -> None:
        left = self.deadline - time.monotonic()
        shown = "; ".join(o.describe(now) for o in others)
        if left <= 0:
            raise _locked(self.workspace, shown, [o.id for o in others], self.timeout)
        if not self.told:
            self.warn(
                f"waiting up to {duration(self.timeout)} for the apply lock of "
                f"{self.workspace!r}: {shown}"
            )
            self.told = True
        await asyncio.sleep(min(self.poll, left))


async def _clear_expired(
    client: Scenario, homes: Sequence[str], warn: Callable[[str], None], workspace: str, now: float
) -> list[Lock]:
    """The live locks on the homes, after removing the expired ones (with a warning each)."""
    locks = await _locks_on(client, homes)
    for lock in (lock for lock in locks if lock.expires <= now):
        if await _write(client, homes, None, lock):
            warn(
                f"took over the apply lock of {workspace!r} from {lock.describe(now)}: that apply "
                "stopped without releasing it; check what it left with `trainops status`"
            )
    return [lock for lock in locks if lock.expires > now]


def _locked(workspace: str, shown: str, ids: Sequence[str], timeout: float) -> LockedError:
    waited = f" after waiting {duration(timeout)}" if timeout > 0 else ""
    return LockedError(
        f"another apply holds the lock of workspace {workspace!r}{waited}: {shown}",
        hint="let it finish and run apply again, or wait for it with --lock-timeout SECONDS; "
        "if that apply is no longer running, remove its lock: "
        + "; ".join(f"trainops unlock {i}" for i in ids),
    )


async def _renew(holding: Holding, warn: Callable[[str], None], ttl: float, every: float) -> None:
    client, homes = holding.client, holding.homes
    while True:
        await asyncio.sleep(every)
        old = holding.lock
        new = Lock(id=old.id, holder=old.holder, expires=int(holding.clock() + ttl))
        if new == old:  # within the same second: adding and removing one tag would remove it
            continue
        try:
            kept = await _write(client, homes, new, old)
        except ApiError as exc:  # the next round tries again, before the lock expires
            warn(f"could not renew the apply lock {old.id}: {exc.message}")
            continue
        holding.lock = new
        if not kept:
            # Someone removed it (unlock, or a takeover after it expired): adding it back
            # would let two applies hold it. Take the new tag off and say so, once.
            await _release(client, homes, new, warn)
            warn(
                f"the apply lock {old.id} of this apply was removed (`trainops unlock`, or taken "
                "over after it expired): another apply may act on this workspace now"
            )
            return


async def _release(
    client: Scenario, homes: Sequence[str], lock: Lock, warn: Callable[[str], None]
) -> None:
    try:
        await _write(client, homes, None, lock)
    except (ApiError, OSError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        warn(
            f"could not release the apply lock {lock.id} ({message}): the next apply waits for "
            f"it to expire, or run `trainops unlock {lock.id}`"
        )


async def unlock(client: Scenario, workspace: str, lock_id: str) -> Lock:
    """Remove the lock `lock_id` from the workspace's homes, whoever holds it; the lock removed.
    `ConfigError` when no such lock is there (naming those that are)."""
    homes = await find_homes(client, workspace)
    locks = await _locks_on(client, homes) if homes else []
    mine = [lock for lock in locks if lock.id == lock_id]
    if not mine:
        now = time.time()
        there = "; ".join(lock.describe(now) for lock in locks) or "none"
        raise ConfigError(
            f"no apply lock {lock_id!r} on workspace {workspace!r} (locks there: {there})",
            hint="copy the lock id from the message of the apply that was refused",
        )
    for lock in mine:
        await _write(client, homes, None, lock)
    return mine[0]
