"""The apply lock (`trainops.lock`) against the in-process sandbox: applies racing for it take
turns, an expired lock is taken over with a warning, a held one is renewed and released."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.locks import locks_on, plant
from tests.support.workspace import client_for
from trainops.errors import ConfigError, LockedError
from trainops.lock import (
    HOLDER_MAX,
    Lock,
    find_homes,
    held,
    holder_of,
    home_tag,
    parse_lock,
    unlock,
)
from trainops.scenario.client import Scenario
from trainops.tags import TAG_PATTERN

WS = "e2e"


async def _locks(client: Scenario) -> list[Lock]:
    return await locks_on(client, WS)


@synchronous
async def test_applies_racing_for_the_lock_take_turns(tmp_path: Path, sandbox: Starlette) -> None:
    inside: list[str] = []
    log: list[str] = []

    async def apply(name: str) -> None:
        async with held(client, WS, holder=name, warn=log.append, timeout=30, poll=0.01):
            inside.append(name)
            assert inside == [name], f"{inside} hold the lock at once"
            await asyncio.sleep(0.02)
            inside.remove(name)
            log.append(f"done {name}")

    async with client_for(sandbox, tmp_path) as client:
        # The first of them creates the lock model: they race for that too.
        await asyncio.gather(*(apply(f"apply-{n}") for n in range(5)))
        assert sorted(x for x in log if x.startswith("done")) == [
            f"done apply-{n}" for n in range(5)
        ]
        assert await _locks(client) == []  # each released its own
        assert 1 <= len(await find_homes(client, WS)) <= 5


@synchronous
async def test_a_held_lock_stops_the_other_apply_naming_its_holder(
    tmp_path: Path, sandbox: Starlette
) -> None:
    async with client_for(sandbox, tmp_path) as client:
        async with held(client, WS, holder="alice@laptop:42", warn=print) as mine:
            with pytest.raises(LockedError) as refused:
                async with held(client, WS, holder="gh:octo/assets/7", warn=print):
                    raise AssertionError("both hold the lock")
        assert refused.value.message == (
            f"another apply holds the lock of workspace 'e2e': alice@laptop:42 (lock {mine.id}, "
            "expires in 10 min unless renewed)"
        )
        assert refused.value.hint == (
            "let it finish and run apply again, or wait for it with --lock-timeout SECONDS; if "
            f"that apply is no longer running, remove its lock: trainops unlock {mine.id}"
        )


@synchronous
async def test_waiting_for_the_lock_says_so_once_then_takes_it(
    tmp_path: Path, sandbox: Starlette
) -> None:
    said: list[str] = []
    async with client_for(sandbox, tmp_path) as client:
        first = held(client, WS, holder="gh:octo/assets/7", warn=said.append)
        mine = await first.__aenter__()

        async def release_soon() -> None:
            await asyncio.sleep(0.1)
            await first.__aexit__(None, None, None)

        async def second() -> Lock:
            async with held(client, WS, holder="b", warn=said.append, timeout=5, poll=0.01) as b:
                return b

        _, theirs = await asyncio.gather(release_soon(), second())
        assert theirs.holder == "b"
        assert said == [
            "waiting up to 5 s for the apply lock of 'e2e': gh:octo/assets/7 "
            f"(https://github.com/octo/assets/actions/runs/7) (lock {mine.id}, expires in 10 "
            "min unless renewed)"
        ]


@synchronous
async def test_waiting_ends_at_the_timeout(tmp_path: Path, sandbox: Starlette) -> None:
    async with (
        client_for(sandbox, tmp_path) as client,
        held(client, WS, holder="a", warn=print),
    ):
        start = time.monotonic()
        with pytest.raises(LockedError, match=r"after waiting 0\.2 s: a "):
            async with held(client, WS, holder="b", warn=print, timeout=0.2, poll=0.05):
                pass
        assert 0.2 <= time.monotonic() - start < 2


@synchronous
async def test_an_expired_lock_is_taken_over_with_a_warning_naming_its_holder(
    tmp_path: Path, sandbox: Starlette
) -> None:
    said: list[str] = []
    dead = Lock(id="zzzzzz", holder="bob@ci-runner:77", expires=int(time.time()) - 300)
    async with client_for(sandbox, tmp_path) as client:
        await plant(client, WS, dead)
        async with held(client, WS, holder="a", warn=said.append) as mine:
            assert await _locks(client) == [mine.lock]
        assert said == [
            "took over the apply lock of 'e2e' from bob@ci-runner:77 (lock zzzzzz, expired 5 "
            "min ago): that apply stopped without releasing it; check what it left with "
            "`trainops status`"
        ]


@synchronous
async def test_a_held_lock_is_renewed_so_it_never_expires_under_its_apply(
    tmp_path: Path, sandbox: Starlette
) -> None:
    now = [time.time()]
    async with client_for(sandbox, tmp_path) as client:
        async with held(
            client, WS, holder="a", warn=print, ttl=60, renew_every=0.02, clock=lambda: now[0]
        ) as mine:
            now[0] += 3600  # an hour later: long past the first expiry
            await asyncio.sleep(0.2)
            (renewed,) = await _locks(client)
            assert (renewed.id, renewed.expires) == (mine.id, int(now[0] + 60))
            with pytest.raises(LockedError):
                async with held(client, WS, holder="b", warn=print, clock=lambda: now[0]):
                    pass
        assert await _locks(client) == []


@synchronous
async def test_a_lock_removed_under_its_apply_is_reported(
    tmp_path: Path, sandbox: Starlette
) -> None:
    said: list[str] = []
    seconds = itertools.count(int(time.time()))  # a clock each renewal finds a second later
    async with (
        client_for(sandbox, tmp_path) as client,
        held(
            client,
            WS,
            holder="a",
            warn=said.append,
            renew_every=0.02,
            clock=lambda: next(seconds),
        ) as mine,
    ):
        assert (await unlock(client, WS, mine.id)).holder == "a"
        await asyncio.sleep(0.1)
        assert await _locks(client) == []  # not written back by a renewal
    assert said == [
        f"the apply lock {mine.id} of this apply was removed (`trainops unlock`, or taken over "
        "after it expired): another apply may act on this workspace now"
    ]


@synchronous
async def test_the_lock_is_released_when_its_block_fails(
    tmp_path: Path, sandbox: Starlette
) -> None:
    async with client_for(sandbox, tmp_path) as client:
        with pytest.raises(RuntimeError):
            async with held(client, WS, holder="a", warn=print):
                raise RuntimeError("boom")
        assert await _locks(client) == []
        async with held(client, WS, holder="b", warn=print) as again:
            assert again.holder == "b"


@synchronous
async def test_unlock_names_the_locks_there_when_the_id_is_not_one(
    tmp_path: Path, sandbox: Starlette
) -> None:
    async with (
        client_for(sandbox, tmp_path) as client,
        held(client, WS, holder="a", warn=print) as mine,
    ):
        with pytest.raises(ConfigError) as caught:
            await unlock(client, WS, "nosuch")
        assert caught.value.message == (
            f"no apply lock 'nosuch' on workspace 'e2e' (locks there: a (lock {mine.id}, "
            "expires in 10 min unless renewed))"
        )


@synchronous
async def test_the_lock_model_is_empty_never_trained_and_tagged_for_its_workspace(
    tmp_path: Path, sandbox: Starlette
) -> None:
    async with client_for(sandbox, tmp_path) as client:
        async with held(client, WS, holder="a", warn=print):
            pass
        (home,) = [await client.get_model(h) for h in await find_homes(client, WS)]
        assert (home.name, home.status, home.images_count, home.tags) == (
            "trainops apply lock (e2e)",
            "new",
            0,
            (home_tag(WS),),
        )
        assert await client.list_jobs() == []


def test_the_holder_names_the_github_run_or_the_user_and_fits_a_tag() -> None:
    gh = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "Octo/Assets", "GITHUB_RUN_ID": "123"}
    assert holder_of(gh) == "gh:octo/assets/123"
    long = holder_of({**gh, "GITHUB_REPOSITORY": "an-organisation/" + "r" * 60})
    assert (long[:5], long[-4:], len(long)) == ("gh:..", "/123", HOLDER_MAX)
    assert holder_of({"TRAINOPS_LOCK_HOLDER": "Release Bot #2"}) == "release-bot-2"
    local = holder_of({})
    assert re.fullmatch(r"[^@]+@[^:]+:\d+", local)
    for holder in (holder_of(gh), long, local, "x" * HOLDER_MAX):
        tag = Lock(id="abcdef", holder=holder, expires=9_999_999_999).tag
        assert TAG_PATTERN.match(tag), tag
        assert parse_lock(tag) == Lock(id="abcdef", holder=holder, expires=9_999_999_999)
