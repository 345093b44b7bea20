# ruff: noqa: E501  (snapshots hold whole error lines)
"""`trainops status NAME` against the in-process sandbox: a real training with `samplePrompts` (and
a secret parameter), read back in detail, the whole text and JSON compared; the NAME/PATH rule
and its errors through the CLI."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.sandbox import Clock
from tests.support.workspace import MODEL, RETRY_ONCE, png
from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.commands.status import keys_of, pick_name, read_detail
from trainops.errors import ConfigError, LiveStateError
from trainops.read import read_live
from trainops.render.status_model import (
    ModelDetail,
    SampleView,
    render_model_json,
    render_model_text,
)
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.tags import identity_tag

COMMIT = "0123456789abcdef0123456789abcdef01234567"
PROMPTS = """\
    nbEpochs: 2
    samplePrompts:
      - alpha on a beach
      - alpha in the snow
    wandbKey: {env: WANDB_KEY}
"""
WANDB = "wandb-secret-0123456789"


def write_model(root: Path, key: str, *, steps: int = 100, samples: bool = False) -> None:
    folder = root / key
    (folder / "images").mkdir(parents=True, exist_ok=True)
    text = MODEL.format(key=key, title=key.capitalize(), steps=steps)
    (folder / "model.yaml").write_text(text + (PROMPTS if samples else ""))
    for i in range(5):
        (folder / "images" / f"{key}-{i}.png").write_bytes(png(i))


def _client(app: Starlette) -> Scenario:
    return sandbox_client(Path("unused.db"), app=app, retry=RETRY_ONCE)


async def _apply(root: Path, client: Scenario, clock: Clock) -> None:
    desired, _, _ = pipeline.load([], cwd=root)
    plan = (await pipeline.make_plan(desired, client)).plan
    options = ApplyOptions(commit=COMMIT, clock=clock, environ={"WANDB_KEY": WANDB})
    assert not (await apply_plan(plan, desired, client, options)).failed


async def _detail(root: Path, client: Scenario, key: str) -> ModelDetail:
    desired, _, _ = pipeline.load([], cwd=root)
    live = await read_live(client, desired, full=False)
    return await read_detail(client, desired, live, key)


def _named(d: ModelDetail) -> ModelDetail:
    """`d` with its random ids (model, jobs, epochs, samples) named by position."""
    jobs = tuple(replace(j, id=f"<job-{n}>") for n, j in enumerate(reversed(d.jobs), 1))
    epochs = tuple(
        replace(
            e,
            epoch=f"<epoch-{n}>",
            samples=tuple(
                # A sample's URL names it and is signed (sandbox/samples.py): random too.
                SampleView(f"<sample-{n}.{i}>", _url(s.url, f"{n}.{i}"), s.prompt)
                for i, s in enumerate(e.samples)
            ),
        )
        for n, e in enumerate(d.epochs, 1)
    )
    return replace(d, model_id="<alpha-id>", jobs=tuple(reversed(jobs)), epochs=epochs)


def _url(url: str, n: str) -> str:
    return re.sub(r"samples/[^/?]+\.png\?.*", f"samples/<sample-{n}>.png?<signed>", url)


@synchronous
async def test_status_name_shows_jobs_epochs_samples_and_commit(
    root: Path, sandbox: Starlette, clock: Clock
) -> None:
    write_model(root, "alpha", samples=True)
    async with _client(sandbox) as client:
        await _apply(root, client, clock)
        clock.advance(300)  # trained
        write_model(root, "alpha", steps=200, samples=True)
        await _apply(root, client, clock)  # trains again: two jobs
        clock.advance(300)
        client.requests.clear()
        detail = _named(await _detail(root, client, "alpha"))
        # The listing, the model in full (its epochs), the team's training jobs.
        assert dict(client.requests) == snapshot(
            {"GET /models": 1, "GET /models/{id}": 1, "GET /jobs": 1}
        )
    text = render_model_text(detail)
    assert WANDB not in text
    assert text == snapshot("""\
Model alpha (workspace shop)

  id        <alpha-id>
  type      flux.1-lora
  name      Alpha
  status    trained
  manifest  matches
  commit    0123456789ab

Parameters
  conceptPrompt  "alpha"
  maxTrainSteps  200
  nbEpochs       2
  samplePrompts  ["alpha on a beach", "alpha in the snow"]
  wandbKey       ***

Jobs, newest first
  ID       STATUS   CREDITS  CREATED               UPDATED               ERROR
  <job-2>  success  20       2027-01-15 08:05 UTC  2027-01-15 08:05 UTC  -
  <job-1>  success  15       2027-01-15 08:00 UTC  2027-01-15 08:00 UTC  -

Epochs, oldest first (the selected one is marked *)
  1  <epoch-1>
     alpha on a beach   http://sandbox.invalid/v1/files/samples/<sample-1.0>.png?<signed>
     alpha in the snow  http://sandbox.invalid/v1/files/samples/<sample-1.1>.png?<signed>
* 2  <epoch-2>
     alpha on a beach   http://sandbox.invalid/v1/files/samples/<sample-2.0>.png?<signed>
     alpha in the snow  http://sandbox.invalid/v1/files/samples/<sample-2.1>.png?<signed>
""")
    data = json.loads(render_model_json(detail))
    assert WANDB not in json.dumps(data)
    assert data == snapshot(
        {
            "command": "status",
            "format_version": "1.3",
            "model": {
                "commit": "0123456789ab",
                "epoch": None,
                "epochs": [
                    {
                        "epoch": "<epoch-1>",
                        "samples": [
                            {
                                "asset_id": "<sample-1.0>",
                                "prompt": "alpha on a beach",
                                "url": "http://sandbox.invalid/v1/files/samples/<sample-1.0>.png?<signed>",
                            },
                            {
                                "asset_id": "<sample-1.1>",
                                "prompt": "alpha in the snow",
                                "url": "http://sandbox.invalid/v1/files/samples/<sample-1.1>.png?<signed>",
                            },
                        ],
                        "selected": False,
                    },
                    {
                        "epoch": "<epoch-2>",
                        "samples": [
                            {
                                "asset_id": "<sample-2.0>",
                                "prompt": "alpha on a beach",
                                "url": "http://sandbox.invalid/v1/files/samples/<sample-2.0>.png?<signed>",
                            },
                            {
                                "asset_id": "<sample-2.1>",
                                "prompt": "alpha in the snow",
                                "url": "http://sandbox.invalid/v1/files/samples/<sample-2.1>.png?<signed>",
                            },
                        ],
                        "selected": True,
                    },
                ],
                "jobs": [
                    {
                        "cost": 20.0,
                        "created_at": "2027-01-15T08:05:00Z",
                        "error": None,
                        "id": "<job-2>",
                        "status": "success",
                        "updated_at": "2027-01-15T08:05:07Z",
                    },
                    {
                        "cost": 15.0,
                        "created_at": "2027-01-15T08:00:00Z",
                        "error": None,
                        "id": "<job-1>",
                        "status": "success",
                        "updated_at": "2027-01-15T08:00:07Z",
                    },
                ],
                "key": "alpha",
                "manifest": "matches",
                "model_id": "<alpha-id>",
                "name": "Alpha",
                "parameters": {
                    "conceptPrompt": "alpha",
                    "maxTrainSteps": 200,
                    "nbEpochs": 2,
                    "samplePrompts": ["alpha on a beach", "alpha in the snow"],
                    "wandbKey": "***",
                },
                "status": "trained",
                "type": "flux.1-lora",
            },
            "workspace": "shop",
        }
    )


@synchronous
async def test_a_live_model_with_no_manifest_is_a_name_too(root: Path, sandbox: Starlette) -> None:
    write_model(root, "alpha")
    async with _client(sandbox) as client:
        model = await client.create_model(type="flux.1-lora", name="Retired")
        await client.update_tags(model.id, add=[identity_tag("shop", "retired")])
        desired, _, _ = pipeline.load([], cwd=root)
        live = await read_live(client, desired, full=False)
        keys = keys_of(desired, live)
        assert keys == {"alpha", "retired"}
        assert pick_name(["retired"], keys, root, "shop") == "retired"
        detail = await read_detail(client, desired, live, "retired")
    assert render_model_text(replace(detail, model_id="<retired-id>")) == snapshot("""\
Model retired (workspace shop)

  id        <retired-id>
  type      flux.1-lora
  name      Retired
  status    new
  manifest  no manifest
  commit    -

Jobs: none

Epochs: none (sample images come with `samplePrompts`, Flux LoRA only)
""")


@synchronous
async def test_two_live_models_claiming_the_name_are_an_error(
    root: Path, sandbox: Starlette
) -> None:
    write_model(root, "alpha")
    async with _client(sandbox) as client:
        for _ in range(2):
            model = await client.create_model(type="flux.1-lora", name="Alpha")
            await client.update_tags(model.id, add=[identity_tag("shop", "alpha")])
        desired, _, _ = pipeline.load([], cwd=root)
        live = await read_live(client, desired, full=False)
        with pytest.raises(LiveStateError) as caught:
            await read_detail(client, desired, live, "alpha")
    ids = sorted(m.id for m in live.models if m.recorded.key == "alpha")
    message = str(caught.value).replace(ids[0], "<first>").replace(ids[1], "<second>")
    assert (message, caught.value.hint) == snapshot(
        (
            "models <first> and <second> both claim key 'alpha' of workspace 'shop'",
            "keep one: delete the other model, or remove its tag 'trainops:shop/alpha' (or fix spec.modelId)",
        )
    )


def test_a_name_wins_over_its_directory_and_a_path_is_a_path(root: Path) -> None:
    (root / "alpha").mkdir()
    (root / "notes").mkdir()
    keys = {"alpha", "beta"}
    assert pick_name(["alpha"], keys, root, "shop") == "alpha"
    assert pick_name(["./alpha"], keys, root, "shop") is None
    assert pick_name(["notes"], keys, root, "shop") is None
    assert pick_name(["notes", "models/x.yaml"], keys, root, "shop") is None
    assert pick_name([".", "alpha"], keys, root, "shop") == "alpha"  # the path: where


def test_status_arguments_that_are_not_one_name_or_only_paths(root: Path) -> None:
    (root / "notes").mkdir()
    cases = {
        "near-miss": (["alpah"], {"alpha", "beta"}),
        "no-near-miss": (["qqq"], {"alpha", "beta"}),
        "no-models": (["zeta"], set()),
        "unknown-beside-a-name": (["alpha", "nothing"], {"alpha", "beta"}),
        "several": (["alpha", "beta"], {"alpha", "beta"}),
    }
    errors = {}
    for case, (args, keys) in cases.items():
        with pytest.raises(ConfigError) as caught:
            pick_name(args, keys, root, "shop")
        errors[case] = (str(caught.value), caught.value.hint)
    assert errors == snapshot(
        {
            "near-miss": (
                "'alpah' is neither a model of workspace 'shop' nor a file or directory",
                "did you mean alpha?",
            ),
            "no-near-miss": (
                "'qqq' is neither a model of workspace 'shop' nor a file or directory",
                "its models: alpha, beta",
            ),
            "no-models": (
                "'zeta' is neither a model of workspace 'shop' nor a file or directory",
                "it has no models yet: no manifests, and no live model carries its tag",
            ),
            "unknown-beside-a-name": (
                "'nothing' is neither a model of workspace 'shop' nor a file or directory",
                "its models: alpha, beta",
            ),
            "several": (
                "status shows one model at a time, got 2: 'alpha', 'beta'",
                "run `trainops status alpha`, then the others; `trainops status` shows every model in a table",
            ),
        }
    )


def test_cli_status_name_and_path(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("status", "alpha", "--sandbox") == 0
    assert cli.out == snapshot("""\
Model alpha (workspace shop)

  id        - (not created)
  type      flux.1-lora
  name      Alpha
  status    -
  manifest  not created
  commit    -

Jobs: none

Epochs: none (sample images come with `samplePrompts`, Flux LoRA only)
""")
    assert cli("status", "./alpha", "--sandbox") == 0
    assert cli.out == snapshot("""\
Workspace shop

MODEL  ID  STATUS  LATEST JOB  MANIFEST     COMMIT
alpha  -   -       -           not created  -

1 model: 1 not created.
""")
    assert cli("status", "alpha", "--sandbox", "--format", "json") == 0
    assert json.loads(cli.out) == snapshot(
        {
            "command": "status",
            "format_version": "1.3",
            "model": {
                "commit": None,
                "epoch": None,
                "epochs": [],
                "jobs": [],
                "key": "alpha",
                "manifest": "not-created",
                "model_id": None,
                "name": "Alpha",
                "parameters": {},
                "status": None,
                "type": "flux.1-lora",
            },
            "workspace": "shop",
        }
    )
    write_model(root, "beta")
    cli.cwd = root / "beta" / "images"  # a name is of the whole workspace, from anywhere in it
    assert cli("status", "alpha", "--sandbox", "--format", "json") == 0
    assert json.loads(cli.out)["model"]["manifest"] == "not-created"
    cli.cwd = root
    assert cli("status", "alph", "--sandbox") == 1
    assert cli.err == snapshot("""\
error: 'alph' is neither a model of workspace 'shop' nor a file or directory
hint: did you mean alpha?
""")


def test_cli_status_name_after_a_real_training(trained: Path, cli: Cli) -> None:
    cli.cwd = trained
    assert cli("status", "beta", "--sandbox", "--format", "json") == 0
    model = json.loads(cli.out)["model"]
    (job,) = model["jobs"]
    assert (model["key"], model["status"], model["manifest"], job["status"]) == snapshot(
        ("beta", "trained", "matches", "success")
    )
    assert cli("status", "beta", "--sandbox") == 0
    # Ids are random: each named, the columns as wide as the ids were.
    (epoch,) = model["epochs"]
    text = cli.out.replace(model["model_id"], "<beta-id>").replace(job["id"], "<job>")
    text = text.replace(epoch["epoch"], "<epoch>")
    for stamp in {job["created_at"], job["updated_at"]}:
        text = text.replace(stamp[:16].replace("T", " ") + " UTC", "<date>")
    assert text == snapshot("""\
Model beta (workspace e2e)

  id        <beta-id>
  type      flux.1-lora
  name      Beta
  status    trained
  manifest  matches
  commit    -

Parameters
  conceptPrompt  "beta"
  maxTrainSteps  200

Jobs, newest first
  ID                            STATUS   CREDITS  CREATED               UPDATED               ERROR
  <job>  success  20       <date>  <date>  -

Epochs, oldest first (the selected one is marked *)
* 1  <epoch>
     (no samples)
""")


def test_a_path_beside_a_name_says_where_the_workspace_is(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root.parent  # above the workspace, as the README's quickstart runs it
    assert cli("apply", "--sandbox", "--yes", "--wait", "--poll-interval", "0.05", root.name) == 0
    assert cli("status", "--sandbox", root.name, "alpha") == 0, cli.err
    assert cli.out.startswith("Model alpha (workspace shop)\n")
    # The workspace's own sandbox (its state at the workspace root), not one at the cwd.
    assert "  status    trained\n" in cli.out
    assert cli("status", "--sandbox", root.name, "alpah") == 1
    assert "'alpah' is neither a model of workspace 'shop'" in cli.err
