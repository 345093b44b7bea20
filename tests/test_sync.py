"""Issue 12, item 1: apply sends each training file the way Scenario documents. Images whose data
URL fits in 6 MB go inline; larger images and every audio sample go through the multipart upload
flow and are attached by asset id. Against the sandbox, which refuses the rest as the API does."""

from __future__ import annotations

import shutil
from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.paths import EXAMPLES
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import (
    app_for,
    big_png,
    client_for,
    commit,
    make_workspace,
    managed_models,
    plan,
    plan_and_apply,
    results,
)
from trainops.watch import wait_for_trainings

ADD = "POST /models/{id}/training-images"


def workspace(tmp_path: Path) -> Path:
    """alpha: 5 small images; beta: 4 small and one of 7 MB; narrator-voice: 3 audio samples."""
    root = make_workspace(tmp_path / "ws")
    (root / "beta" / "images" / "beta-5.png").write_bytes(big_png(5, 7_000_000))
    shutil.copytree(EXAMPLES / "narrator-voice", root / "narrator-voice")
    commit(root, "a large image and a voice model")
    return root


@synchronous
async def test_small_images_go_inline_and_the_rest_multipart(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    app = app_for(root)
    async with client_for(app, root) as client:
        outcome = await plan_and_apply(root, client)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        assert results(outcome) == {"alpha": "done", "beta": "done", "narrator-voice": "done"}
        # 9 data URLs; one upload each for the large image and the 3 samples, attached by
        # asset ids in one call per model.
        assert client.requests["POST /uploads"] == 4
        assert client.requests[ADD] == 9 + 2
        models = {m.name: m for m in await managed_models(client)}
        assert {name: m.images_count for name, m in models.items()} == {
            "Alpha": 5,
            "Beta": 5,
            "Narrator": 3,
        }
    await _up_to_date(app, root)


async def _up_to_date(app: Starlette, root: Path) -> None:
    """The uploaded files are known by their content-addressed names: nothing to do again."""
    async with client_for(app, root) as client:
        _, again = await plan(root, client)
        assert {m.key: m.action for m in again.models} == {
            "alpha": "none",
            "beta": "none",
            "narrator-voice": "none",
        }
        await plan_and_apply(root, client)
        assert client.requests["POST /uploads"] == 0
        assert client.requests[ADD] == 0


def test_the_voice_example_applies_through_the_cli(tmp_path: Path, cli: Cli, serve: Serve) -> None:
    root = workspace(tmp_path)
    cli.cwd = root
    cli.env.update(api_env(serve(app_for(root, speed=1000.0))))  # over real HTTP
    assert cli("apply", "--yes", "--wait", "--poll-interval", "0.05") == 0
    assert "narrator-voice: create done — trained" in cli.out
    assert "beta: create done — trained" in cli.out
    assert cli("plan", "--detailed-exitcode") == 0
