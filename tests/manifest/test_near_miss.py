"""Near-miss manifests are errors (issue 14, item 3): a document written as a trainops model or
workspace settings but with another apiVersion would be skipped, and its model planned as removed
(an orphan `--prune` deletes). Other tools' YAML, even with `metadata` and `spec`, stays ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.workspace import app_for, client_for, edit, make_workspace

MODEL = """\
apiVersion: {version}
kind: Model
metadata:
  name: knight
spec:
  type: flux.1-lora
  trainingImages: [images/*.png]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", keys=("alpha",))


@pytest.mark.parametrize(
    "version", ["trainop/v1", "Trainops/v1", "trainops.v1", "trainopsv1", "trainops.io/v1"]
)
def test_a_typo_of_the_api_version_is_an_error(root: Path, cli: Cli, version: str) -> None:
    (root / "knight.yaml").write_text(MODEL.format(version=version))
    assert cli("validate", cwd=root) == 1
    assert f"knight.yaml:1: apiVersion: {version!r}: did you mean trainops/v1?" in cli.err
    assert "--prune deletes it" in cli.err


@pytest.mark.parametrize("version", ["v1", "scenario.com/v1", "models/v2"])
def test_another_api_version_on_a_model_of_ours_is_an_error(
    root: Path, cli: Cli, version: str
) -> None:
    """Not a typo, but the document is a trainops model all the same (its spec says so)."""
    (root / "knight.yaml").write_text(MODEL.format(version=version))
    assert cli("validate", cwd=root) == 1
    assert "did you mean trainops/v1?" in cli.err


def test_workspace_settings_with_another_api_version_are_an_error(root: Path, cli: Cli) -> None:
    (root / "settings.yaml").write_text("apiVersion: v1\nkind: Workspace\nworkspace: e2e\n")
    assert cli("validate", cwd=root) == 1
    assert "settings.yaml:1: apiVersion: 'v1': did you mean trainops/v1?" in cli.err
    assert "workspace settings of trainops" in cli.err


def test_a_model_without_kind_or_api_version_is_an_error(root: Path, cli: Cli) -> None:
    (root / "knight.yaml").write_text("metadata:\n  name: knight\nspec:\n  type: flux.1-lora\n")
    assert cli("validate", cwd=root) == 1
    assert "knight.yaml:1: apiVersion: is missing" in cli.err


OTHER_TOOLS = {
    ".github/workflows/ci.yaml": "name: ci\non: [push]\njobs:\n  test:\n    runs-on: x\n",
    "ci/workflow.yml": "name: ci\non:\n  push: {}\njobs:\n  build:\n    steps: [{run: make}]\n",
    "docker-compose.yml": "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n",
    "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "chart/values.yaml": "replicaCount: 1\nimage:\n  repository: nginx\n",
    "chart/templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicaCount }}\n"
    ),
    "k8s/service.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: ClusterIP\n"
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  replicas: 2\n  template:\n    spec:\n      containers: []\n"
    ),
    # Other tools' `kind: Model` and `kind: Workspace`, with metadata and spec.
    "k8s/seldon.yaml": (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata:\n  name: iris\n"
        "spec:\n  storageUri: gs://models/iris\n  requirements: [sklearn]\n"
    ),
    "k8s/terraform.yaml": (
        "apiVersion: app.terraform.io/v1alpha2\nkind: Workspace\nmetadata:\n  name: infra\n"
        "spec:\n  organization: acme\n"
    ),
    "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
    "openapi.yaml": "openapi: 3.0.0\ninfo:\n  title: shop\npaths: {}\n",
}


def test_other_tools_yaml_stays_ignored(root: Path, cli: Cli) -> None:
    for name, text in OTHER_TOOLS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert cli("validate", cwd=root) == 0, cli.err
    assert cli.out == "ok: 1 model valid in workspace e2e\n"
    assert cli.err == ""


@synchronous
async def _models(root: Path) -> list[str]:
    async with client_for(app_for(root), root) as client:
        return sorted(m.name for m in await client.list_models())


def test_a_typo_never_lets_prune_delete_the_model(root: Path, cli: Cli) -> None:
    """Through the CLI, counting at the server: the model of a manifest with a mistyped
    apiVersion is not an orphan, and a pruning apply stops before it deletes anything."""
    assert cli("apply", "--sandbox", "--yes", cwd=root) == 0, cli.err
    before = _models(root)
    assert "Alpha" in before
    edit(root / "alpha" / "model.yaml", "apiVersion: trainops/v1", "apiVersion: trainop/v1")
    assert cli("apply", "--sandbox", "--prune", "--yes", cwd=root) == 1
    assert "alpha/model.yaml:1: apiVersion: 'trainop/v1': did you mean trainops/v1?" in cli.err
    assert _models(root) == before


def test_a_typo_in_trainops_yaml_says_which_api_version(root: Path, cli: Cli) -> None:
    edit(root / "trainops.yaml", "apiVersion: trainops/v1", "apiVersion: trainop/v1")
    assert cli("validate", cwd=root) == 1
    assert "trainops.yaml:1: apiVersion: 'trainop/v1': did you mean trainops/v1?" in cli.err
