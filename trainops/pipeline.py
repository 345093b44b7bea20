"""The steps of a run, shared by `plan`, `apply` and the GitHub flow:

    1. open the client, and start listing the live models (`read.Pages`): the first page is in
       flight while the manifests load
    2. load the manifests into `Desired` (through the load cache, `cache.load`), in a thread;
       with `--changed-since`, keep the models whose inputs changed
    3. bound the client's parallelism by the workspace's setting
    4. read the live state (`read.read_live`): the pages as they come, full reads where needed
    5. diff desired and live into a `Plan` (`diff.diff`, pure)
    6. price the trainings with the API's dry run (`pricing.price`)

`apply --plan FILE` runs 4-6 again over the manifests the saved plan covers (`remake_plan`),
checking the saved plan against what it finds after 4 (inputs digest), 5 (what apply would do)
and 6 (costs), and goes on with the plan made now: see `trainops.planfile`.

The budget gate, rendering and apply are the caller's. Nothing here prints or parses arguments.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from trainops.cache.load import Mode, load_manifests
from trainops.contents import hash_unnamed
from trainops.desired import Desired, DesiredModel
from trainops.diff import diff
from trainops.errors import Diagnostic
from trainops.live import Live
from trainops.plan import Plan
from trainops.planfile import check_costs, check_fresh, check_same, scope
from trainops.pricing import price
from trainops.read import Pages, read_live
from trainops.repo import changed_since, head_commit
from trainops.scenario.client import Scenario

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, returning main's result without letting asyncio format it.

    On the way out asyncio.run restores the SIGINT handler, and the signal module then formats
    the old one (a partial holding the finished main task, hence its result) into an error
    message it throws away: the whole plan, for nothing. The task here finishes with None.
    """
    box: list[T] = []

    async def boxed() -> None:
        box.append(await main)

    asyncio.run(boxed())
    return box[0]


@dataclass(frozen=True)
class Planned:
    desired: Desired
    live: Live
    plan: Plan
    warnings: tuple[Diagnostic, ...]
    probes_created: tuple[tuple[str, str], ...] = ()  # (type, id) of price probes made now


Loaded = tuple[Desired, tuple[Diagnostic, ...], bool]  # what `load` returns


def load(
    paths: Sequence[str | Path], *, cwd: Path, changed: str | None = None, cache: Mode = "on"
) -> Loaded:
    """The desired state (only manifests touched since `changed` when given) and warnings;
    the flag says whether it is partial (then orphans cannot be judged). `cache`: how the load
    cache is used (`trainops.cache.load.load_manifests`)."""
    desired, warnings = load_manifests(paths, cwd=cwd, mode=cache)
    if changed is None:
        return desired, tuple(warnings), False
    touched = changed_since(desired.workspace.root, changed)
    keep = tuple(m for m in desired.models if _touched(m, desired.workspace.root, cwd, touched))
    return dataclasses.replace(desired, models=keep), tuple(warnings), True


def _touched(m: DesiredModel, root: Path, cwd: Path, touched: frozenset[Path]) -> bool:
    files = {(cwd / m.source.file).resolve()}
    for f in m.training_files:
        p = (root / f.path).resolve()
        files |= {p, p.with_suffix(".txt")}  # the sidecar caption is an input too
    return bool(files & touched)


async def load_and_plan(
    client: Scenario,
    load: Callable[[], Loaded],
    *,
    parallelism: int | None = None,
    probe: bool = True,
) -> Planned:
    """`load()` (in a thread) while the model list's first page is in flight, then `make_plan`.

    Neither needs the other, and a warm load of hundreds of manifests takes about as long as
    the page. The client's bound becomes `parallelism`, else the workspace's, before anything
    fans out. A load error wins over whatever the listing did (the manifests are what the user
    is editing); the listing is cancelled.
    """
    pages = Pages(client.model_pages())
    try:
        desired, warnings, partial = await asyncio.to_thread(load)
    except BaseException:
        await pages.cancel()
        raise
    client.set_parallelism(parallelism or desired.workspace.parallelism)
    return await make_plan(
        desired, client, partial=partial, probe=probe, warnings=warnings, pages=pages
    )


async def make_plan(
    desired: Desired,
    client: Scenario,
    *,
    partial: bool = False,
    probe: bool = True,
    warnings: tuple[Diagnostic, ...] = (),
    pages: Pages | None = None,
) -> Planned:
    """Read live, diff, price. The budget gate is the caller's, after showing the plan."""
    live, plan = await _read_and_diff(desired, client, partial=partial, pages=pages)
    created: list[tuple[str, str]] = []
    plan = await price(
        plan, client, desired, live=live, probe=probe, on_created=lambda *p: created.append(p)
    )
    return Planned(
        desired=desired, live=live, plan=plan, warnings=warnings, probes_created=tuple(created)
    )


async def remake_plan(
    saved: Plan,
    desired: Desired,
    client: Scenario,
    *,
    probe: bool = True,
) -> Planned:
    """The plan now for the models `saved` covers, refused (`StalePlanError`) unless it is the
    saved one: same inputs, same decisions, costs within the saved ones. Callers apply this
    plan, never `saved`: a file's entries are a claim, this is what the manifests say."""
    scoped = scope(desired, saved)
    live, plan = await _read_and_diff(scoped, client, partial=saved.partial)
    check_fresh(saved, scoped, live)
    check_same(saved, plan)  # before pricing: no dry run for a plan refused anyway
    created: list[tuple[str, str]] = []
    plan = await price(
        plan, client, scoped, live=live, probe=probe, on_created=lambda *p: created.append(p)
    )
    check_costs(saved, plan)
    return Planned(
        desired=desired, live=live, plan=plan, warnings=(), probes_created=tuple(created)
    )


async def _read_and_diff(
    desired: Desired, client: Scenario, *, partial: bool, pages: Pages | None = None
) -> tuple[Live, Plan]:
    # Asking git (and importing gitpython) overlaps the wait for the model list.
    commit = asyncio.create_task(asyncio.to_thread(head_commit, desired.workspace.root))
    live = await read_live(client, desired, pages=pages)
    live = await hash_unnamed(client, desired, live)  # files named without their content hash
    plan = diff(
        desired,
        live,
        commit=await commit,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        partial=partial,
    )
    return live, dataclasses.replace(plan, partial=partial)
