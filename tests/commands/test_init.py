"""`trainops init`: a workspace that validates at once, files kept unless --force, the workflow
shipped in the package and moved to where the workspace is in its repository."""

from __future__ import annotations

from pathlib import Path

import git
import yaml

from tests.support.cli import Cli
from tests.support.paths import REPO
from tests.support.workspace import png
from trainops.commands.init import workflow_for

WORKFLOW = REPO / "examples" / ".github" / "workflows" / "trainops.yml"


def test_a_new_workspace_validates_and_its_example_is_a_valid_manifest(
    tmp_path: Path, cli: Cli
) -> None:
    assert cli("init", "shop", cwd=tmp_path) == 0, cli.err
    root = tmp_path / "shop"
    assert cli.out.splitlines()[:3] == [
        "wrote shop/trainops.yaml",
        "wrote shop/.gitignore",
        "wrote shop/models/example/model.yaml.example",
    ]
    settings = yaml.safe_load((root / "trainops.yaml").read_text())
    assert settings == {"apiVersion": "trainops/v1", "kind": "Workspace", "workspace": "shop"}
    assert (root / ".gitignore").read_text() == ".trainops/\n"

    assert cli("validate", cwd=root) == 0, cli.err
    assert cli.err == ""  # no warning, no note: the workspace is named
    assert cli.out == "ok: 0 models valid in workspace shop\n"

    example = root / "models" / "example"
    for i in range(5):
        (example / "images" / f"e{i}.png").write_bytes(png(40 * i))
    (example / "model.yaml.example").rename(example / "model.yaml")
    assert cli("validate", cwd=root) == 0, cli.err
    assert cli.out == "ok: 1 model valid in workspace shop\n"


def test_existing_files_are_kept_unless_forced(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "trainops.yaml").write_text("mine\n")
    (tmp_path / ".gitignore").write_text("*.pyc")  # no newline at its end
    assert cli("init", "--workspace", "art", cwd=tmp_path) == 0, cli.err
    assert "kept trainops.yaml: it exists (--force overwrites it)" in cli.out
    assert (tmp_path / "trainops.yaml").read_text() == "mine\n"
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.trainops/\n"

    assert cli("init", "--workspace", "art", cwd=tmp_path) == 0, cli.err
    assert "kept .gitignore: it ignores .trainops/ already" in cli.out
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.trainops/\n"  # idempotent

    assert cli("init", "--workspace", "art", "--force", cwd=tmp_path) == 0, cli.err
    assert "overwrote trainops.yaml" in cli.out
    assert "workspace: art" in (tmp_path / "trainops.yaml").read_text()


def test_a_workspace_name_trainops_yaml_refuses_is_refused(tmp_path: Path, cli: Cli) -> None:
    assert cli("init", "--workspace", "my shop", cwd=tmp_path) == 1
    assert "--workspace 'my shop'" in cli.err
    assert "--workspace my-shop" in cli.err
    assert not (tmp_path / "trainops.yaml").exists()


def test_in_a_repository_the_name_and_the_workflow_follow_the_workspace(
    tmp_path: Path, cli: Cli
) -> None:
    top = tmp_path / "studio"
    git.Repo.init(top)
    assert cli("init", "--workflow", cwd=top) == 0, cli.err
    assert "workspace: studio" in (top / "trainops.yaml").read_text()
    flow = top / ".github" / "workflows" / "trainops.yml"
    assert flow.read_text() == WORKFLOW.read_text()

    flow.unlink()
    assert cli("init", "games/art", "--workflow", cwd=top) == 0, cli.err
    assert "workspace: studio-games-art" in (top / "games/art/trainops.yaml").read_text()
    jobs = yaml.safe_load(flow.read_text())["jobs"]
    assert jobs["plan"]["steps"][1]["with"]["path"] == "games/art/models"
    assert "trainops drift games/art/models --issue" in flow.read_text()
    assert '"models/**"' not in flow.read_text()


def test_the_packaged_workflow_is_the_example_one() -> None:
    """The wheel ships trainops/templates/workflow.yml: a copy of the example, kept in step."""
    assert workflow_for(".") == WORKFLOW.read_text()
