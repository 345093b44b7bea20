"""The calls on trainings and jobs: train, price a training (dry run), cancel, read and list
jobs. A part of `Scenario` (`trainops.scenario.client`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from trainops.errors import ApiError
from trainops.live import DryRun, LiveJob, LiveModel
from trainops.scenario.calls import Calls
from trainops.scenario.replies import (
    DRY_RUN_STATUS,
    dry_run_reply,
    job_id_reply,
    job_page,
    job_reply,
    model_reply,
)
from trainops.scenario.retry import redacting, secret_values
from trainops.scenario.wire import JOB_FILTERS, segment

JOBS_PAGE_SIZE = 100


class TrainingCalls(Calls):
    """The calls on trainings and jobs, for `Scenario`."""

    async def train(self, model_id: str, parameters: Mapping[str, object]) -> str:
        """Trigger a training; returns the job id. Never retried on ambiguity (double billing)."""
        put = self._api(
            "PUT", f"/models/{segment(model_id)}/train", body={"parameters": dict(parameters)}
        )
        what = f"train model {model_id}"
        return await self._call(
            "create", what, redacting(secret_values(parameters), put), job_id_reply
        )

    async def dry_run(
        self,
        model_id: str,
        parameters: Mapping[str, object],
        *,
        training_images_count: int | None = None,
        mode: Literal["true", "api"] = "api",
    ) -> DryRun:
        """Price a training (dryRun, HTTP 269). `mode` "api" estimates at the API tier, the one
        trainops is billed at (it runs with API keys). `training_images_count` only counts when
        the model has no images yet (the API ignores it otherwise)."""
        what = f"price the training of model {model_id}"
        put = self._api(
            "PUT",
            f"/models/{segment(model_id)}/train",
            params={"dryRun": mode, "trainingImagesCount": training_images_count},
            body={"parameters": dict(parameters)},
        )
        put = redacting(secret_values(parameters), put)
        priced = await self._call("read", what, put, dry_run_reply)
        if not isinstance(priced, DryRun):
            raise ApiError(
                f"{what}: the API answered {priced} instead of {DRY_RUN_STATUS} "
                "to a dry run, so it may have started a real training",
                status=priced,
                hint=f"check model {model_id} and its jobs before running apply",
            )
        return priced

    async def cancel_training(self, model_id: str) -> LiveModel:
        return await self._call(
            "create",
            f"cancel the training of model {model_id}",
            self._api(
                "POST", f"/models/{segment(model_id)}/train/action", body={"action": "cancel"}
            ),
            model_reply,
        )

    async def get_job(self, job_id: str) -> LiveJob:
        get = self._api("GET", f"/jobs/{segment(job_id)}")
        return await self._call("read", f"read job {job_id}", get, job_reply)

    async def list_jobs(self, **filters: Any) -> list[LiveJob]:
        """All jobs matching `filters` (the SDK's snake_case names, e.g. `author_id`). Pages may be
        empty with a token: keep going until the token is absent (the SDK's pager stops early)."""
        unknown = sorted(set(filters) - set(JOB_FILTERS))
        if unknown:
            raise TypeError(f"list_jobs() got unexpected filters: {', '.join(unknown)}")
        params: dict[str, object] = {JOB_FILTERS[k]: v for k, v in filters.items()}
        params["pageSize"] = JOBS_PAGE_SIZE
        return [
            j async for page in self._pages("list jobs", "/jobs", params, job_page) for j in page
        ]
