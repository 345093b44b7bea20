# ruff: noqa: E501  (snapshots hold whole output lines)
"""Issue 14, items 1 and 2: a scoped plan or apply (PATH, `--target`, `--changed-since`) judges
orphans against the whole workspace and acts only inside its scope; with `--prune` deletions are
`delete` entries of the plan, with what each model cost, and apply deletes nothing else. Through
the CLI against the embedded sandbox; what was deleted is counted at the server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.workspace import all_models, commit, jobs
from trainops.commands.apply import ApplyFlags, run_apply
from trainops.commands.common import Target


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def names(root: Path) -> list[str]:
    """The models that still exist at the server (price probes left out)."""
    return sorted(m.name for m in all_models(root) if m.name in ("Alpha", "Beta"))


def test_a_scoped_apply_with_prune_deletes_nothing_outside_its_scope(
    trained: Path, cli: Cli
) -> None:
    # beta's manifest is just outside the PATH: it is no orphan, and nothing is deleted.
    assert cli("apply", "--sandbox", "--prune", "--yes", "alpha") == 0
    assert names(trained) == ["Alpha", "Beta"]
    assert "Scope: alpha (part of the workspace" in cli.out
    # Its manifest gone, beta is an orphan, but not one of this scope's.
    shutil.rmtree(trained / "beta")
    assert cli("apply", "--sandbox", "--prune", "--yes", "alpha") == 0
    assert "delete" not in cli.out.split("Plan:")[1]
    assert names(trained) == ["Alpha", "Beta"]
    assert cli("plan", "--sandbox", "--prune", "--target", "al*", "--format", "json") == 0
    doc = json.loads(cli.out)
    assert doc["scope"] == {
        "changed_since": None,
        "deleted": [],
        "paths": [],
        "targets": ["al*"],
    }
    assert [(m["name"], m["action"]) for m in doc["models"]] == [("alpha", "none")]
    # A target naming it brings the orphan into scope: planned as a delete, then deleted.
    assert cli("apply", "--sandbox", "--prune", "--yes", "--target", "beta") == 0
    assert names(trained) == ["Alpha"]


def test_a_delete_is_planned_with_what_the_model_cost(trained: Path, cli: Cli) -> None:
    shutil.rmtree(trained / "beta")
    assert cli("plan", "--sandbox", "--prune", "--detailed-exitcode") == 2
    assert scrub(cli.out) == snapshot("""\
Workspace e2e · commit HASH · plan HASH

Symbols: + create  ~ train / update  … wait  - orphan  × delete

  × beta (model_ID) will be DELETED
      # no manifest declares it: deleted by this apply (--prune)
      × 1 training, 20 CU spent so far, lost with the model

1 model up to date.
Plan: 0 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned, 1 to delete. Estimated cost: 0 CU.
""")
    assert cli("plan", "--sandbox", "--prune", "--format", "json") == 0
    doc = json.loads(cli.out)
    (beta,) = [m for m in doc["models"] if m["name"] == "beta"]
    assert (beta["action"], beta["trainings"], beta["spent"] > 0) == ("delete", 1, True)
    assert (doc["summary"]["delete"], doc["summary"]["orphan"], doc["has_changes"]) == (1, 0, True)
    assert cli("plan", "--sandbox", "--prune", "--format", "markdown") == 0
    assert "🗑️ **1 to delete**" in cli.out
    assert "| beta | 🗑️ **delete** | spent " in cli.out
    assert names(trained) == ["Alpha", "Beta"]  # planning deletes nothing


def test_changed_since_on_a_deleting_branch_reports_the_deletion(trained: Path, cli: Cli) -> None:
    shutil.rmtree(trained / "beta")
    commit(trained, "retire beta")
    assert cli("plan", "--sandbox", "--changed-since", "HEAD~1", "--format", "json") == 0
    doc = json.loads(cli.out)
    assert [(m["name"], m["action"]) for m in doc["models"]] == [("beta", "orphan")]
    assert doc["scope"]["deleted"] == [["beta", "beta/model.yaml"]]
    args = ("plan", "--sandbox", "--changed-since", "HEAD~1", "--prune", "--detailed-exitcode")
    assert cli(*args) == 2
    assert "× beta (model_ID) will be DELETED" in scrub(cli.out)
    assert "No models are declared" not in cli.out
    # Nothing was deleted since the ref: nothing in scope.
    assert cli("plan", "--sandbox", "--changed-since", "HEAD", "--prune", "--format", "json") == 0
    assert json.loads(cli.out)["models"] == []


def apply_interactively(root: Path, answer: str) -> int:
    return run_apply(
        Target(sandbox=True, cwd=root),
        ApplyFlags(prune=True),
        interactive=True,
        confirm=lambda _q: True,
        ask=lambda _q: answer,
    )


def test_an_interactive_delete_asks_for_the_number_of_models(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(trained / "beta")
    assert apply_interactively(trained, "yes") == 1
    assert "Apply cancelled: nothing was changed." in capsys.readouterr().err
    assert names(trained) == ["Alpha", "Beta"]
    assert apply_interactively(trained, "1") == 0
    assert names(trained) == ["Alpha"]
    assert jobs(trained) == {"Alpha": 1}


def test_a_full_prune_with_nothing_to_delete_asks_nothing(trained: Path, cli: Cli) -> None:
    assert cli("apply", "--sandbox", "--prune") == 0  # not a terminal, yet no refusal: no work
    assert "No changes. The live models match the manifests." in cli.out
