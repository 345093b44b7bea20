"""Triggering a training: priced if the plan could not, captions confirmed, the pending tag
first; a refusal by the team's limits deferred or queued (`trainops.schedule`); an ambiguous reply
recovered by re-reading the model, never by sending blindly again."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from trainops.apply.state import Run, out, write_tags
from trainops.apply.steps import record
from trainops.desired import DesiredModel
from trainops.errors import (
    AmbiguousWriteError,
    ApiError,
    CaptionError,
    TrainopsError,
    UnsafePlanError,
)
from trainops.live import LiveModel
from trainops.plan import ModelOutcome, ModelPlan, format_cu
from trainops.pricing import price_model
from trainops.read import JOB_SEARCH_SKEW_S, job_since
from trainops.redact import bounded
from trainops.schedule import Deferred
from trainops.tags import PENDING_PREFIX, UNKNOWN_JOB, pending_tag

RERUN = "run apply again to record it (it never trains twice)"
NO_JOB_ID = "its job id is unknown (the API did not return it): follow it with `trainops status`"


class _Unconfirmed(Exception):
    """A trigger was sent and no reply says whether it started a training."""


class _Stopped(Exception):
    """A training not triggered: another model failed under --fail-fast."""


async def train(r: Run, e: ModelPlan, d: DesiredModel, live: LiveModel) -> ModelOutcome:
    """Trigger on `live` as the file sync just read it. A training someone started since is
    refused by the API itself ("Model is already training"), so no re-read is needed."""
    params = d.resolved_parameters(r.opt.environ)
    if live.status == "training":
        return out(e, "skipped", "already training: not triggered again")
    if r.stop:  # models run at once: one may fail while the others are mid-way
        return out(e, "skipped", "not triggered: an earlier model failed (--fail-fast)")
    cost = e.estimated_cost
    if cost is None:
        cost = await _price_now(r, e, d, live.id)
    await _confirm_captions(r, d, live.id)
    # A trained model that names no job (`jobId` is optional): its previous job is unknown.
    before = live.job_id or (None if live.status == "new" else UNKNOWN_JOB)
    stale = [t for t in live.tags if t.startswith(PENDING_PREFIX)]
    first = [True]

    async def attempt() -> tuple[str | None, str]:
        """Mark pending, then trigger; sent again (`Launcher`) after a refusal by the team's
        limits, which `_trigger` has already unmarked."""
        if r.stop:
            raise _Stopped
        at = int(r.opt.clock())
        pending = pending_tag(d.fingerprint, at, before)
        old = [*(stale if first[0] else ()), *r.leftover.pop(live.id, [])]
        await write_tags(r, live.id, add=[pending], delete=[t for t in old if t != pending])
        first[0] = False
        r.sent[e.key] = None  # from here on a training may run: ^C must say so
        try:
            return await _trigger(r, live.id, params, live.job_id, pending, at), pending
        except TrainopsError:
            del r.sent[e.key]  # refused: nothing started
            raise

    try:
        job_id, pending = await r.launcher.launch(e.key, attempt)
    except _Unconfirmed as exc:
        return out(e, "unrecorded", f"a training may have started: {RERUN}; {exc}")
    except _Stopped:
        return out(e, "skipped", "not triggered: an earlier model failed (--fail-fast)")
    except Deferred as exc:
        r.say(f"{e.key}: {exc.detail}")
        return out(e, "deferred", exc.detail, deferred_by=exc.by)
    except ApiError as exc:
        if exc.status == 400 and "already training" in exc.message.lower():
            return out(e, "skipped", "already training (started elsewhere): not triggered")
        raise
    r.sent[e.key] = job_id
    # The tags as the pending update left them: no re-read just to learn them.
    tags = (*(t for t in live.tags if t not in stale), pending)
    try:
        await record(r, dataclasses.replace(live, tags=tags), d)
    except TrainopsError as exc:
        detail = f"training started but not recorded: {RERUN}; {exc.message}"
        return out(e, "unrecorded", detail, job_id=job_id, cost=cost)
    started = "training started" if job_id else f"training started; {NO_JOB_ID}"
    return out(e, "done", started, job_id=job_id, cost=cost)


async def _confirm_captions(r: Run, d: DesiredModel, model_id: str) -> None:
    """Training uses each image's description as its caption: before a trigger, read the
    model and make sure each declared caption is what the API kept."""
    want = {f.sha_prefix: f for f in d.training_files if f.caption is not None}
    if not want:
        return
    now = await r.client.get_model(model_id)
    seen = {i.sha_prefix: i for i in now.images if i.sha_prefix in want}
    for sha, f in sorted(want.items(), key=lambda kv: kv[1].path):
        image = seen.get(sha)
        if image is not None and image.description != f.caption:
            raise CaptionError(
                f"not trained: the caption of {f.path} did not hold: the model's read shows "
                f"{bounded(image.description, 80)!r}, not the declared "
                f"{bounded(f.caption or '', 80)!r}",
                hint="apply again; if it persists, run `trainops doctor` and write the caption "
                "as the API keeps it",
            )
        # A complete read that lacks the image: the upload did not hold either.
        if image is None and len(now.images) >= now.images_count:
            raise CaptionError(
                f"not trained: {f.path} is not on model {model_id} after its upload",
                hint="apply again: it uploads what is missing",
            )


async def _price_now(r: Run, e: ModelPlan, d: DesiredModel, model_id: str) -> float | None:
    """A training the plan could not price (its model did not exist): price it on the model
    now, and refuse it when it would take the run over the budget."""
    cost, note = await price_model(r.client, model_id, d, mode=r.pricing)
    async with r.lock:
        total = r.committed + (cost or 0.0)
        if r.opt.limit is not None and (cost is None or total > r.opt.limit):
            what = f"{format_cu(cost)} CU" if cost is not None else f"unknown ({note})"
            raise UnsafePlanError(
                f"not trained: its cost {what} would take this apply to "
                f"{format_cu(total)} CU, over the limit of {format_cu(r.opt.limit)} CU",
                hint="raise --max-cost or `budget` in trainops.yaml, then apply again",
            )
        r.committed = total
    if cost is not None:
        r.say(f"{e.key}: priced at {format_cu(cost)} CU")
    return cost


async def _trigger(
    r: Run,
    model_id: str,
    params: Mapping[str, object],
    job_before: str | None,
    pending: str,
    at: int,
) -> str | None:
    """The job id of the training triggered (None: one started, its id unknown);
    `_Unconfirmed` when a trigger was sent and whether it started a training is unknown;
    an `ApiError` when nothing started."""
    try:
        return await r.client.train(model_id, params)
    except AmbiguousWriteError as exc:
        unanswered = exc
    except TrainopsError:
        await _unpend(r, model_id, pending)
        raise
    try:
        now = await r.client.get_model(model_id)
    except TrainopsError as exc:
        reason = f"{unanswered.reason}, and the model could not be re-read"
        raise _Unconfirmed(f"the trigger was not confirmed: {reason}") from exc
    job_id = now.job_id if now.job_id != job_before else None
    if job_id is None and (now.status == "training" or now.job_id is None):
        # `jobId` is optional on a model: a training may have started (and even ended)
        # without the model naming it.
        try:
            job = await job_since(r.client, model_id, at - JOB_SEARCH_SKEW_S, not_job=job_before)
            job_id = job.id if job else None
        except TrainopsError as exc:
            if now.status != "training":
                reason = f"{unanswered.reason}, and the jobs could not be listed"
                raise _Unconfirmed(f"the trigger was not confirmed: {reason}") from exc
    if job_id is not None or now.status == "training":
        shown = f"job {job_id}" if job_id else "its job id unknown"
        r.say(f"{model_id}: the trigger's reply was lost but it was accepted ({shown})")
        return job_id
    # Not accepted: the model is unchanged, so one more send cannot double-bill.
    try:
        return await r.client.train(model_id, params)
    except AmbiguousWriteError as exc:
        raise _Unconfirmed(f"the trigger was sent twice, neither confirmed: {exc.reason}") from exc
    except TrainopsError:
        await _unpend(r, model_id, pending)
        raise


async def _unpend(r: Run, model_id: str, pending: str) -> None:
    """After a refused trigger (quota, 4xx), nothing started. Left behind, the pending tag
    would let the next plan take the previous training for this one and record inputs never
    trained; one that could not be removed goes with the next attempt's tag update."""
    try:
        await write_tags(r, model_id, delete=[pending])
    except TrainopsError:
        r.leftover.setdefault(model_id, []).append(pending)
