"""Reading the live state the cheap way: list every private model in pages, keep this workspace's,
and fetch a model in full (GET /models/{id}) only when its listing shows it may have changed.

A warm re-plan of unchanged trained models therefore costs only the list pages: a listing carries
status, tags (so the recorded fingerprint), parameters, `trainingImagesNumber` and a preview of at
most 3 images, which is enough to prove "nothing changed" but not enough to say *what* changed.

`trainops status` reads through here too, the listing alone (`full=False`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime, timezone

from trainops.desired import Desired, DesiredModel
from trainops.echo import differing
from trainops.errors import ApiError, IncompleteModelError, LiveStateError
from trainops.leaks import leaked
from trainops.live import Live, LiveJob, LiveModel
from trainops.scenario.client import Scenario
from trainops.tags import (
    FP_LEN,
    FP_PREFIX,
    IDENTITY_PREFIX,
    PENDING_PREFIX,
    identity_tag,
    probe_tag,
    workspace_slug,
)

# How far before a pending tag's time its job may have been created: the API's clock is not ours.
JOB_SEARCH_SKEW_S = 300
# Statuses whose latest job matters: its progress (training) or its error (failed).
JOB_STATUSES = frozenset({"training", "failed"})
_SLICE = 25  # listed models handed over between two turns of the event loop (see `Pages`)


class Pages:
    """The model list (`Scenario.model_pages()`) fetched ahead, page by page, in a task of its
    own from the moment this is created: the first page is in flight while the manifests load
    (see `pipeline.load_and_plan`), and the next while `read_live` works on the last. Iterate it
    once; `cancel` it if it will not be.

    A page comes out in slices of `_SLICE` models with a turn of the event loop between two, so
    that what the caller starts while working through a slice (the full reads), and the next
    page's request, are sent at once rather than after the whole page (up to 500 models) was
    worked through. `benchmarks/scale.py` ("plan after N changes") measures the effect.
    """

    def __init__(self, source: AsyncIterable[list[LiveModel]]) -> None:
        self._queue: asyncio.Queue[list[LiveModel] | Exception | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._fetch(source))

    async def _fetch(self, source: AsyncIterable[list[LiveModel]]) -> None:
        try:
            async for page in source:
                self._queue.put_nowait(page)
        except Exception as exc:  # raised where the pages are read, not lost in this task
            self._queue.put_nowait(exc)
        else:
            self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[list[LiveModel]]:
        while (page := await self._queue.get()) is not None:
            if isinstance(page, Exception):
                raise page
            for start in range(0, len(page), _SLICE):
                if start:
                    await asyncio.sleep(0)
                yield page[start : start + _SLICE]

    async def cancel(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def read_live(
    client: Scenario, desired: Desired, *, pages: Pages | None = None, full: bool = True
) -> Live:
    """Every live model this workspace manages (identity tag) or adopts (`spec.modelId`), its
    price probes, and the models a create left untagged that it may claim (`trainops.leaks`).

    Each page of the model list is planned as it arrives: the models of one page are taken, and
    the full reads they need started, while the next page is on its way. `pages` is the list
    when its fetch was started earlier.

    `full=False` is the listing alone, as `trainops status` shows it: no model is read in full
    and no job is read, and nothing a plan must refuse is refused (an adopted id that does not
    exist is left out; two models claiming one key are both kept).
    """
    pages = pages if pages is not None else Pages(client.model_pages())
    workspace = desired.workspace.name
    adopted = {m.model_id: m for m in desired.models if m.model_id}
    # A model still tagged with a previous key is read as the model it became (a rename,
    # `trainops.diff`): a full read when it may have changed, as any other.
    by_key = {**desired.by_previous_name(), **desired.by_key()}
    known = frozenset(by_key)  # resolves keys an identity tag carries shortened
    kinds = {(m.type, m.name) for m in desired.models if not m.model_id}
    listing: list[LiveModel] = []
    taken: dict[str, LiveModel] = {}
    reads: dict[str, asyncio.Task[LiveModel | None]] = {}  # model id -> its full read

    def take(m: LiveModel, d: DesiredModel | None) -> None:
        if m.id in taken:
            return  # listed twice: pages shifted under a concurrent write
        taken[m.id] = m = _as_seen_by(m, workspace, known)
        if full and (may_have_changed(m, d) or _job_to_read(m)):
            reads[m.id] = asyncio.create_task(_read_one(client, m, d))

    try:
        async for batch in pages:
            listing += batch
            for m in batch:
                if m.id in adopted:
                    take(m, adopted[m.id])
                elif keys := m.recorded.keys(workspace, known):
                    take(m, by_key.get(keys[0]) if len(keys) == 1 else None)
        missing = {i: m for i, m in adopted.items() if i not in taken}
        for m in await _fetch_adopted(client, missing, strict=full):
            take(m, adopted[m.id])
        if full:
            _check_records(taken.values(), workspace, known)
            _check_unique(taken.values(), workspace, desired)
        done = await asyncio.gather(*reads.values())
    finally:  # on an error: no request left running, and none of their errors left unretrieved
        for task in reads.values():
            task.cancel()
        await asyncio.gather(pages.cancel(), *reads.values(), return_exceptions=True)
    # A model read again is that read, or gone when it was deleted meanwhile.
    fresh = dict(zip(reads, done, strict=True))
    models = [fresh.get(i, m) for i, m in taken.items()]
    return Live(
        workspace=workspace,
        models=tuple(
            sorted(
                (_as_seen_by(m, workspace, known) for m in models if m is not None),
                key=lambda m: m.id,
            )
        ),
        probes=_probes(listing, workspace),
        leaked=tuple(m for m in leaked(listing, kinds) if m.id not in taken),
    )


def _probes(listing: Sequence[LiveModel], workspace: str) -> dict[str, str]:
    """This workspace's price probes by type: still empty and never trained, so a dry run on one
    honours `trainingImagesCount` exactly. Only tagged ones: an untagged one (its create was
    cut off before its tag) is `Live.leaked`, for a plan to claim before it uses it."""
    tag = probe_tag(workspace)
    out: dict[str, str] = {}
    for m in sorted(listing, key=lambda m: m.id):
        if m.status == "new" and not m.images_count and tag in m.tags:
            out.setdefault(m.type, m.id)
    return out


async def _fetch_adopted(
    client: Scenario, models: Mapping[str, DesiredModel], *, strict: bool
) -> list[LiveModel]:
    """Adopted models missing from the listing (another project, or a wrong id)."""

    async def one(model_id: str, m: DesiredModel) -> LiveModel | None:
        try:
            return await client.get_model(model_id)
        except IncompleteModelError as exc:
            return exc.model  # planned from what it shows; its apply stops on the same error
        except ApiError as exc:
            if exc.status != 404:
                raise
            if not strict:
                return None
            raise ApiError(
                f"{m.source}: spec.modelId: no model {model_id} in this team",
                status=404,
                hint="check the id, or remove spec.modelId to let trainops create the model",
            ) from exc

    found = await asyncio.gather(*(one(i, m) for i, m in models.items()))
    return [m for m in found if m is not None]


def _as_seen_by(m: LiveModel, workspace: str, known: frozenset[str]) -> LiveModel:
    """`m` with its record as `workspace` sees it: its own identity tag, whatever else it has."""
    return dataclasses.replace(m, recorded=m.recorded.of(workspace, known))


def _check_records(models: Iterable[LiveModel], workspace: str, known: frozenset[str]) -> None:
    """A model of this workspace that records its key, its fingerprint or a pending trigger twice
    is an error naming the tags: either pick could train it again or skip a needed training."""
    for m in sorted(models, key=lambda m: m.id):
        if len(keys := m.recorded.keys(workspace, known)) > 1:
            idents = [identity_tag(workspace, k) for k in keys]
            raise LiveStateError(
                f"model {m.id} carries {_count(idents)} identity tags of workspace "
                f"{workspace!r}: {_listed(idents)}",
                hint=(
                    f"remove the tag of the key that must not manage it "
                    f"(`{IDENTITY_PREFIX}{workspace_slug(workspace)}/<key>`); a model belongs to "
                    "one manifest"
                ),
            )
        for tags in m.recorded.conflicts:
            kind = tags[0].partition(":")[0]
            raise LiveStateError(
                f"model {m.id} carries {_count(tags)} {kind} tags: {_listed(tags)}",
                hint=_CONFLICT_HINTS[kind + ":"],
            )


_CONFLICT_HINTS = {
    FP_PREFIX: (
        "trainops cannot tell which inputs it was trained on: remove the tag that does not "
        "match its last training, or both to train it again on the declared inputs"
    ),
    PENDING_PREFIX: (
        "two triggers were left unrecorded: wait until its training ends (`trainops status`), "
        "then remove both tags; the next plan trains it again unless its recorded "
        f"fingerprint ({FP_PREFIX}) is the declared one"
    ),
}


def _count(items: Sequence[str]) -> str:
    return "two" if len(items) == 2 else str(len(items))


def _listed(items: Sequence[str]) -> str:
    quoted = [repr(i) for i in items]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _check_unique(models: Iterable[LiveModel], workspace: str, desired: Desired) -> None:
    """Two live models claiming one key is an error naming both, never a silent pick. A claim
    is the identity tag, or a manifest's `spec.modelId` for its key."""
    claims: dict[str, set[str]] = defaultdict(set)
    for m in models:
        if m.recorded.key:  # as this workspace sees it (`_as_seen_by`)
            claims[m.recorded.key].add(m.id)
    for d in desired.models:
        if d.model_id:
            claims[d.key].add(d.model_id)
    for key, ids in sorted(claims.items()):
        if len(ids) > 1:
            listed = " and ".join(sorted(ids))
            raise LiveStateError(
                f"models {listed} both claim key {key!r} of workspace {workspace!r}",
                hint=(
                    f"keep one: delete the other model, or remove its tag "
                    f"{identity_tag(workspace, key)!r} (or fix spec.modelId)"
                ),
            )


async def _read_one(
    client: Scenario, listed: LiveModel, desired: DesiredModel | None
) -> LiveModel | None:
    model = listed
    if not listed.complete and may_have_changed(listed, desired):
        try:
            model = await client.get_model(listed.id)
        except IncompleteModelError as exc:
            # The API shows part of its list only: planned from the part it shows (`complete`
            # False: compared by fingerprint, no image change invented); its apply stops with
            # this same error rather than sync against a partial list.
            model = exc.model
        except ApiError as exc:
            if exc.status == 404:
                return None  # deleted between the listing and now: it is absent
            raise
    if job_id := _job_to_read(model):
        model = dataclasses.replace(model, job=await client.get_job(job_id))
    elif model.recorded.pending_at is not None and model.job_id is None and model.status != "new":
        # `jobId` is optional: whether the pending trigger launched a job is read in the jobs.
        job = await job_since(client, model.id, model.recorded.pending_at - JOB_SEARCH_SKEW_S)
        model = dataclasses.replace(model, job=job)
    return model


async def job_since(
    client: Scenario, model_id: str, since: float, *, not_job: str | None = None
) -> LiveJob | None:
    """The model's newest job created after `since` (other than `not_job`), from the team's
    jobs: for a model that does not name its job (`jobId` is optional)."""
    after = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    found = [
        j
        for j in await client.list_jobs(created_after=after)
        if j.model_id == model_id
        and j.id != not_job
        and (j.created_at is None or j.created_at >= since)
    ]
    return max(found, key=lambda j: (j.created_at or 0.0, j.id), default=None)


def _job_to_read(m: LiveModel) -> str | None:
    """The model's latest job when it must be read: its progress (training), its error
    (failed), or whether the training a crashed apply marked pending was ever launched."""
    if m.job_id and (m.status in JOB_STATUSES or m.recorded.pending_fingerprint is not None):
        return m.job_id
    return None


def may_have_changed(m: LiveModel, desired: DesiredModel | None) -> bool:
    """Whether a listed model needs a full read before it can be planned."""
    if desired is None:
        return False  # an orphan is reported from its listing alone
    files = desired.training_files
    shas = {f.sha_prefix for f in files}
    captions = {f.sha_prefix: f.caption for f in files if f.caption is not None}
    shown = m.images if m.complete else m.preview
    return (
        m.status != "trained"
        or m.type != desired.type
        or m.recorded.fingerprint != desired.fingerprint[:FP_LEN]
        or m.recorded.pending_fingerprint is not None
        or m.images_count != len(files)
        or any(i.sha_prefix not in shas for i in shown)
        # A caption the listing shows (its preview's) that is not the declared one.
        or any(captions.get(i.sha_prefix or "", i.description) != i.description for i in shown)
        or bool(differing(desired.type, desired.parameters, m.parameters, m.images_count))
    )


# The training job types (scenario-api.md §2.4); a voice clone trains as `model-training`.
TRAINING_JOB_TYPES = ("model-training", "flux-model-training", "musubi-model-training")


async def training_jobs(client: Scenario) -> list[LiveJob]:
    """The team's training jobs, in one listing: the API does not filter jobs by model, so a
    caller picks a model's by `LiveJob.model_id` (`metadata.outputModelId`)."""
    return await client.list_jobs(types=",".join(TRAINING_JOB_TYPES))
