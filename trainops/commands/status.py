"""`trainops status`: the live state of every model of the workspace, read the cheap way.

Reads only: the model listing (pages of up to 500), a GET for an adopted model missing from it,
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
from trainops.desired import Desired, DesiredModel
from trainops.errors import ApiError
from trainops.live import LiveModel
from trainops.render.status import Report, build_report, render_status_json, render_status_text
from trainops.scenario.client import Scenario

Format = Literal["text", "json"]

# Model statuses whose latest job says more than the status itself.
_JOB_WORTH_READING = frozenset({"training", "failed"})


def run_status(target: Target, *, fmt: Format = "text") -> int:
    desired, warnings, _ = pipeline.load(target.paths, cwd=target.cwd)
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
    workspace = desired.workspace.name
    listing = await client.list_models()
    adopted = {m.model_id: m for m in desired.models if m.model_id}
    relevant = [m for m in listing if m.id in adopted or m.recorded.workspace == workspace]
    listed = {m.id for m in relevant}
    missing = [m for i, m in adopted.items() if i not in listed]
    fetched = await asyncio.gather(*(_fetch_adopted(client, m) for m in missing))
    relevant += [m for m in fetched if m is not None]
    live = await asyncio.gather(*(_with_job(client, m) for m in relevant))
    return build_report(workspace, desired.models, live)


async def _fetch_adopted(client: Scenario, m: DesiredModel) -> LiveModel | None:
    """An adopted model missing from the listing (another project, or a wrong id)."""
    try:
        return await client.get_model(str(m.model_id))
    except ApiError as exc:
        if exc.status == 404:
            return None  # shown as "not created"; `plan` names the wrong id
        raise


async def _with_job(client: Scenario, m: LiveModel) -> LiveModel:
    if m.job_id is None or m.status not in _JOB_WORTH_READING:
        return m
    try:
        return dataclasses.replace(m, job=await client.get_job(m.job_id))
    except ApiError as exc:
        if exc.status != 404:
            raise
        return m
