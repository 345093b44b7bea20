"""The doctor's checks, in order (step 3 of `trainops.doctor`): each tries one behaviour on the
scratch model and says what it saw; an API error fails that check, not the run."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from trainops.doctor import files
from trainops.doctor.report import (
    AUDIO,
    BULK_LIST,
    BULK_REQUEST,
    CAPTION_KEPT,
    DELETED,
    DRY_RUNS,
    FULL_LIST,
    JOB_ID,
    LARGE,
    NAMES,
    PAGES,
    PAGING,
    PARAMETERS,
    PARAMETERS_KEPT,
    TAGS,
    TRAINED_STATUSES,
    Check,
    Progress,
    Scratch,
    Spec,
)
from trainops.doctor.uploads import (
    caption_seen,
    check_audio,
    check_large,
    content_name,
    names_seen,
    upload_small,
)
from trainops.errors import ApiError, PaginationError

if TYPE_CHECKING:
    from trainops.live import LiveModel
    from trainops.scenario.client import Scenario


async def list_models(client: Scenario, *, include_deleted: bool = False) -> list[LiveModel]:
    """Every listed model, or those of the pages before a token repeats: the paging check
    reports that; the other checks go on with what was listed."""
    out: list[LiveModel] = []
    with contextlib.suppress(PaginationError):
        async for page in client.model_pages(include_deleted=include_deleted):
            out += page
    return out


async def guarded(spec: Spec, probe: Awaitable[Check]) -> Check:
    """The check's result; an API error is what it saw, and fails it."""
    try:
        return await probe
    except ApiError as exc:
        return spec.result(f"error: {exc.message}", False)


async def run_checks(
    client: Scenario,
    scratch: Scratch,
    model: LiveModel,
    listing: Sequence[LiveModel],
    progress: Progress,
) -> list[Check]:
    model_id = model.id
    progress("checking tags")
    checks = [await guarded(TAGS, _check_tags(client, scratch))]
    progress("uploading files")
    seed = int(scratch.nonce, 16)
    sent, small = await upload_small(client, scratch, seed)
    large = files.large_png(seed)
    sent.append(content_name(large, "doctor-large.png"))
    checks += [
        small,
        await guarded(LARGE, check_large(client, scratch, large, sent[-1])),
        await guarded(AUDIO, check_audio(client, scratch, seed)),
    ]
    checks.append(await guarded(FULL_LIST, _check_full_read(client, model_id)))
    bulk = await client.get_models_bulk([model_id], all_training_images=True)
    read = bulk[0] if bulk else await client.get_model(model_id)
    checks += [
        BULK_LIST.result(*_bulk_seen(read) if bulk else ("model missing", False)),
        NAMES.result(*names_seen(scratch.name, model.name, sent, read.images or read.preview)),
        CAPTION_KEPT.result(*caption_seen(read.images or read.preview)),
    ]
    progress("checking parameters")
    checks.append(await guarded(PARAMETERS_KEPT, _check_parameters(client, model_id)))
    progress("pricing with dry runs")
    checks.append(await guarded(DRY_RUNS, _check_dry_runs(client, model_id)))
    checks.append(JOB_ID.result(*_job_ids_seen(listing)))
    progress("checking paging")
    checks.append(await guarded(PAGING, _check_paging(client)))
    return checks


async def _check_tags(client: Scenario, scratch: Scratch) -> Check:
    assert scratch.model_id is not None  # noqa: S101  (set by _create, before any check)
    reply = await client.update_tags(scratch.model_id, add=[scratch.case_tag])
    got = await client.get_model(scratch.model_id)
    listed = [m for m in await list_models(client) if m.id == scratch.model_id]
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


async def check_deleted(client: Scenario, scratch: Scratch) -> Check:
    everything = await list_models(client, include_deleted=True)
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
