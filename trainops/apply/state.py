"""What one apply shares across its models: the options, the client, the trainings triggered so
far, the credits committed; and two helpers every step uses (an outcome, a checked tag write)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainops.plan import ModelOutcome, ModelPlan, Result
from trainops.pricing import Mode
from trainops.redact import redact
from trainops.scenario.client import Scenario
from trainops.schedule import Launcher
from trainops.tags import check_written

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ApplyOptions:
    prune: bool = False
    replace_running: bool = False
    fail_fast: bool = False
    commit: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    limit: float | None = None  # the lowest of --max-cost and the workspace budget, in CU
    cancel_poll: float = 1.0  # seconds between checks that a canceled training stopped
    # --wait: trainings the team's limits refuse queue until they start (`trainops.schedule`),
    # and a pending training (a `wait` on other inputs) trains when the running one ends; both
    # for at most `wait_timeout` seconds, looking every `poll_interval`.
    queue: bool = False
    poll_interval: float = 5.0
    wait_timeout: float | None = None


class Run:
    """The state of one apply, shared by its models' concurrent runs."""

    def __init__(
        self, client: Scenario, root: Path, ws: str, options: ApplyOptions, progress: Progress
    ) -> None:
        self.client, self.root, self.ws, self.opt, self.say = client, root, ws, options, progress
        self.stop = False
        self.sent: dict[str, str | None] = {}  # key -> job id (None: unconfirmed) of triggers
        self.committed = 0.0  # CU of the trainings priced so far (the plan's, then apply's)
        self.pricing: Mode = "api"  # the workspace's dryRun mode
        self.lock = asyncio.Lock()
        self.launcher = Launcher(client, {})
        # model id -> pending tags a refused trigger could not remove (`trigger._unpend`)
        self.leftover: dict[str, list[str]] = {}


async def write_tags(
    r: Run, model_id: str, *, add: Sequence[str] = (), delete: Sequence[str] = ()
) -> None:
    """One tag update, stopping the model when the API kept other tags than those sent."""
    check_written(await r.client.update_tags(model_id, add=add, delete=delete), add, delete)


def out(
    e: ModelPlan,
    result: Result,
    detail: str,
    *,
    job_id: str | None = None,
    cost: float | None = None,
    deferred_by: str | None = None,
) -> ModelOutcome:
    return ModelOutcome(
        e.key, e.action, result, redact(detail), job_id=job_id, cost=cost, deferred_by=deferred_by
    )
