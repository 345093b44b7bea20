"""`trainops status`: the live state of every model of the workspace, read the cheap way.

Reads only: the model listing (pages of up to 500), a GET for an adopted model missing from it,
and the latest job of models that are training or failed (for progress or the error). It never
fetches a model in full: status needs no image lists.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target, warn_all
from trainops.desired import Desired, DesiredModel
from trainops.errors import ApiError
from trainops.live import LiveModel
from trainops.read import to_live_job, to_live_model
from trainops.render.status import Report, build_report, render_status_json, render_status_text
from trainops.scenario.client import Json, Scenario
from trainops.tags import parse_recorded

Format = Literal["text", "json"]

# Model statuses whose latest job says more than the status itself.
_JOB_WORTH_READING = frozenset({"training", "failed"})


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
    workspace = desired.workspace.name
    listing = await client.list_models()
    adopted = {m.model_id: m for m in desired.models if m.model_id}
    relevant = [
        raw
        for raw in listing
        if str(raw.get("id")) in adopted or parse_recorded(_tags(raw)).workspace == workspace
    ]
    listed = {str(raw["id"]) for raw in relevant}
    missing = [m for i, m in adopted.items() if i not in listed]
    fetched = await asyncio.gather(*(_fetch_adopted(client, m) for m in missing))
    relevant += [raw for raw in fetched if raw is not None]
    live = await asyncio.gather(*(_with_job(client, raw) for raw in relevant))
    return build_report(workspace, desired.models, live)


async def _fetch_adopted(client: Scenario, m: DesiredModel) -> Json | None:
    """An adopted model missing from the listing (another project, or a wrong id)."""
    try:
        return await client.get_model(str(m.model_id))
    except ApiError as exc:
        if exc.status == 404:
            return None  # shown as "not created"; `plan` names the wrong id
        raise


async def _with_job(client: Scenario, raw: Json) -> LiveModel:
    job = None
    job_id = raw.get("jobId")
    if job_id and raw.get("status") in _JOB_WORTH_READING:
        try:
            job = to_live_job(await client.get_job(str(job_id)))
        except ApiError as exc:
            if exc.status != 404:
                raise
    return to_live_model(raw, complete=False, job=job)


def _tags(raw: Json) -> list[str]:
    return [str(t) for t in raw.get("tags") or []]
