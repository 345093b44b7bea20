"""One model's entry of the plan to its outcome: dispatched by action, a running training waited
for (`--wait`) or replaced (`--replace-running`), any error made that model's `failed` outcome,
and what a ^C leaves behind."""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path

from trainops.apply.state import Run, out
from trainops.apply.steps import create, delete_orphan, metadata, rename
from trainops.apply.trigger import train
from trainops.desired import DesiredModel
from trainops.errors import Interrupted, TrainopsError
from trainops.plan import ModelOutcome, ModelPlan
from trainops.redact import bounded
from trainops.sync import sync_files

MAX_QUOTED = 300  # characters of an unexpected error's text in a model's outcome
PENDING_LEFT = (
    "a training is running on other inputs: the declared inputs train when it ends "
    "(`apply --wait` waits for it; the next apply trains them)"
)


async def run_entry(r: Run, e: ModelPlan, d: DesiredModel | None) -> ModelOutcome:
    """One model's entry; whatever it raises becomes its `failed` outcome, so one model's
    error never cuts the others off half-way (only ^C stops them all)."""
    if r.stop:
        return out(e, "skipped", "not started: an earlier model failed (--fail-fast)")
    try:
        result = await _dispatch(r, e, d)
    except TrainopsError as exc:
        detail = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
        return _failed(r, e, detail, exc.message)
    except Exception as exc:
        return _unexpected(r, e, exc)
    if result.result in ("done", "unrecorded"):
        r.say(f"{e.key}: {result.detail}")
    return result


def _unexpected(r: Run, e: ModelPlan, exc: Exception) -> ModelOutcome:
    if isinstance(exc, OSError) and exc.filename:  # a training file gone since the plan
        path = Path(str(exc.filename))
        where = path.relative_to(r.root) if path.is_relative_to(r.root) else path
        return _failed(r, e, f"could not read {where.as_posix()}: {exc.strerror}")
    named = bounded(_named(exc), MAX_QUOTED)
    detail = f"unexpected error (a bug in trainops; please report it): {named}"
    return _failed(r, e, detail, f"{detail}\n{traceback.format_exc()}")


def _failed(r: Run, e: ModelPlan, detail: str, said: str | None = None) -> ModelOutcome:
    r.stop = r.opt.fail_fast
    r.say(f"{e.key}: failed: {said or detail}")
    return out(e, "failed", detail)


def interrupted(r: Run) -> Interrupted:
    """What a ^C leaves behind: the trainings this apply triggered (or may have)."""
    safe = "running apply again is safe: it does only what is missing and never trains twice"
    if not r.sent:
        return Interrupted("this apply triggered no training", hint=safe)
    started = ", ".join(
        f"{key} ({f'job {job}' if job else 'trigger sent, not confirmed'})"
        for key, job in sorted(r.sent.items())
    )
    n = len(r.sent)
    return Interrupted(
        f"{n} training{'s' if n != 1 else ''} this apply triggered may still be running: "
        + started,
        hint=f"follow them with `trainops status`; {safe} (it records what started)",
    )


async def _dispatch(r: Run, e: ModelPlan, d: DesiredModel | None) -> ModelOutcome:
    if e.action in ("orphan", "delete"):
        return await delete_orphan(r, e)
    if d is None or e.action == "none":
        return out(e, "skipped", "up to date")
    if e.action == "wait":
        if e.renamed_from and e.model_id:  # a rename never waits for a training
            await rename(r, await r.client.get_model(e.model_id), d, e.renamed_from)
        if not (e.training and e.training.other_inputs):
            return out(e, "skipped", "a training is running: nothing started")
        if r.opt.replace_running:
            return await _replace_running(r, e, d)
        if r.opt.queue:
            return await _after_running(r, e, d)
        return out(e, "skipped", PENDING_LEFT)
    model_id = e.model_id if e.model_id and e.action != "create" else await create(r, d, e)
    live = await sync_files(r.client, r.root, d, model_id)
    if e.renamed_from:
        live = await rename(r, live, d, e.renamed_from)
    await metadata(r, e, d, live)
    if not e.will_train:
        if e.renamed_from:
            return out(e, "done", f"renamed {model_id} from {e.renamed_from} without training")
        return out(e, "done", f"updated {model_id} without training")
    return await train(r, e, d, live)


async def _until_stopped(r: Run, model_id: str, tries: int = 60) -> None:
    """A cancel may take a moment to land: wait until the model no longer trains."""
    for _ in range(tries):
        if (await r.client.get_model(model_id)).status != "training":
            return
        await asyncio.sleep(r.opt.cancel_poll)
    raise TrainopsError(
        f"model {model_id} still trains after the cancel",
        hint="check it with `trainops status`, then apply again",
    )


async def _after_running(r: Run, e: ModelPlan, d: DesiredModel) -> ModelOutcome:
    """A pending training (--wait): the declared inputs train once the running training on
    other inputs ends, whatever its result."""
    if e.model_id is None:  # a `wait` entry always names its model: a bug in the plan
        raise TypeError(f"{e.key}: a running training without a model id")
    r.say(f"{e.key}: waiting for the running training to end, then training")
    deadline = None if r.opt.wait_timeout is None else r.opt.clock() + r.opt.wait_timeout
    while (await r.client.get_model(e.model_id)).status == "training":
        if deadline is not None and r.opt.clock() > deadline:
            return out(
                e,
                "skipped",
                f"{PENDING_LEFT}; --wait gave up after {r.opt.wait_timeout:g} s",
            )
        await asyncio.sleep(r.opt.poll_interval)
    live = await sync_files(r.client, r.root, d, e.model_id)
    await metadata(r, e, d, live)
    return await train(r, e, d, live)


async def _replace_running(r: Run, e: ModelPlan, d: DesiredModel) -> ModelOutcome:
    if e.model_id is None:  # a `wait` entry always names its model: a bug in the plan
        raise TypeError(f"{e.key}: a running training without a model id")
    spent = e.training.cost_so_far if e.training else None
    await r.client.cancel_training(e.model_id)
    note = f" ({spent:g} CU already spent)" if spent is not None else ""
    r.say(f"{e.key}: canceled the running training on other inputs{note}")
    await _until_stopped(r, e.model_id)
    live = await sync_files(r.client, r.root, d, e.model_id)
    await metadata(r, e, d, live)
    return await train(r, e, d, live)


def _named(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
