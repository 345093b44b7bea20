"""`apply --prune` while a manifest declared nothing (issue 11, item 5): an empty `model.yaml`
makes its model look like an orphan; deleting it would destroy a trained model by accident.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Cli
from tests.support.workspace import all_models, train_all


def test_prune_refuses_while_a_manifest_declared_nothing(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    (ws / "beta" / "model.yaml").write_text("")
    cli.cwd = ws

    assert cli("apply", "--sandbox", "--yes", "--prune") == 1

    assert "beta/model.yaml" in cli.err
    assert "refusing to delete" in cli.err
    assert sorted(
        m.name
        for m in all_models(ws)
        if not m.name.startswith(("trainops price probe", "trainops apply lock"))
    ) == [
        "Alpha",
        "Beta",
    ]


def test_without_prune_an_empty_manifest_is_a_warning_and_apply_goes_on(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    (ws / "beta" / "model.yaml").write_text("")
    cli.cwd = ws

    assert cli("apply", "--sandbox", "--yes") == 0

    assert "beta/model.yaml" in cli.err
    assert sorted(
        m.name
        for m in all_models(ws)
        if not m.name.startswith(("trainops price probe", "trainops apply lock"))
    ) == [
        "Alpha",
        "Beta",
    ]
