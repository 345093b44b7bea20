"""`apply --plan FILE` takes the saved plan as the approval, as `terraform apply PLANFILE` does
(issue 15, item 4): no --yes, no prompt, not even for the deletions the saved plan shows; and
still only when planning again now gives that same plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.workspace import all_models, commit, edit, jobs


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def test_a_saved_plan_applies_without_yes_and_without_a_terminal(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    assert cli("apply", "--sandbox", "--plan", "plan.json") == 0, cli.err
    assert "confirmation" not in cli.err
    assert jobs(trained) == {"Alpha": 2, "Beta": 1}


def test_without_a_saved_plan_apply_still_asks(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("apply", "--sandbox") == 1
    assert "refusing to apply without confirmation" in cli.err
    assert "apply --plan FILE" in cli.err  # the hint names the way without --yes
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}


def test_a_saved_plan_that_deletes_is_its_own_approval(trained: Path, cli: Cli) -> None:
    shutil.rmtree(trained / "beta")
    commit(trained, "beta goes")
    assert cli("plan", "--sandbox", "--prune", "--out", "plan.json") == 0
    assert cli("apply", "--sandbox", "--prune", "--plan", "plan.json") == 0, cli.err
    assert "Beta" not in {m.name for m in all_models(trained)}


def test_a_saved_plan_that_no_longer_holds_is_still_refused(trained: Path, cli: Cli) -> None:
    edit(trained / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    assert cli("plan", "--sandbox", "--out", "plan.json") == 0
    edit(trained / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 400")
    assert cli("apply", "--sandbox", "--plan", "plan.json") == 1
    assert "the saved plan is stale" in cli.err
    assert jobs(trained) == {"Alpha": 1, "Beta": 1}
