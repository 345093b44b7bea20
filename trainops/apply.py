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
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trainops.desired import Desired, DesiredModel
from trainops.errors import (
    AmbiguousWriteError,
    ApiError,
    CaptionError,
    Interrupted,
    TrainopsError,
    UnsafePlanError,
)
from trainops.leaks import claim, claim_leaked, looks_leaked
from trainops.live import LiveModel
from trainops.plan import ModelOutcome, ModelPlan, Outcome, Plan, Result, format_cu
from trainops.pricing import Mode, price_model
from trainops.read import JOB_SEARCH_SKEW_S, job_since
from trainops.redact import bounded, redact
from trainops.scenario.client import Scenario
from trainops.schedule import Deferred, Launcher
from trainops.sync import sync_files
from trainops.tags import (
    COMMIT_PREFIX,
    FP_PREFIX,
    PENDING_PREFIX,
    UNKNOWN_JOB,
    check_written,
    commit_tag,
    fingerprint_tag,
    identity_tag,
    identity_tags_of,
    pending_tag,
)

Progress = Callable[[str], None]
RERUN = "run apply again to record it (it never trains twice)"
MAX_QUOTED = 300  # characters of an unexpected error's text in a model's outcome
PENDING_LEFT = (
    "a training is running on other inputs: the declared inputs train when it ends "
    "(`apply --wait` waits for it; the next apply trains them)"
)
NO_JOB_ID = "its job id is unknown (the API did not return it): follow it with `trainops status`"


class _Unconfirmed(Exception):
    """A trigger was sent and no reply says whether it started a training."""


class _Stopped(Exception):
    """A training not triggered: another model failed under --fail-fast."""


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


async def apply_plan(
    plan: Plan,
    desired: Desired,
    client: Scenario,
    options: ApplyOptions,
    progress: Progress = lambda _line: None,
) -> Outcome:
    """Run every entry of `plan`; one failing model does not stop the others (unless fail_fast)."""
    models = desired.by_key()
    runner = _Runner(client, desired.workspace.root, desired.workspace.name, options, progress)
    runner.committed = plan.total_cost
    runner.pricing = desired.workspace.pricing
    runner.launcher = Launcher(
        client,
        {entry.key: i for i, entry in enumerate(plan.models)},
        queue=options.queue,
        interval=options.poll_interval,
        timeout=options.wait_timeout,
        progress=progress,
    )
    try:
        results = await asyncio.gather(
            *(runner.run(entry, models.get(entry.key)) for entry in plan.models)
        )
    except asyncio.CancelledError:
        # ^C: every model's run has stopped by now (gather waits for them to be cancelled).
        raise runner.interrupted() from None
    finally:
        await runner.launcher.close()
    return Outcome(models=tuple(results))


class _Runner:
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
        # model id -> pending tags a refused trigger could not remove (`_unpend`)
        self.leftover: dict[str, list[str]] = {}

    async def run(self, e: ModelPlan, d: DesiredModel | None) -> ModelOutcome:
        """One model's entry; whatever it raises becomes its `failed` outcome, so one model's
        error never cuts the others off half-way (only ^C stops them all)."""
        if self.stop:
            return _out(e, "skipped", "not started: an earlier model failed (--fail-fast)")
        try:
            result = await self._dispatch(e, d)
        except TrainopsError as exc:
            detail = exc.message + (f" (hint: {exc.hint})" if exc.hint else "")
            return self._failed(e, detail, exc.message)
        except Exception as exc:
            return self._unexpected(e, exc)
        if result.result in ("done", "unrecorded"):
            self.say(f"{e.key}: {result.detail}")
        return result

    def _unexpected(self, e: ModelPlan, exc: Exception) -> ModelOutcome:
        if isinstance(exc, OSError) and exc.filename:  # a training file gone since the plan
            path = Path(str(exc.filename))
            where = path.relative_to(self.root) if path.is_relative_to(self.root) else path
            return self._failed(e, f"could not read {where.as_posix()}: {exc.strerror}")
        named = bounded(_named(exc), MAX_QUOTED)
        detail = f"unexpected error (a bug in trainops; please report it): {named}"
        return self._failed(e, detail, f"{detail}\n{traceback.format_exc()}")

    def _failed(self, e: ModelPlan, detail: str, said: str | None = None) -> ModelOutcome:
        self.stop = self.opt.fail_fast
        self.say(f"{e.key}: failed: {said or detail}")
        return _out(e, "failed", detail)

    def interrupted(self) -> Interrupted:
        """What a ^C leaves behind: the trainings this apply triggered (or may have)."""
        safe = "running apply again is safe: it does only what is missing and never trains twice"
        if not self.sent:
            return Interrupted("this apply triggered no training", hint=safe)
        started = ", ".join(
            f"{key} ({f'job {job}' if job else 'trigger sent, not confirmed'})"
            for key, job in sorted(self.sent.items())
        )
        n = len(self.sent)
        return Interrupted(
            f"{n} training{'s' if n != 1 else ''} this apply triggered may still be running: "
            + started,
            hint=f"follow them with `trainops status`; {safe} (it records what started)",
        )

    async def _dispatch(self, e: ModelPlan, d: DesiredModel | None) -> ModelOutcome:
        if e.action in ("orphan", "delete"):
            return await self._orphan(e)
        if d is None or e.action == "none":
            return _out(e, "skipped", "up to date")
        if e.action == "wait":
            if e.renamed_from and e.model_id:  # a rename never waits for a training
                await self._rename(await self.client.get_model(e.model_id), d, e.renamed_from)
            if not (e.training and e.training.other_inputs):
                return _out(e, "skipped", "a training is running: nothing started")
            if self.opt.replace_running:
                return await self._replace_running(e, d)
            if self.opt.queue:
                return await self._after_running(e, d)
            return _out(e, "skipped", PENDING_LEFT)
        model_id = e.model_id if e.model_id and e.action != "create" else await self._create(d, e)
        live = await sync_files(self.client, self.root, d, model_id)
        if e.renamed_from:
            live = await self._rename(live, d, e.renamed_from)
        await self._metadata(e, d, live)
        if not e.will_train:
            if e.renamed_from:
                return _out(e, "done", f"renamed {model_id} from {e.renamed_from} without training")
            return _out(e, "done", f"updated {model_id} without training")
        return await self._train(e, d, live)

    async def _rename(self, live: LiveModel, d: DesiredModel, old: str) -> LiveModel:
        """Re-tag the model of a previous key as `d`'s, in one tag update: the new identity tag
        added and the old one removed together, so no plan ever sees it as both or neither."""
        new = identity_tag(self.ws, d.key)
        stale = identity_tags_of(live.tags, self.ws, old)
        if not stale and new not in live.tags:
            raise TrainopsError(
                f"model {live.id} no longer carries the identity tag of {old}: not renamed",
                hint="another run changed it since the plan: plan again",
            )
        add = [] if new in live.tags else [new]
        if add or stale:
            await self._tags(live.id, add=add, delete=stale)
        self.say(f"{d.key}: renamed {live.id} from {old}")
        tags = (*(t for t in live.tags if t not in stale), *add)
        return dataclasses.replace(live, tags=tags)

    async def _orphan(self, e: ModelPlan) -> ModelOutcome:
        # Only what the plan showed as `delete` (planned with --prune) is deleted.
        if e.action != "delete" or not self.opt.prune or e.model_id is None:
            return _out(e, "skipped", "orphan: kept (plan and apply with --prune to delete it)")
        await self.client.delete_model(e.model_id)
        return _out(e, "done", f"deleted orphan {e.model_id}")

    async def _create(self, d: DesiredModel, e: ModelPlan) -> str:
        """A model for `d`, never used before its identity tag is on it and no other run's:
        the leaked one the plan found (`e.model_id`, see `trainops.leaks`) if it still is, else
        a new one. A crash after the tag leaves a model the next plan finds."""
        tags = [identity_tag(self.ws, d.key), *d.tags]
        kind = (d.type, d.name)
        if e.model_id and await claim_leaked(self.client, e.model_id, kind, tags):
            self.say(f"{d.key}: adopted {e.model_id}, left untagged by an interrupted create")
            return e.model_id
        started = self.opt.clock()
        try:
            model = await self.client.create_model(
                type=d.type, name=d.name, short_description=d.short_description
            )
        except AmbiguousWriteError:
            found = await self._find_created(d, started, tags)
            if found is None:
                raise
            model_id = found
        else:
            model_id = model.id
            if not await claim(self.client, model_id, tags):
                raise TrainopsError(
                    f"model {model_id} was claimed by another run before its identity tag "
                    "landed: left to it",
                    hint="apply again: it creates another",
                )
        self.say(f"{d.key}: created {model_id}")
        return model_id

    async def _find_created(self, d: DesiredModel, since: float, tags: list[str]) -> str | None:
        """After an ambiguous create: the model it may have made (same type and name, untagged,
        new, created after we asked), claimed. Adopting it avoids a duplicate model."""
        for m in await self.client.list_models():
            created = m.created_at
            if (
                looks_leaked(m)
                and (m.type, m.name) == (d.type, d.name)
                and created is not None
                and created >= since - 5
                and await claim_leaked(self.client, m.id, (d.type, d.name), tags)
            ):
                return m.id
        return None

    async def _metadata(self, e: ModelPlan, d: DesiredModel, live: LiveModel) -> None:
        name = d.name if live.name != d.name else None
        desc = d.short_description if d.short_description != live.short_description else None
        drifted = any(c.kind == "parameter" and not c.sensitive for c in e.changes)
        params = d.resolved_parameters(self.opt.environ) if drifted and not e.will_train else None
        if name is not None or desc is not None or params is not None:
            await self.client.update_model(
                live.id, name=name, short_description=desc, parameters=params
            )
        missing = [t for t in (*d.tags, identity_tag(self.ws, d.key)) if t not in live.tags]
        recorded = any(c.kind == "fingerprint" for c in e.changes)
        if recorded:
            await self._record(live, d)
        elif missing:
            await self._tags(live.id, add=missing)

    async def _tags(
        self, model_id: str, *, add: Sequence[str] = (), delete: Sequence[str] = ()
    ) -> None:
        """One tag update, stopping the model when the API kept other tags than those sent."""
        check_written(await self.client.update_tags(model_id, add=add, delete=delete), add, delete)

    async def _train(self, e: ModelPlan, d: DesiredModel, live: LiveModel) -> ModelOutcome:
        """Trigger on `live` as the file sync just read it. A training someone started since is
        refused by the API itself ("Model is already training"), so no re-read is needed."""
        params = d.resolved_parameters(self.opt.environ)
        if live.status == "training":
            return _out(e, "skipped", "already training: not triggered again")
        if self.stop:  # models run at once: one may fail while the others are mid-way
            return _out(e, "skipped", "not triggered: an earlier model failed (--fail-fast)")
        cost = e.estimated_cost
        if cost is None:
            cost = await self._price_now(e, d, live.id)
        await self._confirm_captions(d, live.id)
        # A trained model that names no job (`jobId` is optional): its previous job is unknown.
        before = live.job_id or (None if live.status == "new" else UNKNOWN_JOB)
        stale = [t for t in live.tags if t.startswith(PENDING_PREFIX)]
        first = [True]

        async def attempt() -> tuple[str | None, str]:
            """Mark pending, then trigger; sent again (`Launcher`) after a refusal by the team's
            limits, which `_trigger` has already unmarked."""
            if self.stop:
                raise _Stopped
            at = int(self.opt.clock())
            pending = pending_tag(d.fingerprint, at, before)
            old = [*(stale if first[0] else ()), *self.leftover.pop(live.id, [])]
            await self._tags(live.id, add=[pending], delete=[t for t in old if t != pending])
            first[0] = False
            self.sent[e.key] = None  # from here on a training may run: ^C must say so
            try:
                return await self._trigger(live.id, params, live.job_id, pending, at), pending
            except TrainopsError:
                del self.sent[e.key]  # refused: nothing started
                raise

        try:
            job_id, pending = await self.launcher.launch(e.key, attempt)
        except _Unconfirmed as exc:
            return _out(e, "unrecorded", f"a training may have started: {RERUN}; {exc}")
        except _Stopped:
            return _out(e, "skipped", "not triggered: an earlier model failed (--fail-fast)")
        except Deferred as exc:
            self.say(f"{e.key}: {exc.detail}")
            return _out(e, "deferred", exc.detail, deferred_by=exc.by)
        except ApiError as exc:
            if exc.status == 400 and "already training" in exc.message.lower():
                return _out(e, "skipped", "already training (started elsewhere): not triggered")
            raise
        self.sent[e.key] = job_id
        # The tags as the pending update left them: no re-read just to learn them.
        tags = (*(t for t in live.tags if t not in stale), pending)
        try:
            await self._record(dataclasses.replace(live, tags=tags), d)
        except TrainopsError as exc:
            detail = f"training started but not recorded: {RERUN}; {exc.message}"
            return _out(e, "unrecorded", detail, job_id=job_id, cost=cost)
        started = "training started" if job_id else f"training started; {NO_JOB_ID}"
        return _out(e, "done", started, job_id=job_id, cost=cost)

    async def _confirm_captions(self, d: DesiredModel, model_id: str) -> None:
        """Training uses each image's description as its caption: before a trigger, read the
        model and make sure each declared caption is what the API kept."""
        want = {f.sha_prefix: f for f in d.training_files if f.caption is not None}
        if not want:
            return
        now = await self.client.get_model(model_id)
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

    async def _price_now(self, e: ModelPlan, d: DesiredModel, model_id: str) -> float | None:
        """A training the plan could not price (its model did not exist): price it on the model
        now, and refuse it when it would take the run over the budget."""
        cost, note = await price_model(self.client, model_id, d, mode=self.pricing)
        async with self.lock:
            total = self.committed + (cost or 0.0)
            if self.opt.limit is not None and (cost is None or total > self.opt.limit):
                what = f"{format_cu(cost)} CU" if cost is not None else f"unknown ({note})"
                raise UnsafePlanError(
                    f"not trained: its cost {what} would take this apply to "
                    f"{format_cu(total)} CU, over the limit of {format_cu(self.opt.limit)} CU",
                    hint="raise --max-cost or `budget` in trainops.yaml, then apply again",
                )
            self.committed = total
        if cost is not None:
            self.say(f"{e.key}: priced at {format_cu(cost)} CU")
        return cost

    async def _trigger(
        self,
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
            return await self.client.train(model_id, params)
        except AmbiguousWriteError as exc:
            unanswered = exc
        except TrainopsError:
            await self._unpend(model_id, pending)
            raise
        try:
            now = await self.client.get_model(model_id)
        except TrainopsError as exc:
            reason = f"{unanswered.reason}, and the model could not be re-read"
            raise _Unconfirmed(f"the trigger was not confirmed: {reason}") from exc
        job_id = now.job_id if now.job_id != job_before else None
        if job_id is None and (now.status == "training" or now.job_id is None):
            # `jobId` is optional on a model: a training may have started (and even ended)
            # without the model naming it.
            try:
                job = await job_since(
                    self.client, model_id, at - JOB_SEARCH_SKEW_S, not_job=job_before
                )
                job_id = job.id if job else None
            except TrainopsError as exc:
                if now.status != "training":
                    reason = f"{unanswered.reason}, and the jobs could not be listed"
                    raise _Unconfirmed(f"the trigger was not confirmed: {reason}") from exc
        if job_id is not None or now.status == "training":
            shown = f"job {job_id}" if job_id else "its job id unknown"
            self.say(f"{model_id}: the trigger's reply was lost but it was accepted ({shown})")
            return job_id
        # Not accepted: the model is unchanged, so one more send cannot double-bill.
        try:
            return await self.client.train(model_id, params)
        except AmbiguousWriteError as exc:
            raise _Unconfirmed(
                f"the trigger was sent twice, neither confirmed: {exc.reason}"
            ) from exc
        except TrainopsError:
            await self._unpend(model_id, pending)
            raise

    async def _unpend(self, model_id: str, pending: str) -> None:
        """After a refused trigger (quota, 4xx), nothing started. Left behind, the pending tag
        would let the next plan take the previous training for this one and record inputs never
        trained; one that could not be removed goes with the next attempt's tag update."""
        try:
            await self._tags(model_id, delete=[pending])
        except TrainopsError:
            self.leftover.setdefault(model_id, []).append(pending)

    async def _record(self, live: LiveModel, d: DesiredModel) -> None:
        add = [fingerprint_tag(d.fingerprint), identity_tag(self.ws, d.key)]
        if self.opt.commit:
            add.append(commit_tag(self.opt.commit))
        prefixes = (FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX)
        stale = [t for t in live.tags if t.startswith(prefixes) and t not in add]
        new = [t for t in add if t not in live.tags]
        await self._tags(live.id, add=new, delete=stale)

    async def _until_stopped(self, model_id: str, tries: int = 60) -> None:
        """A cancel may take a moment to land: wait until the model no longer trains."""
        for _ in range(tries):
            if (await self.client.get_model(model_id)).status != "training":
                return
            await asyncio.sleep(self.opt.cancel_poll)
        raise TrainopsError(
            f"model {model_id} still trains after the cancel",
            hint="check it with `trainops status`, then apply again",
        )

    async def _after_running(self, e: ModelPlan, d: DesiredModel) -> ModelOutcome:
        """A pending training (--wait): the declared inputs train once the running training on
        other inputs ends, whatever its result."""
        if e.model_id is None:  # a `wait` entry always names its model: a bug in the plan
            raise TypeError(f"{e.key}: a running training without a model id")
        self.say(f"{e.key}: waiting for the running training to end, then training")
        deadline = (
            None if self.opt.wait_timeout is None else self.opt.clock() + self.opt.wait_timeout
        )
        while (await self.client.get_model(e.model_id)).status == "training":
            if deadline is not None and self.opt.clock() > deadline:
                return _out(
                    e,
                    "skipped",
                    f"{PENDING_LEFT}; --wait gave up after {self.opt.wait_timeout:g} s",
                )
            await asyncio.sleep(self.opt.poll_interval)
        live = await sync_files(self.client, self.root, d, e.model_id)
        await self._metadata(e, d, live)
        return await self._train(e, d, live)

    async def _replace_running(self, e: ModelPlan, d: DesiredModel) -> ModelOutcome:
        if e.model_id is None:  # a `wait` entry always names its model: a bug in the plan
            raise TypeError(f"{e.key}: a running training without a model id")
        spent = e.training.cost_so_far if e.training else None
        await self.client.cancel_training(e.model_id)
        note = f" ({spent:g} CU already spent)" if spent is not None else ""
        self.say(f"{e.key}: canceled the running training on other inputs{note}")
        await self._until_stopped(e.model_id)
        live = await sync_files(self.client, self.root, d, e.model_id)
        await self._metadata(e, d, live)
        return await self._train(e, d, live)


def _named(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _out(
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
