"""Renaming a model keeps it (issue 14, item 5): `metadata.previousNames` or trainops.yaml's
`moved:` re-tags the live model of the old key; nothing is created, nothing trains again.
Through the CLI against the workspace's sandbox, counted at the server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import Cli
from tests.support.workspace import all_models, edit, jobs, train_all
from trainops.tags import identity_tag

RENAMED = "  name: hero\n  previousNames: [alpha]\n"


def _rename_alpha(ws: Path) -> None:
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", RENAMED)


def _managed(ws: Path) -> dict[str, str]:
    """The workspace's models: id -> identity tag."""
    return {m.id: t for m in all_models(ws) for t in m.tags if t.startswith("trainops:e2e/")}


def test_a_rename_is_planned_as_a_rename_and_trains_nothing(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    before = _managed(ws)
    _rename_alpha(ws)
    cli.cwd = ws

    assert cli("plan", "--sandbox") == 0
    assert "→ rename alpha → hero" in cli.out
    assert "renamed (re-tagged), without training" in cli.out
    assert "1 to rename" in cli.out
    assert "0 to create, 0 to train" in cli.out
    assert "orphan" not in cli.out.split("Symbols:")[1].split("Plan:")[0].replace("- orphan", "")

    assert cli("plan", "--sandbox", "--format", "json") == 0
    plan = json.loads(cli.out)
    assert plan["format_version"] == "1.4"
    hero = next(m for m in plan["models"] if m["name"] == "hero")
    assert (hero["action"], hero["renamed_from"], hero["will_train"]) == ("rename", "alpha", False)
    assert plan["summary"]["rename"] == 1
    assert plan["summary"]["orphan"] == 0
    assert {"kind": "tag", "op": "remove", "subject": identity_tag("e2e", "alpha")}.items() <= next(
        c for c in hero["changes"] if c["op"] == "remove"
    ).items()

    assert cli("plan", "--sandbox", "--format", "markdown") == 0
    assert "| hero | 🏷️ rename | – |" in cli.out
    assert "<b>hero</b> · alpha → hero · rename" in cli.out
    assert "1 to rename" in cli.out

    assert cli("apply", "--sandbox", "--yes", "--prune") == 0

    assert "hero: renamed" in cli.out + cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}  # no training, no model created or deleted
    after = _managed(ws)
    assert after.keys() == before.keys()
    hero_id = next(i for i, t in before.items() if t == identity_tag("e2e", "alpha"))
    assert after[hero_id] == identity_tag("e2e", "hero")
    assert cli("plan", "--sandbox", "--detailed-exitcode") == 0
    assert "No changes" in cli.out


def test_a_rename_whose_inputs_changed_renames_and_trains_once(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    _rename_alpha(ws)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 150")
    cli.cwd = ws

    assert cli("plan", "--sandbox", "--format", "json") == 0
    hero = next(m for m in json.loads(cli.out)["models"] if m["name"] == "hero")
    assert (hero["action"], hero["renamed_from"], hero["will_train"]) == ("train", "alpha", True)

    assert cli("apply", "--sandbox", "--yes") == 0
    assert jobs(ws) == {"Alpha": 2, "Beta": 1}  # the same model, trained once more
    assert sorted(_managed(ws).values()) == [
        identity_tag("e2e", "beta"),
        identity_tag("e2e", "hero"),
    ]


def test_moved_in_trainops_yaml_renames_too(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: hero\n")
    with (ws / "trainops.yaml").open("a") as f:
        f.write("moved:\n  - from: alpha\n    to: hero\n")
    cli.cwd = ws

    assert cli("apply", "--sandbox", "--yes", "--prune") == 0
    assert "rename alpha → hero" in cli.out
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert sorted(_managed(ws).values()) == [
        identity_tag("e2e", "beta"),
        identity_tag("e2e", "hero"),
    ]


def test_a_previous_name_with_no_live_model_is_a_create_that_says_so(cli: Cli, ws: Path) -> None:
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: hero\n  previousNames: [alfa]\n")
    cli.cwd = ws

    assert cli("plan", "--sandbox") == 0
    assert "hero will be created and trained" in cli.out
    assert "no live model has its previous name (alfa): a new model" in cli.out


def test_a_previous_name_still_declared_is_an_error(cli: Cli, ws: Path) -> None:
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: hero\n  previousNames: [beta]\n")
    cli.cwd = ws

    assert cli("plan", "--sandbox") == 1
    assert "metadata.previousNames: 'beta' is still the name of the model at" in cli.err
    assert "beta/model.yaml" in cli.err


def test_two_models_claiming_one_previous_name_is_an_error(cli: Cli, ws: Path) -> None:
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: hero\n  previousNames: [old]\n")
    edit(ws / "beta" / "model.yaml", "  name: beta\n", "  name: villain\n  previousNames: [old]\n")
    cli.cwd = ws

    assert cli("validate") == 1
    assert "'old' is also a previous name of hero" in cli.err


def test_a_model_named_after_itself_is_an_error(cli: Cli, ws: Path) -> None:
    edit(
        ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: alpha\n  previousNames: [alpha]\n"
    )
    cli.cwd = ws

    assert cli("validate") == 1
    assert "'alpha' is this model's own name" in cli.err


def test_two_live_models_of_previous_names_are_an_error(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    (ws / "beta" / "model.yaml").unlink()
    edit(
        ws / "alpha" / "model.yaml",
        "  name: alpha\n",
        "  name: hero\n  previousNames: [alpha, beta]\n",
    )
    cli.cwd = ws

    assert cli("apply", "--sandbox", "--yes", "--prune") == 1
    assert "are each a previous model of hero" in cli.err
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert len(_managed(ws)) == 2  # nothing deleted


def test_an_old_model_beside_its_successors_own_stays_an_orphan(cli: Cli, ws: Path) -> None:
    assert train_all(ws) == {"Alpha": 1, "Beta": 1}
    (ws / "beta" / "model.yaml").unlink()
    # `alpha` is now a previous name of a model that already has its live model.
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: alpha\n")
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: alpha\n  previousNames: [beta]\n")
    cli.cwd = ws

    assert cli("plan", "--sandbox", "--format", "json") == 0
    models = {m["name"]: m for m in json.loads(cli.out)["models"]}
    assert models["alpha"]["renamed_from"] is None
    assert models["beta"]["action"] == "orphan"
    assert (
        "previous name of alpha, which has a live model of its own" in models["beta"]["reasons"][0]
    )
