from __future__ import annotations

from pathlib import Path

import git
import pytest

from tests.support.manifests import FLUX_MODEL
from tests.support.paths import IMAGES
from trainops.errors import ManifestError
from trainops.manifest.load import load_desired


def write_model(directory: Path, name: str) -> None:
    (directory / "img").mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        src = IMAGES / f"ok-{i:02d}.png"
        (directory / "img" / src.name).write_bytes(src.read_bytes())
    (directory / f"{name}.yaml").write_text(FLUX_MODEL.format(name=name, images="img/*.png"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    top = tmp_path / "game-assets"
    top.mkdir()
    git.Repo.init(top)
    return top


def test_root_is_the_git_top_level_and_name_its_directory(repo: Path) -> None:
    write_model(repo / "models" / "hero", "hero")
    desired, _ = load_desired(["models/hero"], cwd=repo)
    assert (desired.workspace.name, desired.workspace.root) == ("game-assets", repo)
    image = desired.models[0].images[0]
    assert image.path == "models/hero/img/ok-01.png"
    assert not (repo / ".trainops").exists()  # validation keeps no cache: the cache wraps it


def test_nearest_settings_file_below_the_git_top_wins(repo: Path) -> None:
    sub = repo / "training"
    write_model(sub / "hero", "hero")
    (sub / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\nworkspace: art-team\nprojectId: proj_1\n"
    )
    desired, _ = load_desired(["hero"], cwd=sub)
    ws = desired.workspace
    assert (ws.name, ws.root, ws.project_id, ws.parallelism) == ("art-team", sub, "proj_1", 8)
    assert desired.models[0].source.file == "hero/hero.yaml"


def test_settings_file_above_the_git_top_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "trainops.yaml").write_text("apiVersion: trainops/v1\nkind: Workspace\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    git.Repo.init(inner)
    write_model(inner, "m")
    desired, _ = load_desired([], cwd=inner)
    assert (desired.workspace.name, desired.workspace.root) == ("inner", inner)


def test_outside_git_the_root_is_the_current_directory(tmp_path: Path) -> None:
    write_model(tmp_path / "here", "m")
    desired, _ = load_desired(["."], cwd=tmp_path / "here")
    assert desired.workspace.root == tmp_path / "here"
    assert desired.workspace.name == "here"


@pytest.mark.parametrize(
    ("setting", "pricing"), [("", "api"), ("pricing: api\n", "api"), ("pricing: true\n", "true")]
)
def test_the_workspace_chooses_the_dry_run_that_prices_plans(
    tmp_path: Path, setting: str, pricing: str
) -> None:
    (tmp_path / "trainops.yaml").write_text("apiVersion: trainops/v1\nkind: Workspace\n" + setting)
    desired, _ = load_desired([], cwd=tmp_path)
    assert desired.workspace.pricing == pricing


def test_an_unknown_pricing_is_located(tmp_path: Path) -> None:
    (tmp_path / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\npricing: web\n"
    )
    with pytest.raises(ManifestError) as exc:
        load_desired([], cwd=tmp_path)
    assert [str(d) for d in exc.value.diagnostics] == [
        "trainops.yaml:3: pricing: input should be 'api' or 'true'"
    ]
