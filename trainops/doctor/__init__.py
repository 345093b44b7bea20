"""`trainops doctor`: what no document settles, checked against the account of one API key.

trainops relies on behaviour Scenario's documents leave open (scenario-api.md, sections 9 and
10): tags kept as written, image names kept, the whole image list in a single read, ... Each
check (`trainops.doctor.checks`) tries one of them on a scratch model and says what it saw. It
spends nothing: no training, only dry runs, a few uploads, and the scratch model, deleted at the
end.

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
import re
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from trainops.doctor.checks import check_deleted, guarded, list_models, run_checks
from trainops.doctor.report import (
    DELETED,
    DOCTOR_PREFIX,
    LEFTOVER_AGE,
    SCRATCH_TYPE,
    Check,
    Progress,
    Report,
    Scratch,
    Spec,
)
from trainops.errors import AmbiguousWriteError, ApiError
from trainops.tags import check_written

if TYPE_CHECKING:
    from trainops.live import LiveModel
    from trainops.scenario.client import Scenario

__all__ = ["DOCTOR_PREFIX", "LEFTOVER_AGE", "Check", "Report", "Scratch", "Spec", "diagnose"]

T = TypeVar("T")
_SCRATCH_NAME = re.compile(r"^trainops doctor [0-9a-f]{12}$")


async def diagnose(
    client: Scenario, scratch: Scratch, *, progress: Progress = lambda _: None
) -> Report:
    """Steps 1-4 of the module docstring. `scratch` says what became of the scratch model even
    when this is interrupted."""
    try:
        model = await _uninterrupted(_create(client, scratch))
        progress(f"scratch model {model.id} created")
        listing = await list_models(client)
        removed, kept = await _remove_leftovers(client, scratch, model, listing)
        checks = await run_checks(client, scratch, model, listing, progress)
    finally:
        await _delete(client, scratch)
    progress(f"scratch model {scratch.model_id} deleted")
    deleted = await guarded(DELETED, check_deleted(client, scratch))
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
        found = [m for m in await list_models(client) if m.name == scratch.name]
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
