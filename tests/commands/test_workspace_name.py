"""A stable workspace identity (issue 14, item 4): against the real API (a served sandbox, no
`--sandbox`), the commands that read or write identity tags refuse to run, before any request,
unless trainops.yaml names the workspace; the directory's name stays a default for --sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.middlemen import Recorder
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import client_for, png

UNNAMED = "apiVersion: trainops/v1\nkind: Workspace\nparallelism: 4\n"
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


def _model(root: Path) -> None:
    (root / "cat" / "images").mkdir(parents=True)
    (root / "cat" / "model.yaml").write_text(MODEL)
    for n in range(5):
        (root / "cat" / "images" / f"cat-{n}.png").write_bytes(png(n))


@pytest.mark.parametrize(
    "argv",
    [("plan",), ("apply", "--yes"), ("status",), ("drift",), ("unlock", "lock_x")],
)
def test_identity_commands_refuse_an_unnamed_workspace_before_any_request(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve, argv: tuple[str, ...]
) -> None:
    (root / "trainops.yaml").write_text(UNNAMED)
    _model(root)
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli(*argv, cwd=root) == 1
    assert "error: trainops.yaml does not name the workspace" in cli.err
    assert "hint: add the line `workspace: shop` to trainops.yaml" in cli.err
    assert "--sandbox only" in cli.err
    assert "Traceback" not in cli.err
    assert recorder.seen == []


def test_without_trainops_yaml_the_hint_is_the_whole_file(
    tmp_path: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    root = tmp_path / "my shop"
    root.mkdir()
    git.Repo.init(root)
    _model(root)
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli("plan", "cat", cwd=root) == 1
    assert "error: trainops.yaml is missing" in cli.err
    assert "create trainops.yaml with these lines:" in cli.err
    assert "    apiVersion: trainops/v1\n    kind: Workspace\n    workspace: my-shop\n" in cli.err
    assert recorder.seen == []


def test_manifest_errors_come_before_the_missing_name(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    (root / "trainops.yaml").write_text(UNNAMED)
    (root / "bad.yaml").write_text("apiVersion: trainops/v1\nkind: Model\nmetadata: {}\n")
    cli.env.update(api_env(serve(sandbox)))
    assert cli("plan", cwd=root) == 1
    assert "bad.yaml:" in cli.err
    assert "does not name the workspace" not in cli.err


def test_a_named_workspace_plans_against_the_api(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    _model(root)  # the fixture's trainops.yaml says `workspace: shop`
    cli.env.update(api_env(serve(sandbox)))
    assert cli("plan", cwd=root) == 0, cli.err
    assert "cat" in cli.out


def test_sandbox_keeps_the_directory_name_as_the_default(root: Path, cli: Cli) -> None:
    (root / "trainops.yaml").write_text(UNNAMED)
    _model(root)
    assert cli("plan", "--sandbox", cwd=root) == 0, cli.err
    assert "does not name the workspace" not in cli.err


def test_import_and_doctor_need_no_name(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    """Neither reads nor writes identity tags: import writes a manifest, the next plan (which
    needs the name) adopts the model."""
    (root / "trainops.yaml").unlink()
    model_id = _hand_made(sandbox, root)
    cli.env.update(api_env(serve(sandbox)))
    assert cli("import", model_id, cwd=root) == 0, cli.err
    assert (root / "hero" / "model.yaml").is_file()
    assert cli("doctor", "--yes", "--format", "json", cwd=root) in (0, 1), cli.err
    assert "does not name the workspace" not in cli.err


def test_a_clone_under_another_name_keeps_its_models(
    tmp_path: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    """The name written down is the identity: a clone under another directory name (or a git
    worktree) plans the same models as unchanged, not as new ones."""
    first = tmp_path / "shop"
    first.mkdir()
    (first / "trainops.yaml").write_text(
        UNNAMED.replace("parallelism", "workspace: shop\nparallelism")
    )
    _model(first)
    repo = git.Repo.init(first)
    repo.index.add(["trainops.yaml", "cat"])
    repo.index.commit("models")
    cli.env.update(api_env(serve(sandbox)))
    assert cli("apply", "--yes", cwd=first) == 0, cli.err
    clone = tmp_path / "shop-review"
    git.Repo.clone_from(first, clone)
    assert cli("plan", "--detailed-exitcode", cwd=clone) == 0, cli.out + cli.err
    shutil.rmtree(clone)


def test_validate_says_how_to_name_the_workspace(root: Path, cli: Cli) -> None:
    (root / "trainops.yaml").write_text(UNNAMED)
    _model(root)
    assert cli("validate", cwd=root) == 0, cli.err
    assert "note: trainops.yaml does not name the workspace: 'shop'" in cli.err
    assert "hint: add the line `workspace: shop` to trainops.yaml" in cli.err
    assert cli("validate", "--format", "json", cwd=root) == 0
    assert json.loads(cli.out)["workspace_named"] is False


def test_validate_is_quiet_about_a_named_workspace(root: Path, cli: Cli) -> None:
    _model(root)
    assert cli("validate", cwd=root) == 0, cli.err
    assert "workspace" not in cli.err
    assert cli("validate", "--format", "json", cwd=root) == 0
    assert json.loads(cli.out)["workspace_named"] is True
