"""Following trainings to their end (`apply --wait`): one line per change of state, and each
model's outcome made final from its job (a failed training becomes `failed`).

A training that ended in success has results: its model is read once more for them (how long
it trained, and each epoch's sample images under the `samplePrompts` that made them).

A professional voice clone stops at a captcha that a person reads aloud in Scenario's web app
(the model's `trainingProgress.stage` is `pending-captcha`, or `ready-for-captcha` after a
recoverable failure). Waiting cannot end that: the model's outcome becomes `blocked`, saying so,
and --wait stops following it. The stage is on the model, not the job, so the model is read
while its job runs; a voice clone's job names its model (`metadata.outputModelId`), and only
such jobs are followed that way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable

from trainops.errors import Interrupted, TrainopsError
from trainops.live import LiveEpoch, LiveJob, LiveModel
from trainops.plan import EpochSamples, ModelOutcome, Outcome, SampleImage
from trainops.render.phrases import CAPTCHA_STAGES, remaining_text
from trainops.scenario.client import Scenario

Progress = Callable[[str], None]


async def wait_for_trainings(
    client: Scenario,
    outcome: Outcome,
    progress: Progress,
    *,
    interval: float = 5.0,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Follow every training apply started until it ends; a failed one becomes `failed`."""
    jobs = {m.job_id: m for m in outcome.models if m.job_id and m.result == "done"}
    ended: dict[str, LiveJob] = {}
    blocked: dict[str, str] = {}  # job -> the captcha stage its model waits at
    try:
        await _follow(client, jobs, (ended, blocked), progress, interval, timeout, clock)
    except asyncio.CancelledError:  # ^C: the trainings go on without us
        going = sorted(f"{m.key} (job {j})" for j, m in jobs.items() if j not in ended)
        raise Interrupted(
            f"stopped following the trainings; still running: {', '.join(going) or 'none'}",
            hint="apply recorded them: follow them with `trainops status`",
        ) from None
    finished = [
        _finished(m, ended.get(m.job_id or ""), blocked.get(m.job_id or "")) for m in outcome.models
    ]
    return Outcome(models=tuple([await _results(client, m, ended) for m in finished]))


async def _follow(
    client: Scenario,
    jobs: dict[str, ModelOutcome],
    found: tuple[dict[str, LiveJob], dict[str, str]],
    progress: Progress,
    interval: float,
    timeout: float | None,
    clock: Callable[[], float],
) -> None:
    """Poll the jobs not `ended` yet until all have, adding each to `ended` as it ends (and to
    `blocked` when it waits for a person)."""
    ended, blocked = found
    seen: dict[str, str] = {}
    first: dict[str, tuple[float, float]] = {}  # job -> (time, progress) first seen moving
    start = clock()
    while len(ended) < len(jobs):
        for job_id in sorted(set(jobs) - set(ended)):
            job = await client.get_job(job_id)
            stage = await _captcha_stage(client, job)
            since = first.setdefault(job_id, (clock(), 0.0))
            line = _progress_line(jobs[job_id].key, job, since, clock())
            if stage is not None:
                line = f"{jobs[job_id].key}: {stage}: {NEEDS_PERSON}"
                blocked[job_id] = stage
            if not first[job_id][1] and job.progress:  # the rate is measured from here
                first[job_id] = (clock(), job.progress)
            if seen.get(job_id) != line:
                progress(line)
                seen[job_id] = line
            if not job.running or stage is not None:
                ended[job_id] = job
        if len(ended) < len(jobs):
            if timeout is not None and clock() - start > timeout:
                raise TrainopsError(
                    f"--wait gave up after {timeout:g} s; the trainings go on",
                    hint="follow them with `trainops status`",
                )
            await asyncio.sleep(interval)


def _progress_line(
    key: str, job: LiveJob, since: tuple[float, float], now: float | None = None
) -> str:
    """`key: in-progress 41%, about 2 min left`; the time left is extrapolated from the progress
    made since this job was first seen moving (the API's own estimate is on the model, which
    would cost another request per poll)."""
    pct = f" {job.progress * 100:.0f}%" if job.progress is not None else ""
    left = ""
    t0, p0 = since
    p = job.progress or 0.0
    if job.running and 1 > p > p0 > 0 and now is not None and now > t0:
        left = f", {remaining_text((now - t0) / (p - p0) * (1 - p) * 1000)}"
    return f"{key}: {job.status}{pct}{left}"


NEEDS_PERSON = (
    "a person must finish this professional voice clone in Scenario's web app (read its "
    "captcha aloud); the training goes on from there"
)


async def _captcha_stage(client: Scenario, job: LiveJob) -> str | None:
    """The captcha stage the job's model waits at, or None (also for a job that names no
    model: only voice clones stop at a captcha, and their jobs name the model)."""
    if not job.running or job.model_id is None:
        return None
    model: LiveModel = await client.get_model(job.model_id)
    return model.stage if model.stage in CAPTCHA_STAGES else None


def _finished(m: ModelOutcome, job: LiveJob | None, stage: str | None = None) -> ModelOutcome:
    if job is None:
        return m
    cost = job.cost if job.cost is not None else m.cost
    if stage is not None:
        detail = f"{stage}: {NEEDS_PERSON}; --wait stopped following it (see `trainops status`)"
        return dataclasses.replace(m, result="blocked", detail=detail, cost=cost)
    if job.status == "success":
        return dataclasses.replace(m, detail="trained", cost=cost)
    why = f": {job.error}" if job.error else ""
    return dataclasses.replace(m, result="failed", detail=f"training {job.status}{why}", cost=cost)


async def _results(client: Scenario, m: ModelOutcome, ended: dict[str, LiveJob]) -> ModelOutcome:
    """`m` with the results of its training when that ended in success: the model read once."""
    job = ended.get(m.job_id or "")
    model_id = m.model_id or (job.model_id if job else None)
    if job is None or job.status != "success" or model_id is None:
        return m
    model = await client.get_model(model_id)
    said = model.sample_prompts
    return dataclasses.replace(
        m,
        model_id=model_id,
        duration_s=_duration(model, job),
        epochs=tuple(_epoch(e, said) for e in model.epochs if e.samples),
    )


def _duration(model: LiveModel, job: LiveJob) -> float | None:
    """The training's own duration (`trainingStats.trainDuration`), else from its start to its
    end, else the job's life (queue included) from its dates."""
    stats = model.stats
    if stats is not None and stats.train_seconds is not None:
        return stats.train_seconds
    if stats is not None and stats.started_at is not None and stats.ended_at is not None:
        return stats.ended_at - stats.started_at
    if job.created_at is not None and job.updated_at is not None:
        return job.updated_at - job.created_at
    return None


def _epoch(e: LiveEpoch, prompts: tuple[str, ...]) -> EpochSamples:
    """The i-th sample was made from the i-th prompt (the API pairs them by position)."""
    samples = tuple(
        SampleImage(prompts[i] if i < len(prompts) else None, s.url, s.asset_id)
        for i, s in enumerate(e.samples)
    )
    return EpochSamples(e.epoch, samples)
