"""Issue 14 item 6: a model trained outside trainops, imported, plans as `update` (record its
fingerprint), never `train`: its plain-named files are matched by content, downloaded once and
cached by asset id. Through the CLI against a served sandbox, counting at the server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.middlemen import Recorder
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import app_for, client_for, jobs, png

PARAMS = {"conceptPrompt": "hero", "maxTrainSteps": 400}


@synchronous
async def _trained_by_hand(root: Path, app: Starlette, name: str = "Hero") -> str:
    """A model made and trained in the web app: plain file names, no trainops tag."""
    async with client_for(app, root) as client:
        model = await client.create_model(type="flux.1-lora", name=name)
        for n in range(5):
            await client.add_training_image(
                model.id,
                name=f"{name} {n}.png",
                data=png(n + 5 * (ord(name[0]) % 40)),
                mime="image/png",
            )
        await client.update_model(model.id, parameters=PARAMS)
        await client.train(model.id, PARAMS)
        for _ in range(500):
            if (await client.get_model(model.id)).status == "trained":
                return model.id
            await asyncio.sleep(0.01)
    raise AssertionError("the hand-made training did not finish")


def _downloads(recorder: Recorder) -> int:
    return sum(1 for method, path, _ in recorder.seen if method == "GET" and "/files/" in path)


def test_import_then_plan_trains_nothing_and_downloads_once(
    root: Path, cli: Cli, serve: Serve
) -> None:
    app = app_for(root, speed=1000.0)
    recorder = Recorder(app)
    cli.cwd = root
    cli.env.update(api_env(serve(recorder)))
    model_id = _trained_by_hand(root, app)
    before = jobs(root)
    assert cli("import", model_id) == 0, cli.err
    imported = _downloads(recorder)
    assert imported == 5

    assert cli("plan", "--format", "json") == 0, cli.err
    (entry,) = json.loads(cli.out)["models"]
    assert (entry["action"], entry["will_train"]) == ("update", False)
    assert "do not train again" in entry["reasons"][0]
    assert _downloads(recorder) == imported + 5  # hashed once, by asset id

    assert cli("plan", "--format", "json") == 0, cli.err
    assert _downloads(recorder) == imported + 5  # the cache: nothing downloaded again
    assert (root / ".trainops" / "asset-hashes.json").is_file()

    assert cli("apply", "--yes") == 0, cli.err
    assert cli("plan", "--detailed-exitcode") == 0, cli.out
    assert jobs(root) == before  # no training at the server
    assert "No changes" in cli.out


def test_an_imported_model_whose_files_changed_still_trains(
    root: Path, cli: Cli, serve: Serve
) -> None:
    app = app_for(root, speed=1000.0)
    cli.cwd = root
    cli.env.update(api_env(serve(app)))
    model_id = _trained_by_hand(root, app)
    assert cli("import", model_id) == 0, cli.err
    (root / "hero" / "images" / "Hero 0.png").write_bytes(png(99))
    assert cli("plan", "--format", "json") == 0, cli.err
    (entry,) = json.loads(cli.out)["models"]
    assert entry["action"] == "train"


@synchronous
async def _tag(root: Path, app: Starlette, model_id: str, *tags: str) -> None:
    async with client_for(app, root) as client:
        await client.update_tags(model_id, add=list(tags))


def test_import_by_tag_adopts_many_one_directory_each_and_none_trains(
    root: Path, cli: Cli, serve: Serve
) -> None:
    app = app_for(root, speed=1000.0)
    cli.cwd = root
    cli.env.update(api_env(serve(app)))
    hero, villain, other = (_trained_by_hand(root, app, n) for n in ("Hero", "Villain", "Tree"))
    for model_id in (hero, villain):
        _tag(root, app, model_id, "cast")
    _tag(root, app, other, "props")
    before = jobs(root)
    assert cli("import", "--tag", "cast", "--dir", "models") == 0, cli.err
    assert cli.out.splitlines() == [
        "wrote models/hero/model.yaml (hero) and 5 training file(s)",
        "wrote models/villain/model.yaml (villain) and 5 training file(s)",
        "imported 2 model(s)",
    ]
    assert not (root / "models" / "tree").exists()
    # Again: both are adopted now, so nothing is imported twice.
    assert cli("import", "--tag", "cast", "--dir", "models") == 0, cli.err
    assert cli.out.splitlines() == ["imported 0 model(s), skipped 2"]
    assert "a manifest of this workspace already adopts it" in cli.err

    assert cli("import", "--all", "--dir", "models") == 0, cli.err
    assert cli.out.splitlines()[0] == "wrote models/tree/model.yaml (tree) and 5 training file(s)"
    assert cli("apply", "--yes") == 0, cli.err
    assert jobs(root) == before


def test_import_needs_a_model_id_a_tag_or_all(root: Path, cli: Cli) -> None:
    cli.cwd = root
    assert cli("import", "--sandbox") == 1
    assert "import needs a MODEL_ID, --tag TAG or --all" in cli.err
    assert cli("import", "model_x", "--all", "--sandbox") == 1
    assert "do not go with --tag or --all" in cli.err
