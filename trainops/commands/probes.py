"""`trainops probes clean`, and the line a run prints when its plan created a price probe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target, warn_all
from trainops.commands.handler import err
from trainops.probes import Cleaned, clean_probes
from trainops.render.json_out import probes_clean_json


def created_lines(created: Sequence[tuple[str, str]]) -> list[str]:
    """One line per price probe a plan just created: a model appeared in the team's list."""
    return [
        f"note: created price probe {model_id} ({model_type}): an empty model, never trained, "
        "that plans dry-run new models on; `trainops status` lists it, "
        "`trainops probes clean` removes it"
        for model_type, model_id in created
    ]


def run_probes_clean(target: Target, *, fmt: Literal["text", "json"] = "text") -> int:
    desired, warnings, _ = pipeline.load(target.paths, cwd=target.cwd, cache=target.cache)
    warn_all(warnings)
    workspace = desired.workspace.name

    async def go() -> Cleaned:
        async with target.client(desired) as client:
            return await clean_probes(client, workspace)

    done = pipeline.run(go())
    if fmt == "json":  # what was kept is still said on stderr, as in the text output
        for m, why in done.kept:
            err(f"kept {m.id} ({m.type}): {why}")
        deleted = [(m.id, m.type) for m in done.deleted]
        kept = [(m.id, m.type, why) for m, why in done.kept]
        print(probes_clean_json(workspace, deleted, kept), end="")
        return EXIT_OK
    for m in done.deleted:
        print(f"deleted price probe {m.id} ({m.type})")
    for m, why in done.kept:
        err(f"kept {m.id} ({m.type}): {why}")
    n = len(done.deleted)
    print(
        f"{n} price probe{'s' if n != 1 else ''} of workspace {workspace} removed"
        if n
        else f"workspace {workspace} has no price probe to remove"
    )
    if n:
        err(
            "the next plan that prices a new model on a probe creates one again (--no-probe: never)"
        )
    return EXIT_OK
