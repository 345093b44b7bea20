"""`trainops status` against the in-process sandbox: models applied for real, a clock moved by hand
so a training is caught half-way, and the whole rendered output compared."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.sandbox import Clock
from tests.support.workspace import MODEL, RETRY_ONCE, png
from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.commands.status import read_status
from trainops.render.status import Report, build_report, render_status_json, render_status_text
from trainops.sandbox import Limits
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.scenario.parse import parse_job, parse_model
from trainops.tags import identity_tag

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def write_model(root: Path, key: str, shade: int, steps: int = 100) -> Path:
    folder = root / key
    (folder / "images").mkdir(parents=True, exist_ok=True)
    manifest = folder / "model.yaml"
    manifest.write_text(MODEL.format(key=key, title=key.capitalize(), steps=steps))
    for i in range(5):
        (folder / "images" / f"{key}-{i}.png").write_bytes(png(shade + i))
    return manifest


def _client(app: Starlette) -> Scenario:
    return sandbox_client(Path("unused.db"), app=app, retry=RETRY_ONCE)


async def _apply(root: Path, client: Scenario, clock: Clock) -> None:
    desired, _, _ = pipeline.load([], cwd=root)
    plan = (await pipeline.make_plan(desired, client)).plan
    options = ApplyOptions(commit=COMMIT, clock=clock)
    outcome = await apply_plan(plan, desired, client, options)
    assert not outcome.failed


async def _status(root: Path, client: Scenario) -> Report:
    desired, _, _ = pipeline.load([], cwd=root)
    return await read_status(client, desired)


@synchronous
async def test_status_of_every_kind_of_model(root: Path, sandbox: Starlette, clock: Clock) -> None:
    # All four train at once: a team allowing more than the sandbox's default of 2.
    sandbox.state.sandbox.limits = Limits(max_parallel_trainings=4)
    async with _client(sandbox) as client:
        for n, key in enumerate(("alpha", "beta", "gamma", "retired")):
            write_model(root, key, shade=10 * n)
        await _apply(root, client, clock)
        clock.advance(300)  # every training done
        write_model(root, "gamma", shade=20, steps=300)
        await _apply(root, client, clock)  # gamma trains again
        clock.advance(5)  # gamma half-way
        write_model(root, "beta", shade=10, steps=200)  # changed, not applied
        write_model(root, "delta", shade=40)  # never applied
        (root / "retired" / "model.yaml").unlink()  # its live model is an orphan now
        client.requests.clear()
        report = await _status(root, client)
    # Ids are random: name them after the key so the whole text can be compared.
    rows = tuple(replace(r, model_id=r.model_id and f"<{r.key}-id>") for r in report.rows)
    probes = tuple((t, "<probe-id>") for t, _ in report.probes)
    assert render_status_text(replace(report, rows=rows, probes=probes)) == snapshot("""\
Workspace shop

MODEL    ID            STATUS    LATEST JOB                   MANIFEST     COMMIT
alpha    <alpha-id>    trained   -                            matches      0123456789ab
beta     <beta-id>     trained   -                            differs      0123456789ab
delta    -             -         -                            not created  -
gamma    <gamma-id>    training  in-progress 67% <1 min left  matches      0123456789ab
retired  <retired-id>  trained   -                            no manifest  0123456789ab

5 models: 1 not created, 3 trained, 1 training.
1 trained on other inputs than the manifests declare now: run `trainops plan` to see what changed.

Price probes (empty models plans dry-run new models on; `trainops probes clean` removes them):
  <probe-id>  flux.1-lora
""")
    # The cheap read: the listing, and the job of the one model that is training.
    assert dict(client.requests) == snapshot({"GET /models": 1, "GET /jobs/{id}": 1})


@synchronous
async def test_status_shows_what_a_plan_refuses(root: Path, sandbox: Starlette) -> None:
    # A plan stops at two models claiming one key and at an adopted id that does not exist
    # (see tests/test_read.py): status reads the same listing and shows both as they are.
    write_model(root, "alpha", shade=0)
    beta = write_model(root, "beta", shade=10)
    beta.write_text(beta.read_text().replace("spec:\n", "spec:\n  modelId: model_nope\n"))
    async with _client(sandbox) as client:
        created = {}
        for name in ("<first>", "<second>"):
            model = await client.create_model(type="flux.1-lora", name="Alpha")
            await client.update_tags(model.id, add=[identity_tag("shop", "alpha")])
            created[model.id] = name
        client.requests.clear()
        report = await _status(root, client)
    rows = sorted(
        (replace(r, model_id=created.get(r.model_id or "", r.model_id)) for r in report.rows),
        key=lambda r: (r.key or "", r.model_id or ""),
    )
    assert render_status_text(replace(report, rows=tuple(rows))) == snapshot("""\
Workspace shop

MODEL  ID          STATUS  LATEST JOB  MANIFEST      COMMIT
alpha  <first>     new     -           not recorded  -
alpha  <second>    new     -           not recorded  -
beta   model_nope  -       -           not created   -

3 models: 2 new, 1 not created.
""")
    assert dict(client.requests) == snapshot({"GET /models": 1, "GET /models/{id}": 1})


@synchronous
async def test_status_json_is_versioned_and_names_every_state(
    root: Path, sandbox: Starlette, clock: Clock
) -> None:
    async with _client(sandbox) as client:
        write_model(root, "alpha", shade=0)
        await _apply(root, client, clock)
        clock.advance(4)  # training, a third done
        write_model(root, "beta", shade=10)
        data = json.loads(render_status_json(await _status(root, client)))
    for m in data["models"]:
        m["model_id"] = m["model_id"] and "<id>"
        if m["job"]:
            m["job"]["id"] = "<job>"
    for p in data["probes"]:
        p["model_id"] = "<probe-id>"
    assert data == snapshot(
        {
            "command": "status",
            "format_version": "1.3",
            "models": [
                {
                    "commit": "0123456789ab",
                    "job": {
                        "error": None,
                        "id": "<job>",
                        "progress": 0.3333333333333333,
                        "remaining_seconds": 3,
                        "status": "in-progress",
                    },
                    "key": "alpha",
                    "manifest": "matches",
                    "model_id": "<id>",
                    "name": "Alpha",
                    "status": "training",
                },
                {
                    "commit": None,
                    "job": None,
                    "key": "beta",
                    "manifest": "not-created",
                    "model_id": None,
                    "name": "Beta",
                    "status": None,
                },
            ],
            "probes": [{"model_id": "<probe-id>", "type": "flux.1-lora"}],
            "summary": {"by_status": {"not-created": 1, "training": 1}, "changed": 0, "models": 2},
            "workspace": "shop",
        }
    )


def test_status_of_an_empty_workspace_says_so(root: Path) -> None:
    report = Report(workspace="shop", rows=())
    assert render_status_text(report) == snapshot(
        "Workspace shop has no models: no manifests and no live model carries its tag.\n"
    )


def test_cli_status_reads_the_sandbox_state_file(root: Path, cli: Cli) -> None:
    write_model(root, "alpha", shade=0)
    cli.cwd = root
    assert cli("status", "--sandbox") == 0
    assert cli.out == snapshot("""\
Workspace shop

MODEL  ID  STATUS  LATEST JOB  MANIFEST     COMMIT
alpha  -   -       -           not created  -

1 model: 1 not created.
""")
    assert cli("status", "--sandbox", "--format", "json") == 0
    assert json.loads(cli.out)["summary"] == snapshot(
        {"by_status": {"not-created": 1}, "changed": 0, "models": 1}
    )


def test_a_failed_training_shows_its_error_on_one_line(root: Path) -> None:
    write_model(root, "alpha", shade=0)
    desired, _, _ = pipeline.load([], cwd=root)
    job = {
        "jobId": "job_1",
        "status": "failure",
        "progress": 0.4,
        "metadata": {"error": "dataset rejected:\nimage 3 is blank\x1b[31m"},
    }
    raw = {
        "id": "model_1",
        "type": "flux.1-lora",
        "status": "failed",
        "tags": ["trainops:shop/alpha", "trainops-fp:" + "0" * 32],
        "jobId": "job_1",
    }
    live = replace(parse_model(raw, complete=False), job=parse_job(job))
    report = build_report("shop", desired.models, [live])
    assert render_status_text(report) == snapshot("""\
Workspace shop

MODEL  ID       STATUS  LATEST JOB                                       MANIFEST  COMMIT
alpha  model_1  failed  failure: dataset rejected: image 3 is blank[31m  differs   -

1 model: 1 failed.
1 trained on other inputs than the manifests declare now: run `trainops plan` to see what changed.
""")
