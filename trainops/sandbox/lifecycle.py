"""Training states derived from timestamps: no background work, any clock, any speed.

A job is created `queued` at t0 and moves through `warming-up`, `in-progress` and `finalizing`
to `success` after the durations fixed at launch; a cancel at tc freezes it as `canceled`.
A job that needs a person (a professional voice clone's captcha) stays `pending` at stage
`pending-captcha`: nobody reads the captcha in the sandbox. The model's status follows its
latest job.
"""

from __future__ import annotations

from typing import NamedTuple

from trainops.sandbox.cost import Durations

_PHASES = ("queued", "warming-up", "in-progress", "finalizing")
_JOB_TO_MODEL = {"success": "trained", "canceled": "training-canceled", "failure": "failed"}
_STAGES = {
    "pending": "pending-captcha",  # the only job the sandbox keeps pending: see above
    "queued": "queued-for-train",
    "warming-up": "starting-train",
    "in-progress": "running-train",
    "finalizing": "running-train",
}


class JobState(NamedTuple):
    status: str
    progress: float  # 0..1
    history: tuple[tuple[str, float], ...]  # (status, epoch seconds) for every status reached
    started_at: float | None  # when training proper (in-progress) began
    ended_at: float | None  # when the job reached a terminal status
    remaining_s: float  # seconds until success (0 when terminal)

    @property
    def terminal(self) -> bool:
        return self.status in ("success", "canceled", "failure")

    @property
    def model_status(self) -> str:
        return _JOB_TO_MODEL.get(self.status, "training")

    @property
    def stage(self) -> str | None:
        return _STAGES.get(self.status)

    @property
    def changed_at(self) -> float:
        return self.history[-1][1]


def _boundaries(t0: float, d: Durations) -> list[tuple[str, float]]:
    spans = (d.queued, d.warming_up, d.in_progress, d.finalizing)
    out, t = [], t0
    for phase, span in zip(_PHASES, spans, strict=True):
        out.append((phase, t))
        t += span
    out.append(("success", t))
    return out


def job_state(
    created_at: float,
    d: Durations,
    canceled_at: float | None,
    now: float,
    *,
    captcha: bool = False,
) -> JobState:
    """The state of a job at `now` (a cancel counts only once `now` has reached it)."""
    canceled = canceled_at is not None and canceled_at <= now
    if captcha:
        return _waiting(created_at, canceled_at if canceled else None)
    cut = canceled_at if canceled and canceled_at is not None else now
    reached = [(s, t) for s, t in _boundaries(created_at, d) if t <= cut]
    if not reached:  # a clock behind the creation time: treat as just queued
        reached = [("queued", created_at)]
    started = next((t for s, t in reached if s == "in-progress"), None)
    train_end = created_at + d.queued + d.warming_up + d.in_progress
    if started is None:
        progress = 0.0
    else:
        progress = min(max((cut - started) / d.in_progress, 0.0), 1.0) if d.in_progress else 1.0
    if canceled:
        reached.append(("canceled", cut))
    status, ended = reached[-1][0], None
    if status in ("success", "canceled"):
        ended = reached[-1][1]
    remaining = 0.0 if ended is not None else max(created_at + d.total - now, 0.0)
    if status == "success" or (status == "finalizing" and now >= train_end):
        progress = 1.0
    return JobState(status, progress, tuple(reached), started, ended, remaining)


def _waiting(created_at: float, canceled_at: float | None) -> JobState:
    """A job held at the captcha until canceled."""
    if canceled_at is None:
        return JobState("pending", 0.0, (("pending", created_at),), None, None, 0.0)
    history = (("pending", created_at), ("canceled", canceled_at))
    return JobState("canceled", 0.0, history, None, canceled_at, 0.0)
