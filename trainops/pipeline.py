"""The steps of a run, shared by `plan`, `apply` and the GitHub flow:

    1. open the client, and start listing the live models (`read.Pages`): the first page is in
       flight while the manifests load
    2. load the manifests into `Desired` (through the load cache, `cache.load`), in a thread;
       a scope (PATH arguments, `--target`, `--changed-since`) keeps the models it covers, and
       the rest of the workspace's manifests still claim their live models (no orphans)
    3. bound the client's parallelism by the workspace's setting
    4. read the live state (`read.read_live`): the pages as they come, full reads where needed
    5. diff desired and live into a `Plan` (`diff.diff`, pure); with `prune`, orphans are
       `delete` entries, with the trainings and credits they cost (`spent`, from the jobs)
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
from trainops.plan import ModelPlan, Plan, Scope
from trainops.planfile import check_costs, check_fresh, check_same, scope_of
from trainops.pricing import price
from trainops.read import Pages, read_live, training_jobs
from trainops.repo import changed_since, deleted_declarations, head_commit
from trainops.scenario.client import Scenario
from trainops.scoped import WHOLE, Scoped

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


Loaded = tuple[Desired, tuple[Diagnostic, ...], Scoped]  # what `load` returns


def load(
    paths: Sequence[str | Path],
    *,
    cwd: Path,
    changed: str | None = None,
    targets: Sequence[str] = (),
    cache: Mode = "on",
) -> Loaded:
    """The desired state of the scope and warnings: the manifests under `paths` whose key
    matches a glob of `targets` and, with `changed`, whose inputs changed since that ref. The
    whole workspace is loaded whenever that is only part of it, so that orphans are judged
    against every manifest. `cache`: how the load cache is used (`cache.load.load_manifests`)."""
    desired, warnings = load_manifests(paths, cwd=cwd, mode=cache)
    root = desired.workspace.root
    within = _relative(paths or ["."], root, cwd)
    if not within and not targets and changed is None:
        return desired, tuple(warnings), WHOLE
    whole = desired if not within else load_manifests([root], cwd=cwd, mode=cache)[0]
    deleted: tuple[tuple[str, str], ...] = ()
    if changed is not None:
        declared = {m.key for m in whole.models}
        was = deleted_declarations(root, changed)
        deleted = tuple((k, p) for k, p in was if k not in declared)
    scope = Scope(paths=within, targets=tuple(targets), changed_since=changed, deleted=deleted)
    touched = changed_since(root, changed) if changed is not None else None
    keep = tuple(
        m
        for m in whole.models
        if scope.covers(m.key, _where(m, root, cwd))
        and (touched is None or _touched(m, root, cwd, touched))
    )
    kept = {m.key for m in keep}
    others = tuple(m for m in whole.models if m.key not in kept)
    return dataclasses.replace(whole, models=keep), tuple(warnings), Scoped(scope, others)


def _relative(paths: Sequence[str | Path], root: Path, cwd: Path) -> tuple[str, ...]:
    """The PATH arguments as workspace-relative POSIX paths; none when one is the root."""
    out = []
    for p in paths:
        full = (cwd / p).resolve()
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            continue  # outside the workspace: the loader has said so
        if rel in ("", "."):
            return ()
        out.append(rel)
    return tuple(sorted(set(out)))


def _where(m: DesiredModel, root: Path, cwd: Path) -> str:
    full = (cwd / m.source.file).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return full.as_posix()


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
    prune: bool = False,
) -> Planned:
    """`load()` (in a thread) while the model list's first page is in flight, then `make_plan`.

    Neither needs the other, and a warm load of hundreds of manifests takes about as long as
    the page. The client's bound becomes `parallelism`, else the workspace's, before anything
    fans out. A load error wins over whatever the listing did (the manifests are what the user
    is editing); the listing is cancelled.
    """
    pages = Pages(client.model_pages())
    try:
        desired, warnings, scoped = await asyncio.to_thread(load)
    except BaseException:
        await pages.cancel()
        raise
    client.set_parallelism(parallelism or desired.workspace.parallelism)
    return await make_plan(
        desired, client, scoped=scoped, probe=probe, warnings=warnings, pages=pages, prune=prune
    )


async def make_plan(
    desired: Desired,
    client: Scenario,
    *,
    scoped: Scoped = WHOLE,
    probe: bool = True,
    warnings: tuple[Diagnostic, ...] = (),
    pages: Pages | None = None,
    prune: bool = False,
) -> Planned:
    """Read live, diff, price. The budget gate is the caller's, after showing the plan."""
    live, plan = await _read_and_diff(desired, client, scoped, pages=pages, prune=prune)
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
    others: tuple[DesiredModel, ...] = (),
    prune: bool = False,
) -> Planned:
    """The plan now for the models `saved` covers, refused (`StalePlanError`) unless it is the
    saved one: same inputs, same decisions, costs within the saved ones. Callers apply this
    plan, never `saved`: a file's entries are a claim, this is what the manifests say.
    `others`: manifests loaded outside `desired` (they claim their live models)."""
    scoped, claims = scope_of(desired, saved, others)
    live, plan = await _read_and_diff(scoped, client, claims, prune=prune)
    plan = dataclasses.replace(plan, scope=saved.scope, partial=saved.partial)
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
    desired: Desired,
    client: Scenario,
    scoped: Scoped,
    *,
    pages: Pages | None = None,
    prune: bool = False,
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
        scope=scoped.scope,
        others=scoped.others,
        only=scoped.only,
        prune=prune,
    )
    if any(m.action == "delete" for m in plan.models):
        plan = await _with_spent(plan, client, live)
    return live, plan


async def _with_spent(plan: Plan, client: Scenario, live: Live) -> Plan:
    """The trainings each `delete` entry's model had, and their cost: what deleting it throws
    away. From the team's training jobs (a job names its model in `metadata.outputModelId`),
    and the model's latest job when the list does not name it; None when none is found."""
    jobs = await training_jobs(client)
    by_id = live.by_id()

    def spent(m: ModelPlan) -> ModelPlan:
        if m.action != "delete" or m.model_id is None:
            return m
        found = {j.id: j for j in jobs if j.model_id == m.model_id}
        latest = by_id[m.model_id].job if m.model_id in by_id else None
        if latest is not None:
            found.setdefault(latest.id, latest)
        if not found:
            return m
        costs = [j.cost for j in found.values() if j.cost is not None]
        return dataclasses.replace(m, trainings=len(found), spent=sum(costs) if costs else None)

    return dataclasses.replace(plan, models=tuple(spent(m) for m in plan.models))
