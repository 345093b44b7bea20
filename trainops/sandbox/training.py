"""Routes for training (trigger, dryRun, cancel) and jobs (read, list, cancel)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox import cost, listing, payloads
from trainops.sandbox.context import Sandbox, new_id
from trainops.sandbox.lifecycle import JobState
from trainops.sandbox.models import parameters_problems
from trainops.sandbox.replies import HttpError, bad_request, json_object, not_found, reply
from trainops.sandbox.rules import TRAINABLE, Trainable
from trainops.sandbox.store import JobRow, ModelRow, Tx

DRY_RUN_STATUS = 269
MIN_PAIRS = 2


def _dry_run(request: Request) -> bool:
    """The documented values only (scenario-sdk: "true" | "api"); no `dryRun` is a real trigger."""
    value = request.query_params.get("dryRun")
    if value is None:
        return False
    if value not in ("true", "api"):
        raise bad_request(f'dryRun must be "true" or "api", got {value!r}')
    return True


def _simulated_count(request: Request) -> int:
    raw = request.query_params.get("trainingImagesCount")
    if raw is None:
        return 0
    if not raw.isdigit():
        raise bad_request(f"trainingImagesCount must be a non-negative integer, got {raw!r}")
    return int(raw)


def _check_dataset(info: Trainable, m: ModelRow, count: int, simulated: bool) -> None:
    if count == 0:
        what = "audio sample" if info.audio else "training image"
        raise bad_request(f"The model needs at least one {what} to be trained (it has 0)")
    if info.pairs and not simulated:
        whole = [p for p in m.pairs if p.get("sourceId") and p.get("targetId")]
        if len(whole) < MIN_PAIRS:
            raise bad_request(
                f"{m.type} trains on image pairs: at least {MIN_PAIRS} complete pairs "
                f"(sourceId and targetId) are needed, got {len(whole)}"
            )


def _check_launch(sb: Sandbox, tx: Tx, m: ModelRow, now: float) -> None:
    states = [(j, sb.state(j, now)) for j in tx.unfinished_jobs(now)]
    if any(j.model_id == m.id and not st.terminal for j, st in states):
        raise bad_request("Model is already training")
    limit = sb.limits.max_parallel_trainings
    if sum(not st.terminal for _, st in states) >= limit:
        raise HttpError(
            429,
            f"The team's limit of {limit} parallel trainings is reached",
            code="quota-exceeded",
            extra={"action": "parallel-training", "actionLimit": limit},
        )
    last = tx.last_launch()
    wait = 0.0 if last is None else sb.limits.launch_cooldown_s - (now - last)
    if wait > 0:
        raise HttpError(
            429,
            f"Trainings are launched too often: retry in {wait:.1f} s",
            code="cooldown",
            extra={"remainingSeconds": round(wait, 3)},
        )


def _cost_fields(cu: int) -> dict[str, Any]:
    return {"creativeUnitsCost": cu, "creativeUnitsDiscount": 0, "costDetails": {"train-model": cu}}


def routes(sb: Sandbox) -> list[Route]:
    async def trigger(request: Request) -> Response:
        dry, simulated = _dry_run(request), _simulated_count(request)
        body = await json_object(request)
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            info = TRAINABLE.get(m.type)
            if info is None:
                raise bad_request(f"Models of type {m.type} cannot be trained")
            raw = body.get("parameters", m.parameters or {})
            params = parameters_problems(m.type, raw)
            count = tx.image_counts([m.id])[m.id]
            use_sim = dry and count == 0 and simulated > 0
            count = simulated if use_sim else count
            _check_dataset(info, m, count, use_sim)
            cu = cost.estimate_cost(m.type, params, count)
            now = sb.now()
            spans = cost.durations(m.type, params, count, sb.speed)
            j = JobRow(
                new_id("job_"), m.id, m.type, info.job_type, now, spans, None, cu, params, count
            )
            if dry:
                preview = JobState("pending", 0.0, (("pending", now),), None, None, spans.total)
                out = {"job": payloads.job(j, preview), "model": sb.model_json(tx, request, m)}
                return reply({**out, **_cost_fields(cu)}, DRY_RUN_STATUS)
            _check_launch(sb, tx, m, now)
            tx.insert_job(j)
            tx.update_model(m.id, now, job_id=j.id, parameters=params, epoch=None)
            fresh = sb.model_or_404(tx, m.id)
            out = {
                "job": payloads.job(j, sb.state(j, now)),
                "model": sb.model_json(tx, request, fresh),
            }
            return reply({**out, **_cost_fields(cu)})

    async def train_action(request: Request) -> Response:
        body = await json_object(request)
        if body.get("action") != "cancel":
            raise bad_request('action must be "cancel"')
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            now = sb.now()
            latest = sb.latest(tx, m, now)
            if latest is None or latest[1].terminal:
                raise bad_request("Model is not training")
            tx.cancel_job(latest[0].id, now)
            return reply({"model": sb.model_json(tx, request, m)})

    async def get_job(request: Request) -> Response:
        with sb.store.read() as tx:
            j = tx.job(request.path_params["job_id"])
        if j is None:
            raise not_found("Job", request.path_params["job_id"])
        return reply({"job": payloads.job(j, sb.state(j, sb.now()))})

    async def job_action(request: Request) -> Response:
        body = await json_object(request)
        if body.get("action", "cancel") != "cancel":
            raise bad_request('action must be "cancel"')
        with sb.store.write() as tx:
            j = tx.job(request.path_params["job_id"])
            if j is None:
                raise not_found("Job", request.path_params["job_id"])
            now = sb.now()
            if sb.state(j, now).terminal:
                raise bad_request(f"Job {j.id} is already {sb.state(j, now).status}")
            tx.cancel_job(j.id, now)
        canceled = j._replace(canceled_at=now)
        return reply({"job": payloads.job(canceled, sb.state(canceled, now))})

    async def list_jobs(request: Request) -> Response:
        return reply(listing.list_jobs(sb, request))

    return [
        Route("/models/{model_id}/train", trigger, methods=["PUT"]),
        Route("/models/{model_id}/train/action", train_action, methods=["POST"]),
        Route("/jobs", list_jobs, methods=["GET"]),
        Route("/jobs/{job_id}", get_job, methods=["GET"]),
        Route("/jobs/{job_id}/action", job_action, methods=["POST"]),
    ]
