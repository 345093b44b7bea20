"""What every route needs: the store, the clock, the speed, the limits, the faults and the
deviations."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from trainops.sandbox import payloads, rules
from trainops.sandbox.deviations import IMAGE_PREVIEW, Deviations
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
    deviations: Deviations = field(default_factory=Deviations)

    def now(self) -> float:
        return self.clock()

    def state(self, j: JobRow, now: float) -> JobState:
        captcha = rules.needs_person(j.model_type, j.parameters)
        return job_state(j.created_at, j.durations, j.canceled_at, now, captcha=captcha)

    def latest(self, tx: Tx, m: ModelRow, now: float) -> tuple[JobRow, JobState] | None:
        j = tx.job(m.job_id) if m.job_id else None
        return None if j is None else (j, self.state(j, now))

    def model_or_404(self, tx: Tx, model_id: str) -> ModelRow:
        m = tx.model(model_id)
        if m is None:
            raise not_found("Model", model_id)
        return m

    def model_json(
        self, tx: Tx, request: Request, m: ModelRow, *, full: bool = True, bulk: bool = False
    ) -> Any:
        """The model object: every training image when `full`, else the first 3 (`bulk`: what
        get-bulk answers, where `full` is `allTrainingImages`)."""
        now = self.now()
        every = full and (bulk or not self.deviations.truncate_images)
        images = tx.images(m.id, -1 if every else IMAGE_PREVIEW)
        count = len(images) if every else tx.image_counts([m.id])[m.id]
        latest = self.latest(tx, m, now)
        url = base_url(request)
        out = payloads.model(m, images, count, latest, now, url, sample_key=self.api_secret)
        return self.deviations.model(out, every_image=every)


def base_url(request: Request) -> str:
    """The API's base URL as this request reached it (also right behind ASGITransport)."""
    return f"{request.base_url}{PREFIX.lstrip('/')}/"
