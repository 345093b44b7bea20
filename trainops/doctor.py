"""`trainops doctor`: what no document settles, checked against the account of one API key.

trainops relies on behaviour Scenario's documents leave open (scenario-api.md, sections 9 and
10): tags kept as written, image names kept, the whole image list in a single read, ... Each
check below tries one of them on a scratch model and says what it saw. It spends nothing: no
training, only dry runs, a few uploads, and the scratch model, deleted at the end.

`diagnose` runs the steps:
    1. create one scratch model (`SCRATCH_TYPE`, named `trainops doctor <nonce>`) and tag it
       `trainops-doctor:<nonce>`, shielded from ^C so that a model it made is always known
    2. remove the leftovers of earlier runs that were killed: models carrying a doctor tag (or
       name), created over `LEFTOVER_AGE` before this run's by the API's clock; younger ones
       may be another doctor's, running now, and are left alone
    3. the checks, in order, each a `Check`; an API error fails that check, not the run
    4. delete the scratch model whatever happened (^C included), then check it left the listing

Verdicts: `ok`, `FAIL`, or `unknown` when the account cannot show it (no trained model to read a
`jobId` from). The run holds when no check failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from trainops import doctor_files
from trainops.errors import AmbiguousWriteError, ApiError, PaginationError
from trainops.scenario.uploads import fits_data_url
from trainops.tags import check_written, image_name

if TYPE_CHECKING:
    from trainops.live import LiveImage, LiveModel
    from trainops.scenario.client import Scenario

T = TypeVar("T")
Verdict = Literal["ok", "FAIL", "unknown"]
Progress = Callable[[str], None]

DOCTOR_PREFIX = "trainops-doctor:"
CASE_PREFIX = "Trainops-Doctor-Case:"  # upper case on purpose: does the API keep it?
SCRATCH_TYPE = "flux.1-lora"
SCRATCH_NAME = "trainops doctor"
_SCRATCH_NAME = re.compile(r"^trainops doctor [0-9a-f]{12}$")
LEFTOVER_AGE = 15 * 60.0  # seconds; a doctor run takes a minute or two
SMALL_IMAGES = 4  # with the large one, more than the 3 a listing previews
PAGES = 5  # pages of one model that the paging check follows, at most
CAPTION = "a flat colour swatch, uploaded by trainops doctor"
# A value equal to the documented default and an integer: an echo that drops defaults or turns
# every number into a float shows.
PARAMETERS: dict[str, object] = {"learningRate": 0.0001, "maxTrainSteps": 120}
BULK_REQUEST = "POST /models/get-bulk"  # its key in `Scenario.requests`
TRAINED_STATUSES = frozenset({"trained", "training", "failed", "training-canceled"})


@dataclass(frozen=True)
class Check:
    name: str
    expected: str
    seen: str
    verdict: Verdict
    remedy: str  # what trainops does about a FAIL

    def data(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    scratch: str  # the scratch model's id (deleted)
    removed: tuple[str, ...] = ()  # leftovers of earlier runs, deleted
    kept: tuple[str, ...] = ()  # recent doctor models left alone (another run's?)

    @property
    def holds(self) -> bool:
        return all(c.verdict != "FAIL" for c in self.checks)

    def data(self) -> dict[str, Any]:
        return {
            "format_version": "1.1",  # 1.1 added `command`
            "command": "doctor",
            "holds": self.holds,
            "scratch_model": self.scratch,
            "leftovers_removed": list(self.removed),
            "leftovers_kept": list(self.kept),
            "checks": [c.data() for c in self.checks],
        }


@dataclass
class Scratch:
    """The scratch model's fate, readable after a ^C: made (`model_id`) and `deleted` yet?"""

    nonce: str
    model_id: str | None = None
    deleted: bool = False
    # Every asset the checks uploaded: deleted after the model (an audio sample is on no model,
    # and nothing documents that deleting a model deletes its images' assets).
    assets: list[str] = dataclasses.field(default_factory=list)

    @property
    def tag(self) -> str:
        return f"{DOCTOR_PREFIX}{self.nonce}"

    @property
    def case_tag(self) -> str:
        return f"{CASE_PREFIX}{self.nonce}"

    @property
    def name(self) -> str:
        return f"{SCRATCH_NAME} {self.nonce}"


@dataclass(frozen=True)
class Spec:
    """A check's fixed words: what it tries, what trainops does when it fails."""

    name: str
    expected: str
    remedy: str

    def result(self, seen: str, ok: bool | None) -> Check:
        verdict: Verdict = "unknown" if ok is None else "ok" if ok else "FAIL"
        return Check(self.name, self.expected, seen, verdict, self.remedy)


TAGS = Spec(
    "tags kept verbatim",
    "a mixed-case tag reads back as written (reply, get, list)",
    "trainops writes lowercase tags only ([a-z0-9:._@/-], at most 64 characters)",
)
NAMES = Spec(
    "names kept",
    "model and file names read back as sent",
    "none: apply would take every file for a new one; do not apply, report it to Scenario",
)
SMALL = Spec(
    "small image upload",
    "images under 6 MB added as data URLs",
    "apply stops at that model with the API's error",
)
LARGE = Spec(
    "large image upload",
    "an image over 6 MB: POST /uploads, parts, complete, then assetIds",
    "apply stops at that model with the API's error",
)
AUDIO = Spec(
    "audio upload",
    "an audio sample: POST /uploads (kind audio), parts, complete",
    "apply stops at that voice model with the API's error",
)
FULL_LIST = Spec(
    "full image list",
    "a model's read lists trainingImagesNumber images",
    "trainops reads a short list again with get-bulk allTrainingImages, and stops that model "
    "if it is still short",
)
BULK_LIST = Spec(
    "full image list, get-bulk",
    "get-bulk allTrainingImages lists trainingImagesNumber images",
    "trainops stops that model rather than sync against a partial list",
)
CAPTION_KEPT = Spec(
    "caption kept",
    "an image's description reads back as set",
    "apply checks each caption after setting it and stops that model before its training",
)
PARAMETERS_KEPT = Spec(
    "parameters echoed",
    "read back as sent: same keys, values, JSON types",
    "plan compares parameters with what trainops sent, in one canonical form",
)
JOB_ID = Spec(
    "jobId on trained models",
    "trained models show their jobId",
    "trainops takes a new job's id from the trigger's reply, never from the model",
)
DELETED = Spec(
    "deleted model unlisted",
    "a deleted model leaves the listing",
    "trainops skips listed models that carry deletedAt",
)
DRY_RUNS = Spec(
    "dry runs: true and api",
    "both answer HTTP 269 with a price; the model does not train",
    "plans price with dryRun=api, the API keys' tier (`pricing:` in trainops.yaml); a dry run "
    "answered otherwise stops the plan",
)
PAGING = Spec(
    "paging never repeats",
    f"GET /models?pageSize=1: a new token each page (up to {PAGES} pages)",
    "trainops stops a listing at a token seen before, or past a page cap, with an error",
)


async def diagnose(
    client: Scenario, scratch: Scratch, *, progress: Progress = lambda _: None
) -> Report:
    """Steps 1-4 of the module docstring. `scratch` says what became of the scratch model even
    when this is interrupted."""
    try:
        model = await _uninterrupted(_create(client, scratch))
        progress(f"scratch model {model.id} created")
        listing = await _listing(client)
        removed, kept = await _remove_leftovers(client, scratch, model, listing)
        checks = await _checks(client, scratch, model, listing, progress)
    finally:
        await _delete(client, scratch)
    progress(f"scratch model {scratch.model_id} deleted")
    deleted = await _guarded(DELETED, _check_deleted(client, scratch))
    return Report((*checks, deleted), model.id, removed, kept)


async def _uninterrupted(work: Coroutine[Any, Any, T]) -> T:
    """`work`, finished even if this is cancelled (^C) meanwhile: a model it creates gets known
    (and tagged) before the cancel goes on, so the cleanup finds it."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


async def _create(client: Scenario, scratch: Scratch) -> LiveModel:
    try:
        model = await client.create_model(type=SCRATCH_TYPE, name=scratch.name)
    except AmbiguousWriteError:
        # The reply was lost, not necessarily the model: its name (with this run's nonce) finds it.
        found = [m for m in await _listing(client) if m.name == scratch.name]
        if not found:
            raise
        model = found[0]
    scratch.model_id = model.id
    # Stored otherwise, the tag would not find a leftover: stop (the model is deleted).
    check_written(await client.update_tags(model.id, add=[scratch.tag]), [scratch.tag], [])
    return model


async def _delete(client: Scenario, scratch: Scratch) -> None:
    if scratch.model_id is None or scratch.deleted:
        return
    try:
        await client.delete_model(scratch.model_id)
    except ApiError as exc:
        raise ApiError(
            f"could not delete the scratch model {scratch.model_id}: {exc.message}",
            status=exc.status,
            hint=f"a `trainops doctor` run {LEFTOVER_AGE // 60:.0f} minutes from now removes it "
            f"(models tagged {DOCTOR_PREFIX}*)",
        ) from exc
    scratch.deleted = True
    if scratch.assets:
        try:
            await client.delete_assets(scratch.assets)
        except ApiError as exc:
            # Files on no model cost no credits: worth a word, not the report.
            raise ApiError(
                f"the scratch model is deleted, but not the {len(scratch.assets)} file(s) the "
                f"doctor uploaded: {exc.message}",
                status=exc.status,
                hint="delete them in Scenario's web app (assets named doctor-*)",
            ) from exc
        scratch.assets.clear()


def _is_doctors(m: LiveModel) -> bool:
    return any(t.startswith(DOCTOR_PREFIX) for t in m.tags) or bool(
        _SCRATCH_NAME.match(m.name or "")
    )


async def _remove_leftovers(
    client: Scenario, scratch: Scratch, ours: LiveModel, listing: Sequence[LiveModel]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(removed, kept): the doctor models of earlier runs, by age against ours (the API's clock
    on both sides, so no skew)."""
    others = [m for m in listing if m.id != scratch.model_id and _is_doctors(m)]
    now = ours.created_at
    old = [
        m
        for m in others
        if now is None or m.created_at is None or now - m.created_at > LEFTOVER_AGE
    ]
    for m in old:
        await client.delete_model(m.id)
    kept = [m.id for m in others if m not in old]
    return tuple(m.id for m in old), tuple(kept)


async def _listing(client: Scenario, *, include_deleted: bool = False) -> list[LiveModel]:
    """Every listed model, or those of the pages before a token repeats: the paging check
    reports that; the other checks go on with what was listed."""
    out: list[LiveModel] = []
    with contextlib.suppress(PaginationError):
        async for page in client.model_pages(include_deleted=include_deleted):
            out += page
    return out


async def _guarded(spec: Spec, probe: Awaitable[Check]) -> Check:
    """The check's result; an API error is what it saw, and fails it."""
    try:
        return await probe
    except ApiError as exc:
        return spec.result(f"error: {exc.message}", False)


async def _checks(
    client: Scenario,
    scratch: Scratch,
    model: LiveModel,
    listing: Sequence[LiveModel],
    progress: Progress,
) -> list[Check]:
    model_id = model.id
    progress("checking tags")
    checks = [await _guarded(TAGS, _check_tags(client, scratch))]
    progress("uploading files")
    seed = int(scratch.nonce, 16)
    sent, small = await _upload_small(client, scratch, seed)
    large = doctor_files.large_png(seed)
    sent.append(_content_name(large, "doctor-large.png"))
    checks += [
        small,
        await _guarded(LARGE, _check_large(client, scratch, large, sent[-1])),
        await _guarded(AUDIO, _check_audio(client, scratch, seed)),
    ]
    checks.append(await _guarded(FULL_LIST, _check_full_read(client, model_id)))
    bulk = await client.get_models_bulk([model_id], all_training_images=True)
    read = bulk[0] if bulk else await client.get_model(model_id)
    checks += [
        BULK_LIST.result(*_bulk_seen(read) if bulk else ("model missing", False)),
        NAMES.result(*_names_seen(scratch.name, model.name, sent, read.images or read.preview)),
        CAPTION_KEPT.result(*_caption_seen(read.images or read.preview)),
    ]
    progress("checking parameters")
    checks.append(await _guarded(PARAMETERS_KEPT, _check_parameters(client, model_id)))
    progress("pricing with dry runs")
    checks.append(await _guarded(DRY_RUNS, _check_dry_runs(client, model_id)))
    checks.append(JOB_ID.result(*_job_ids_seen(listing)))
    progress("checking paging")
    checks.append(await _guarded(PAGING, _check_paging(client)))
    return checks


async def _check_tags(client: Scenario, scratch: Scratch) -> Check:
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    reply = await client.update_tags(scratch.model_id, add=[scratch.case_tag])
    got = await client.get_model(scratch.model_id)
    listed = [m for m in await _listing(client) if m.id == scratch.model_id]
    sent = scratch.case_tag
    seen = {
        "reply": _tag_like(reply.added, sent),
        "get": _tag_like(got.tags, sent),
        "list": _tag_like(listed[0].tags, sent) if listed else "model not listed",
    }
    if all(v == sent for v in seen.values()):
        return TAGS.result("as written in the reply, get and list", True)
    return TAGS.result("; ".join(f"{k}: {v}" for k, v in seen.items()), False)


def _tag_like(tags: Sequence[str], sent: str) -> str:
    """The tag among `tags` that stands for `sent` (as written, or changed), or `missing`."""
    for tag in tags:
        if tag == sent or tag.lower() == sent.lower():
            return tag
    return "missing"


def _content_name(data: bytes, file_name: str) -> str:
    """The name apply gives an upload (its content hash first): the one to read back."""
    return image_name(hashlib.sha256(data).hexdigest(), file_name)


async def _upload_small(client: Scenario, scratch: Scratch, seed: int) -> tuple[list[str], Check]:
    """The names sent, and the small-image check: SMALL_IMAGES data URLs, the first captioned."""
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    model_id = scratch.model_id
    sent: list[str] = []
    try:
        for i in range(SMALL_IMAGES):
            data = doctor_files.small_png(seed + i)
            name = _content_name(data, f"doctor-{i + 1}.png")
            caption = CAPTION if i == 0 else None
            image = await client.add_training_image(
                model_id, name=name, data=data, mime="image/png", description=caption
            )
            scratch.assets.append(image.id)
            sent.append(name)
    except ApiError as exc:
        return sent, SMALL.result(f"error: {exc.message}", False)
    return sent, SMALL.result(f"{len(sent)} added", True)


async def _check_large(client: Scenario, scratch: Scratch, data: bytes, name: str) -> Check:
    # Made over the limit by construction: were it not, this would try the data URL path.
    assert not fits_data_url(data, "image/png")  # noqa: S101
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    asset = await client.upload_asset(name=name, data=data, mime="image/png")
    scratch.assets.append(asset)
    await client.add_training_images(scratch.model_id, [asset])
    return LARGE.result(f"{len(data) / 1e6:.1f} MB added as asset {asset}", True)


async def _check_audio(client: Scenario, scratch: Scratch, seed: int) -> Check:
    data = doctor_files.wav(seed)
    asset = await client.upload_asset(name="doctor-voice.wav", data=data, mime="audio/wav")
    scratch.assets.append(asset)
    return AUDIO.result(f"asset {asset}", True)


def _full_name(image: LiveImage) -> str:
    return f"{image.sha_prefix}-{image.name}" if image.sha_prefix else image.name


def _names_seen(
    sent_model: str, got_model: str | None, sent: Sequence[str], images: Sequence[LiveImage]
) -> tuple[str, bool]:
    # Only the names shown: a short list is the full-list check's to report.
    changed = [n for i in images if (n := _full_name(i)) not in sent]
    if got_model != sent_model:
        return f"model named {got_model!r}", False
    if changed:
        return f"{len(changed)} of {len(images)} file names changed (e.g. {changed[0]})", False
    return f"model and {len(images)} file names as sent", True


async def _check_full_read(client: Scenario, model_id: str) -> Check:
    """`Scenario.get_model` reads a short list again with get-bulk (issue 12, item 2), hiding
    what GET itself showed: the get-bulk request it then counts is how the short GET shows."""
    before = client.requests[BULK_REQUEST]
    read = await client.get_model(model_id)
    total = read.images_count
    if client.requests[BULK_REQUEST] > before:
        return FULL_LIST.result(f"fewer than trainingImagesNumber {total}", False)
    return FULL_LIST.result(f"{len(read.images)} of trainingImagesNumber {total}", True)


def _bulk_seen(read: LiveModel) -> tuple[str, bool]:
    shown = len(read.images) if read.complete else len(read.preview)
    return f"{shown} of trainingImagesNumber {read.images_count}", read.complete


def _caption_seen(images: Sequence[LiveImage]) -> tuple[str, bool]:
    first = [i for i in images if i.name == "doctor-1.png"]
    if not first:
        return "the captioned image is missing", False
    got = first[0].description
    return ("as set", True) if got == CAPTION else (f"{got!r}", False)


async def _check_parameters(client: Scenario, model_id: str) -> Check:
    await client.update_model(model_id, parameters=PARAMETERS)
    got = (await client.get_model(model_id)).parameters
    if not got:
        return PARAMETERS_KEPT.result("no parameters at all", False)
    # JSON, not ==: 120 == 120.0 in Python, and the echo turning an integer into a float is
    # what this looks for.
    shown = json.dumps(dict(got), sort_keys=True)
    return PARAMETERS_KEPT.result(
        "as sent" if shown == json.dumps(PARAMETERS, sort_keys=True) else shown,
        shown == json.dumps(PARAMETERS, sort_keys=True),
    )


async def _check_dry_runs(client: Scenario, model_id: str) -> Check:
    web = await client.dry_run(model_id, PARAMETERS, mode="true")
    api = await client.dry_run(model_id, PARAMETERS, mode="api")
    after = await client.get_model(model_id)
    if after.status != "new" or after.job_id is not None:
        return DRY_RUNS.result(f"the model is {after.status} after the dry runs", False)
    if web.cost is None or api.cost is None:
        return DRY_RUNS.result(f"no price (true: {web.cost}, api: {api.cost})", False)
    same = " (the same)" if web.cost == api.cost else ""
    return DRY_RUNS.result(f"true: {web.cost:g} CU, api: {api.cost:g} CU{same}", True)


def _job_ids_seen(listing: Sequence[LiveModel]) -> tuple[str, bool | None]:
    trained = [m for m in listing if m.status in TRAINED_STATUSES]
    if not trained:
        return "no trained model in this account to read one from", None
    missing = [m for m in trained if m.job_id is None]
    return f"{len(trained) - len(missing)} of {len(trained)} show one", not missing


async def _check_deleted(client: Scenario, scratch: Scratch) -> Check:
    everything = await _listing(client, include_deleted=True)
    listed = [m for m in everything if m.id == scratch.model_id]
    if not listed:
        return DELETED.result("gone", True)
    if listed[0].deleted_at is not None:
        return DELETED.result("still listed, with deletedAt", False)
    return DELETED.result("still listed, without deletedAt", False)


async def _check_paging(client: Scenario) -> Check:
    pages = 0
    try:
        async for _ in client.model_pages(page_size=1, include_deleted=True):
            pages += 1
            if pages == PAGES:
                break
    except PaginationError:
        return PAGING.result(f"a token repeated after {pages} page(s)", False)
    if pages < 2:
        # One page has no token to repeat: nothing was tried.
        return PAGING.result("1 page: the account lists too few models to page through", None)
    return PAGING.result(f"{pages} pages, no token repeated", True)
