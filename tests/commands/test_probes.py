"""Issue 14 item 7: price probes are visible. The first plan that creates one says so on its own
line, `trainops status` lists them, `trainops probes clean` removes them and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.workspace import all_models, app_for, client_for, write_model
from trainops.tags import PROBE_PREFIX, probe_name, probe_tag


def _probes(root: Path) -> list[str]:
    return sorted(m.id for m in all_models(root) if any(t.startswith(PROBE_PREFIX) for t in m.tags))


def test_the_first_plan_says_it_created_a_probe_and_the_next_does_not(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("plan", "--sandbox") == 0, cli.err
    (probe,) = _probes(root)
    notes = [line for line in cli.err.splitlines() if "price probe" in line]
    assert notes == [
        f"note: created price probe {probe} (flux.1-lora): an empty model, never trained, that "
        "plans dry-run new models on; `trainops status` lists it, `trainops probes clean` "
        "removes it"
    ]
    assert cli("plan", "--sandbox") == 0, cli.err
    assert "created price probe" not in cli.err
    assert _probes(root) == [probe]


def test_status_lists_the_probes(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("plan", "--sandbox") == 0, cli.err
    (probe,) = _probes(root)
    assert cli("status", "--sandbox") == 0, cli.err
    assert cli.out.endswith(
        "\nPrice probes (empty models plans dry-run new models on; `trainops probes clean` "
        f"removes them):\n  {probe}  flux.1-lora\n"
    )
    assert cli("status", "--sandbox", "--format", "json") == 0, cli.err
    data = json.loads(cli.out)
    assert data["format_version"] == "1.3"
    assert data["probes"] == [{"type": "flux.1-lora", "model_id": probe}]


@synchronous
async def _strangers(root: Path, app: Starlette) -> dict[str, str]:
    """Models `probes clean` must never delete, each looking like a probe in one way."""
    out: dict[str, str] = {}
    async with client_for(app, root) as client:
        name = probe_name("flux.1-lora")
        for what, tags in (
            ("another workspace's probe", [probe_tag("elsewhere")]),
            ("an untagged one", []),
            ("a model of ours that is no probe", ["trainops:shop/alpha"]),
        ):
            m = await client.create_model(type="flux.1-lora", name=name)
            if tags:
                await client.update_tags(m.id, add=tags)
            out[what] = m.id
        trained = await client.create_model(type="flux.1-lora", name=name)
        await client.update_tags(trained.id, add=[probe_tag("shop")])
        await client.add_training_image(
            trained.id, name="x.png", data=b"\x89PNG\r\n\x1a\n", mime="image/png"
        )
        out["a probe someone gave files to"] = trained.id
    return out


def test_probes_clean_removes_only_this_workspaces_empty_probes(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("plan", "--sandbox") == 0, cli.err
    (probe,) = _probes(root)
    strangers = _strangers(root, app_for(root))
    assert cli("probes", "clean", "--sandbox") == 0, cli.err
    assert cli.out.splitlines() == [
        f"deleted price probe {probe} (flux.1-lora)",
        "1 price probe of workspace shop removed",
    ]
    left = {m.id for m in all_models(root)}
    assert probe not in left
    assert set(strangers.values()) <= left
    kept = strangers["a probe someone gave files to"]
    assert f"kept {kept} (flux.1-lora): not empty" in cli.err
    assert cli("probes", "clean", "--sandbox") == 0, cli.err
    assert cli.out.splitlines()[-1] == "workspace shop has no price probe to remove"
    assert cli("status", "--sandbox") == 0
    assert "Price probes" not in cli.out
