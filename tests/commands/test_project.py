"""trainops.yaml's `projectId` reaches the API on every call a command makes (issue 12, item 10),
and `import` reads the model's original files (`originalAssets=true`)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.middlemen import Recorder
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import client_for, png

WORKSPACE = "apiVersion: trainops/v1\nkind: Workspace\nworkspace: shop\nprojectId: proj_shop\n"
MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: cat
spec:
  type: flux.1-lora
  name: Cat
  trainingImages: [images/*.png]
"""


@synchronous
async def _hand_made(sandbox: Starlette, root: Path) -> str:
    async with client_for(sandbox, root) as client:
        model = await client.create_model(type="flux.1-lora", name="Hero")
        for n in range(5):
            await client.add_training_image(
                model.id, name=f"hero-{n}.png", data=png(n), mime="image/png"
            )
        return model.id


def test_plan_sends_the_workspaces_project_id_on_every_call(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    (root / "trainops.yaml").write_text(WORKSPACE)
    (root / "cat" / "images").mkdir(parents=True)
    (root / "cat" / "model.yaml").write_text(MODEL)
    for n in range(5):
        (root / "cat" / "images" / f"cat-{n}.png").write_bytes(png(n))
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli("plan", cwd=root) == 0, cli.err
    assert cli("apply", "--yes", cwd=root) == 0, cli.err
    assert cli("status", cwd=root) == 0, cli.err
    methods = {method for method, _path, _query in recorder.seen}
    assert methods == {"GET", "POST", "PUT"}  # lists, reads, creates, uploads, tags, trains
    assert all(q.get("projectId") == ["proj_shop"] for _m, _p, q in recorder.seen)


def test_no_project_id_is_sent_when_trainops_yaml_names_none(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli("plan", cwd=root) == 0, cli.err
    assert recorder.seen
    assert not any("projectId" in q for _m, _p, q in recorder.seen)


def test_import_reads_the_original_files_in_the_project(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    (root / "trainops.yaml").write_text(WORKSPACE)
    model_id = _hand_made(sandbox, root)
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli("import", model_id, cwd=root) == 0, cli.err
    reads = [q for method, path, q in recorder.seen if path == f"/v1/models/{model_id}"]
    assert reads == [{"originalAssets": ["true"], "projectId": ["proj_shop"]}]
    assert (root / "hero" / "model.yaml").is_file()
