"""`trainops status`: the live state of every model of the workspace, read the cheap way.

Reads only: the model listing (pages of up to 500) through `read_live`, as a plan does but
without the full reads (`full=False`: a GET only for an adopted model missing from the listing),
and the latest job of models that are training or failed (for progress or the error). It never
fetches a model in full: status needs no image lists.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target, warn_all
from trainops.desired import Desired
from trainops.errors import ApiError
from trainops.live import LiveModel
from trainops.read import JOB_STATUSES, read_live
from trainops.render.status import Report, build_report, render_status_json, render_status_text
from trainops.scenario.client import Scenario

Format = Literal["text", "json"]


def run_status(target: Target, *, fmt: Format = "text") -> int:
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
