"""Executing a Plan, model by model: crash-safe, idempotent, and never training twice.

Per model, in order: create (identity tag first) -> sync files -> update metadata and tags ->
trigger training -> record the fingerprint. Each step checks the model as it is now, so a rerun
after an interruption at any point completes the rest:

- A training is preceded by a `trainops-pending:<fp>@<time>/<previous job>` tag. If apply dies
  after the trigger but before recording, the next plan sees the running (or finished) training
  with that pending fingerprint and says `wait` (or `update`, which only records it): never a
  second trigger.
- A model already training (as the file sync read it, moments before) is left alone; one started
  since is refused by the API itself ("Model is already training") and reported as skipped.
- A trigger that fails ambiguously (timeout, lost connection, 5xx, a reply that cannot be read)
  is never re-sent blindly: the model is re-read, and a new job or a `training` status means the
  trigger was accepted. The new job's id comes from the trigger's reply: the model's `jobId` is
  optional, so after a lost reply the job is looked for among the team's recent jobs, and a
  training whose job cannot be found is reported without one (never as job "None"). When
  acceptance cannot be told, or the record after it fails, the model is `unrecorded` (a training
  may run; the next apply records it), never `failed` at 0 CU.
- A trigger the team's limits refuse (the cap on parallel trainings, a launch cooldown: a 429
  before anything starts) is unmarked and `deferred`, or with --wait queued until it can start
  (`trainops.schedule`); a dataset ceiling fails that model, naming the limit.
- Every tag write is checked against what the API says it stored (`tags.check_written`), and
  every caption against the model's read before the trigger: a record or a caption the API did
  not keep as sent stops that model with an error, before anything is trained.
- Whatever one model's run raises is that model's `failed` outcome (an unexpected error says it
  is a bug to report); the others finish. Only ^C stops them all, and `Interrupted` names the
  trainings triggered so far.

Apply consumes the plan; it does not re-diff. It only reads what a step needs to be safe.

Where each part lives: `state` (the options and what one apply shares across models), `runner`
(one model's entry to its outcome, a running training waited for or replaced, ^C), `steps`
(create, rename, metadata and tags, record, delete) and `trigger` (pricing, captions, the
pending tag, the trigger and its recovery after an ambiguous reply).
"""

from __future__ import annotations

import asyncio

from trainops.apply.runner import interrupted, run_entry
from trainops.apply.state import ApplyOptions, Progress, Run
from trainops.desired import Desired
from trainops.plan import Outcome, Plan
from trainops.scenario.client import Scenario
from trainops.schedule import Launcher

__all__ = ["ApplyOptions", "Progress", "apply_plan"]


async def apply_plan(
    plan: Plan,
    desired: Desired,
    client: Scenario,
    options: ApplyOptions,
    progress: Progress = lambda _line: None,
) -> Outcome:
    """Run every entry of `plan`; one failing model does not stop the others (unless fail_fast)."""
    models = desired.by_key()
    run = Run(client, desired.workspace.root, desired.workspace.name, options, progress)
    run.committed = plan.total_cost
    run.pricing = desired.workspace.pricing
    run.launcher = Launcher(
        client,
        {entry.key: i for i, entry in enumerate(plan.models)},
        queue=options.queue,
        interval=options.poll_interval,
        timeout=options.wait_timeout,
        progress=progress,
    )
    try:
        results = await asyncio.gather(
            *(run_entry(run, entry, models.get(entry.key)) for entry in plan.models)
        )
    except asyncio.CancelledError:
        # ^C: every model's run has stopped by now (gather waits for them to be cancelled).
        raise interrupted(run) from None
    finally:
        await run.launcher.close()
    return Outcome(models=tuple(results))
