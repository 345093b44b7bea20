"""Reading the live state the cheap way: list every private model in pages, keep this workspace's,
and fetch a model in full (GET /models/{id}) only when its listing shows it may have changed.

A warm re-plan of unchanged trained models therefore costs only the list pages: a listing carries
status, tags (so the recorded fingerprint), parameters, `trainingImagesNumber` and a preview of at
most 3 images, which is enough to prove "nothing changed" but not enough to say *what* changed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import Any

from trainops.desired import SECRET_PARAMETERS, Desired, DesiredModel
from trainops.errors import ApiError, TrainopsError
from trainops.live import Live, LiveModel
from trainops.scenario.client import Json, Scenario
from trainops.scenario.parse import parse_job, parse_model
from trainops.tags import FP_LEN, parse_image_name, parse_recorded, probe_name, probe_tag

# Statuses whose latest job matters: its progress (training) or its error (failed).
_JOB_STATUSES = frozenset({"training", "failed"})
_SLICE = 25  # listed models planned between two turns of the event loop (~2 ms)


class LiveStateError(TrainopsError):
    """The live models are ambiguous for this workspace (e.g. two claim the same key)."""


class Pages:
    """The model list (`Scenario.model_pages()`) fetched ahead, page by page, in a task of its
    own from the moment this is created: the first page is in flight while the manifests load
    (see `engine.load_and_plan`), and the next while `read_live` works on the last. Iterate it
    once; `cancel` it if it will not be."""

    def __init__(self, source: AsyncIterable[list[Json]]) -> None:
        self._queue: asyncio.Queue[list[Json] | Exception | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._fetch(source))

    async def _fetch(self, source: AsyncIterable[list[Json]]) -> None:
        try:
            async for page in source:
                self._queue.put_nowait(page)
        except Exception as exc:  # raised where the pages are read, not lost in this task
            self._queue.put_nowait(exc)
        else:
            self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[list[Json]]:
        while (item := await self._queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item

    async def cancel(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def read_live(client: Scenario, desired: Desired, *, pages: Pages | None = None) -> Live:
    """Every live model this workspace manages (identity tag) or adopts (`spec.modelId`).

    Each page of the model list is planned as it arrives: the models of one page are built, and
    the full reads they need started, while the next page is on its way. `pages` is the list
    when its fetch was started earlier.
    """
    pages = pages if pages is not None else Pages(client.model_pages())
    workspace = desired.workspace.name
    adopted = {m.model_id: m for m in desired.models if m.model_id}
    by_key = desired.by_key()
    listing: list[Json] = []
    relevant: list[Json] = []
    models: list[LiveModel] = []
    reads: list[asyncio.Task[LiveModel | None]] = []
    taken: set[object] = set()

    def take(raw: Json, d: DesiredModel | None) -> None:
        if raw["id"] in taken:
            return  # listed twice: pages shifted under a concurrent write
        taken.add(raw["id"])
        relevant.append(raw)
        if may_have_changed(raw, d) or _needs_job(raw):
            reads.append(asyncio.create_task(_read_one(client, raw, d)))
        else:  # the common case of a re-plan: no request, and no task to schedule either
            models.append(parse_model(raw, complete=False))

    try:
        async for page in pages:
            listing += page
            for n, raw in enumerate(page, 1):
                if raw.get("id") in adopted:
                    take(raw, adopted[raw["id"]])
                elif _claimed_by(raw, workspace):
                    take(raw, _keyed(raw, workspace, by_key))
                if n % _SLICE == 0:
                    # Let the loop run: the next page's request (and the full reads just
                    # started) get sent now, not after this whole page was worked through.
                    await asyncio.sleep(0)
        missing = {i: m for i, m in adopted.items() if i not in taken}
        for raw in await _fetch_adopted(client, missing):
            take(raw, adopted[str(raw["id"])])
        _check_unique(relevant, workspace, desired)
        models += [m for m in await asyncio.gather(*reads) if m is not None]
    finally:  # on an error: no request left running, and none of their errors left unretrieved
        for task in reads:
            task.cancel()
        await asyncio.gather(pages.cancel(), *reads, return_exceptions=True)
    return Live(
        workspace=workspace,
        models=tuple(sorted(models, key=lambda m: m.id)),
        probes=_probes(listing, workspace),
    )


def _probes(listing: Sequence[Json], workspace: str) -> dict[str, str]:
    """This workspace's price probes by type: still empty and never trained, so a dry run on one
    honours `trainingImagesCount` exactly."""
    tag = probe_tag(workspace)
    out: dict[str, str] = {}
    for raw in sorted(listing, key=lambda m: str(m.get("id"))):
        usable = raw.get("status") == "new" and not raw.get("trainingImagesNumber")
        tags = _tags(raw)
        # Untagged with the probe's name: a probe whose create timed out before it was tagged.
        ours = tag in tags or (not tags and raw.get("name") == probe_name(str(raw.get("type"))))
        if usable and ours:
            out.setdefault(str(raw.get("type")), str(raw["id"]))
    return out


def _claimed_by(raw: Json, workspace: str) -> bool:
    return parse_recorded(_tags(raw)).workspace == workspace


def _keyed(raw: Json, workspace: str, by_key: Mapping[str, DesiredModel]) -> DesiredModel | None:
    recorded = parse_recorded(_tags(raw))
    if recorded.workspace != workspace or recorded.key is None:
        return None
    return by_key.get(recorded.key)


async def _fetch_adopted(client: Scenario, models: Mapping[str, DesiredModel]) -> list[Json]:
    """Adopted models missing from the listing (another project, or a wrong id)."""

    async def one(model_id: str, m: DesiredModel) -> Json:
        try:
            return await client.get_model(model_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            raise ApiError(
                f"{m.source}: spec.modelId: no model {model_id} in this team",
                status=404,
                hint="check the id, or remove spec.modelId to let trainops create the model",
            ) from exc

    return list(await asyncio.gather(*(one(i, m) for i, m in models.items())))


def _check_unique(relevant: Sequence[Json], workspace: str, desired: Desired) -> None:
    """Two live models claiming one key is an error naming both, never a silent pick."""
    claims: dict[str, set[str]] = defaultdict(set)
    for raw in relevant:
        recorded = parse_recorded(_tags(raw))
        if recorded.workspace == workspace and recorded.key:
            claims[recorded.key].add(str(raw["id"]))
    for m in desired.models:
        if m.model_id:
            claims[m.key].add(m.model_id)
    for key, ids in sorted(claims.items()):
        if len(ids) > 1:
            listed = " and ".join(sorted(ids))
            raise LiveStateError(
                f"models {listed} both claim key {key!r} of workspace {workspace!r}",
                hint=(
                    f"keep one: delete the other model, or remove its tag "
                    f"'trainops:{workspace}/{key}' (or fix spec.modelId)"
                ),
            )


async def _read_one(client: Scenario, raw: Json, desired: DesiredModel | None) -> LiveModel | None:
    complete = False
    if may_have_changed(raw, desired):
        try:
            raw = await client.get_model(str(raw["id"]))
        except ApiError as exc:
            if exc.status == 404:
                return None  # deleted between the listing and now: it is absent
            raise
        complete = True
    model = parse_model(raw, complete=complete)
    if _needs_job(raw):
        model = dataclasses.replace(model, job=parse_job(await client.get_job(str(raw["jobId"]))))
    return model


def _needs_job(raw: Json) -> bool:
    """Whether the model's latest job must be read: its progress (training), its error
    (failed), or whether the training a crashed apply marked pending was ever launched."""
    if not raw.get("jobId"):
        return False
    return (
        raw.get("status") in _JOB_STATUSES
        or parse_recorded(_tags(raw)).pending_fingerprint is not None
    )


def may_have_changed(raw: Json, desired: DesiredModel | None) -> bool:
    """Whether a listed model needs a full read before it can be planned."""
    if desired is None:
        return False  # an orphan is reported from its listing alone
    recorded = parse_recorded(_tags(raw))
    files = desired.training_files
    shas = {f.sha256[:16] for f in files}
    preview = [parse_image_name(str(i.get("name", "")))[0] for i in raw.get("trainingImages") or []]
    return (
        raw.get("status") != "trained"
        or raw.get("type") != desired.type
        or recorded.fingerprint != desired.fingerprint[:FP_LEN]
        or recorded.pending_fingerprint is not None
        or raw.get("trainingImagesNumber") != len(files)
        or any(sha not in shas for sha in preview)
        or _parameters_differ(raw.get("parameters") or {}, desired)
    )


def _parameters_differ(live: Mapping[str, Any], desired: DesiredModel) -> bool:
    # Only the declared keys: the API fills in defaults for the rest.
    return any(
        live.get(k) != v
        for k, v in desired.public_parameters().items()
        if k not in SECRET_PARAMETERS
    )


def _tags(raw: Json) -> list[str]:
    return [str(t) for t in raw.get("tags") or []]
