"""A managed model is found by the exact identity tag of its workspace and key: a second
`trainops:` tag (another workspace's, or one added by hand) never hides it, and two identity
tags of one workspace on a model, or two records of one kind, are an error naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.leaks import trained
from tests.support.workspace import (
    actions,
    app_for,
    client_for,
    jobs_by_model,
    plan,
    plan_and_apply,
    results,
)
from trainops import pipeline
from trainops.errors import LiveStateError
from trainops.read import read_live
from trainops.scenario.client import Scenario
from trainops.tags import fingerprint_tag, pending_tag


async def _ids(ws: Path, client: Scenario) -> dict[str, str]:
    _, the_plan = await plan(ws, client)
    return {m.key: str(m.model_id) for m in the_plan.models}


@pytest.mark.parametrize("tag", ["trainops:other/notes", "trainops:zzz/alpha", "trainops:e2f/x"])
@synchronous
async def test_a_tag_of_another_workspace_never_hides_the_model(ws: Path, tag: str) -> None:
    async with client_for(app_for(ws), ws) as client:
        await trained(ws, client)
        alpha = (await _ids(ws, client))["alpha"]
        await client.update_tags(alpha, add=[tag])
        _, again = await plan(ws, client)
        assert actions(again) == {"alpha": "none", "beta": "none"}
        assert results(await plan_and_apply(ws, client)) == {"alpha": "skipped", "beta": "skipped"}
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}
        assert tag in (await client.get_model(alpha)).tags  # not this workspace's business


@synchronous
async def test_two_identity_tags_of_this_workspace_on_one_model_are_an_error(ws: Path) -> None:
    async with client_for(app_for(ws), ws) as client:
        await trained(ws, client)
        alpha = (await _ids(ws, client))["alpha"]
        await client.update_tags(alpha, add=["trainops:e2e/notes"])
        with pytest.raises(LiveStateError) as exc:
            await plan(ws, client)
    assert exc.value.message == (
        f"model {alpha} carries two identity tags of workspace 'e2e': "
        "'trainops:e2e/alpha' and 'trainops:e2e/notes'"
    )
    assert exc.value.hint == (
        "remove the tag of the key that must not manage it (`trainops:e2e/<key>`); "
        "a model belongs to one manifest"
    )


@synchronous
async def test_two_fingerprint_tags_on_one_model_are_an_error_not_a_pick(ws: Path) -> None:
    async with client_for(app_for(ws), ws) as client:
        await trained(ws, client)
        alpha = (await _ids(ws, client))["alpha"]
        other = fingerprint_tag("f" * 64)
        await client.update_tags(alpha, add=[other])
        recorded = [t for t in (await client.get_model(alpha)).tags if t.startswith("trainops-fp:")]
        with pytest.raises(LiveStateError) as exc:
            await plan(ws, client)
    assert exc.value.message == (
        f"model {alpha} carries two trainops-fp tags: "
        + " and ".join(repr(t) for t in sorted(recorded))
    )
    assert exc.value.hint == (
        "trainops cannot tell which inputs it was trained on: remove the tag that does not "
        "match its last training, or both to train it again on the declared inputs"
    )


@synchronous
async def test_two_pending_tags_on_one_model_are_an_error_not_a_pick(ws: Path) -> None:
    async with client_for(app_for(ws), ws) as client:
        await trained(ws, client)
        alpha = (await _ids(ws, client))["alpha"]
        first, second = pending_tag("a" * 64, 100), pending_tag("b" * 64, 200)
        await client.update_tags(alpha, add=[first, second])
        with pytest.raises(LiveStateError) as exc:
            await plan(ws, client)
    assert exc.value.message == (
        f"model {alpha} carries two trainops-pending tags: {first!r} and {second!r}"
    )


@synchronous
async def test_status_reads_a_model_with_two_identities_without_refusing_it(ws: Path) -> None:
    async with client_for(app_for(ws), ws) as client:
        await trained(ws, client)
        alpha = (await _ids(ws, client))["alpha"]
        await client.update_tags(alpha, add=["trainops:e2e/notes", "trainops:other/alpha"])
        desired, _warnings, _partial = pipeline.load([], cwd=ws)
        live = await read_live(client, desired, full=False)
    seen = {m.id: (m.recorded.workspace, m.recorded.key) for m in live.models}
    assert seen[alpha] == (None, None)  # which key it has here cannot be told
    assert sorted(k for _, k in seen.values() if k) == ["beta"]
