"""What every route needs: the store, the clock, the speed, the limits and the faults."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from trainops.sandbox import payloads
from trainops.sandbox.faults import FaultBox
from trainops.sandbox.lifecycle import JobState, job_state
from trainops.sandbox.limits import Limits
from trainops.sandbox.replies import not_found
from trainops.sandbox.store import JobRow, ModelRow, Store, Tx

PREFIX = "/v1"  # the API's version prefix: base URL http://host:port/v1
_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(24))


@dataclass
class Sandbox:
    store: Store
    clock: Callable[[], float]
    speed: float
    limits: Limits
    faults: FaultBox
    api_key: str
    api_secret: str

    def now(self) -> float:
        return self.clock()

    def state(self, j: JobRow, now: float) -> JobState:
        return job_state(j.created_at, j.durations, j.canceled_at, now)

    def latest(self, tx: Tx, m: ModelRow, now: float) -> tuple[JobRow, JobState] | None:
        j = tx.job(m.job_id) if m.job_id else None
        return None if j is None else (j, self.state(j, now))

    def model_or_404(self, tx: Tx, model_id: str) -> ModelRow:
        m = tx.model(model_id)
        if m is None:
            raise not_found("Model", model_id)
        return m

    def model_json(self, tx: Tx, request: Request, m: ModelRow, *, full: bool = True) -> Any:
        now = self.now()
        images = tx.images(m.id, -1 if full else payloads.LIST_IMAGE_LIMIT)
        count = len(images) if full else tx.image_counts([m.id])[m.id]
        return payloads.model(m, images, count, self.latest(tx, m, now), now, base_url(request))


def base_url(request: Request) -> str:
    """The API's base URL as this request reached it (also right behind ASGITransport)."""
    return f"{request.base_url}{PREFIX.lstrip('/')}/"
