"""`trainops status`: the live state of every model of the workspace, read the cheap way.

Reads only: the model listing (pages of up to 500) through `read_live`, as a plan does but
without the full reads (`full=False`: a GET only for an adopted model missing from the listing),
and the latest job of models that are training or failed (for progress or the error). It never
fetches a model in full: status needs no image lists.

`trainops status NAME` shows one model in detail. A positional argument is a NAME when it is the
key (`metadata.name`) of a model of the workspace of the current directory, declared or live
with its identity tag; else it is a PATH, as for the table. A NAME wins over a directory of the
same name. Telling them apart costs the listing, read only when an argument could be a key. The
detail reads the model in full (its epochs), and its jobs from the team's training jobs (a job
names its model in `metadata.outputModelId`; the API filters jobs by type, not by model), as a
plan does for the trainings a `delete` throws away (`pipeline`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target, peek_settings, warn_all
from trainops.desired import Desired
from trainops.errors import ApiError, ConfigError, LiveStateError
from trainops.live import Live, LiveJob, LiveModel
from trainops.read import JOB_STATUSES, read_live, training_jobs
from trainops.render.status import Report, build_report, render_status_json, render_status_text
from trainops.render.status_model import (
    ModelDetail,
    model_detail,
    render_model_json,
    render_model_text,
)
from trainops.scenario.client import Scenario
from trainops.tags import identity_tag

Format = Literal["text", "json"]

# What a key may be (`manifest.schema.KEY_PATTERN`, not imported: it loads the manifests'
# validation), loosened: any other argument is a PATH without asking the API.
_MAY_BE_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
MAX_NAMES_LISTED = 10


def run_status(target: Target, *, fmt: Format = "text") -> int:
    if any(_MAY_BE_KEY.fullmatch(a) for a in target.paths):
        detail = _named(target)
        if detail is not None:
            text = render_model_json(detail) + "\n" if fmt == "json" else render_model_text(detail)
            print(text, end="")
            return EXIT_OK
    return _table(target, fmt)


def _table(target: Target, fmt: Format) -> int:
    desired, warnings, _ = pipeline.load(target.paths, cwd=target.cwd, cache=target.cache)
    warn_all(warnings)

    async def go() -> Report:
        async with target.client(desired) as client:
            return await read_status(client, desired)

    report = pipeline.run(go())
    print(render_status_json(report) if fmt == "json" else render_status_text(report), end="")
    if fmt == "json":
        print()
    return EXIT_OK


async def read_status(client: Scenario, desired: Desired) -> Report:
    live = await read_live(client, desired, full=False)
    models = await asyncio.gather(*(_with_job(client, m) for m in live.models))
    return build_report(live.workspace, desired.models, models, live.probes)


async def _with_job(client: Scenario, m: LiveModel) -> LiveModel:
    """The model with its latest job when its status says the job is worth reading."""
    if m.job_id is None or m.status not in JOB_STATUSES:
        return m
    try:
        return dataclasses.replace(m, job=await client.get_job(m.job_id))
    except ApiError as exc:
        if exc.status != 404:
            raise
        return m


def _named(target: Target) -> ModelDetail | None:
    """The model the arguments name, or None when they are all paths."""
    # The whole workspace, also from a subdirectory of it (which alone would scope the load);
    # a path beside the name says which workspace (`status examples/ hero`, from above it).
    where = [p for p in target.paths if (target.cwd / p).exists()]
    root = peek_settings(where, target.cwd).root
    # The client of that workspace: the sandbox keeps its state at the workspace's root.
    whole = dataclasses.replace(target, paths=(str(root),))
    desired, warnings, _ = pipeline.load([root], cwd=target.cwd, cache=target.cache)

    async def go() -> ModelDetail | None:
        async with whole.client(desired) as client:
            live = await read_live(client, desired, full=False)
            key = pick_name(target.paths, keys_of(desired, live), target.cwd, live.workspace)
            if key is None:
                return None
            warn_all(warnings)
            return await read_detail(client, desired, live, key)

    return pipeline.run(go())


def keys_of(desired: Desired, live: Live) -> set[str]:
    """The workspace's model keys: declared, or carried by a live model's identity tag."""
    return {m.key for m in desired.models} | {m.recorded.key for m in live.models if m.recorded.key}


def pick_name(args: Sequence[str], keys: Collection[str], cwd: Path, workspace: str) -> str | None:
    """The one model key among `args`, or None when they are all paths (the table's). A key
    wins over a path of the same name, and a path beside a key only says where the workspace
    is; several keys, or an argument that is neither a key nor an existing path, is an error."""
    names = [a for a in args if a in keys]
    others = [a for a in args if a not in keys]
    missing = [a for a in others if _MAY_BE_KEY.fullmatch(a) and not (cwd / a).exists()]
    if missing:
        raise _unknown(missing[0], keys, workspace)
    if not names:
        return None
    if len(names) > 1:
        raise ConfigError(
            f"status shows one model at a time, got {len(names)}: {_quoted(names)}",
            hint=f"run `trainops status {names[0]}`, then the others; `trainops status` "
            "shows every model in a table",
        )
    return names[0]


def _unknown(arg: str, keys: Collection[str], workspace: str) -> ConfigError:
    close = difflib.get_close_matches(arg, sorted(keys), n=3, cutoff=0.6)
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif keys:
        listed = sorted(keys)
        more = len(listed) - MAX_NAMES_LISTED
        hint = f"its models: {', '.join(listed[:MAX_NAMES_LISTED])}" + (
            f" and {more} more" if more > 0 else ""
        )
    else:
        hint = "it has no models yet: no manifests, and no live model carries its tag"
    return ConfigError(
        f"{arg!r} is neither a model of workspace {workspace!r} nor a file or directory",
        hint=hint,
    )


def _quoted(items: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in items)


async def read_detail(client: Scenario, desired: Desired, live: Live, key: str) -> ModelDetail:
    """The model of `key` in full, with its training jobs."""
    declared = desired.by_key().get(key)
    adopted = declared.model_id if declared else None
    claims = [m for m in live.models if m.recorded.key == key or (adopted and m.id == adopted)]
    if len(claims) > 1:
        # Worded as a plan's refusal (`read._check_unique`).
        ids = " and ".join(sorted(m.id for m in claims))
        tag = identity_tag(live.workspace, key)
        raise LiveStateError(
            f"models {ids} both claim key {key!r} of workspace {live.workspace!r}",
            hint=f"keep one: delete the other model, or remove its tag {tag!r} (or fix "
            "spec.modelId)",
        )
    if not claims:
        return model_detail(live.workspace, key, declared, None)
    listed = claims[0]
    full, jobs = await asyncio.gather(client.get_model(listed.id), jobs_of(client, listed))
    # The record as this workspace sees it (its own identity tag), as the listing was read.
    full = dataclasses.replace(full, recorded=listed.recorded)
    return model_detail(live.workspace, key, declared, full, jobs)


async def jobs_of(client: Scenario, m: LiveModel) -> list[LiveJob]:
    """The model's training jobs, from the team's, and its latest job when the list misses it."""
    found = {j.id: j for j in await training_jobs(client) if j.model_id == m.id}
    if m.job_id and m.job_id not in found:
        try:
            found[m.job_id] = await client.get_job(m.job_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
    return list(found.values())
