"""Costs on a Plan from the API's dry run (`PUT /models/{id}/train?dryRun=api`, HTTP 269), and
the budget gate.

trainops runs with API keys, so it is billed at the API tier: plans are priced with `dryRun=api`
unless the workspace says `pricing: true` (trainops.yaml).

Only entries that will train are priced, concurrently (the client bounds the concurrency).

A dry run needs a model id, and the API prices no training without one (`POST /models` takes no
`dryRun`), while a plan must never create anything. So a `create` entry is priced on a
*stand-in*: a live model of this workspace of the same type whose dry run is exact for the new
model, i.e. one with no images yet (the API then honours `trainingImagesCount`) or with exactly
as many images as the manifest declares. The request carries the manifest's parameters, so the
estimate reflects type, parameters and image count, which is what the API's cost depends on. When
no stand-in exists the entry says so ("priced at apply") and the total is marked a lower bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Literal

from trainops.desired import Desired, DesiredModel, SecretRef
from trainops.errors import ApiError, QuotaError, UnsafePlanError
from trainops.leaks import claim, claim_leaked, is_probe
from trainops.live import Live, LiveModel
from trainops.plan import ModelPlan, Plan
from trainops.scenario.client import Scenario
from trainops.tags import probe_name, probe_tag

Priced = tuple[float | None, str | None]  # (estimated cost, note)
OnCreated = Callable[[str, str], None]  # (model type, probe id): a price probe was just created
Mode = Literal["true", "api"]

UNPRICED_NOTE = (
    "priced at apply: a dry run needs an existing model, plan creates none, "
    "and no live model of this type can stand in"
)


async def price(
    plan: Plan,
    client: Scenario,
    desired: Desired,
    *,
    live: Live | None = None,
    probe: bool = False,
    on_created: OnCreated | None = None,
) -> Plan:
    """`plan` with `estimated_cost`/`cost_note` set on every entry that will train.

    `live` (the state the plan was computed from) lets `create` entries be priced on a stand-in
    and lets notes say when the images on the live model differ from the manifest's. With
    `probe`, a `create` with no stand-in is priced on this workspace's empty price probe of its
    type, claimed or created on first need (see `trainops.tags`, `trainops.leaks`);
    `on_created` hears of each probe created, for the run to say so.
    """
    models = desired.by_key()
    todo = [m for m in plan.models if m.will_train and m.key in models]
    live_models = live.models if live is not None else ()
    probes = _Probes(client, desired.workspace.name, live, probe, on_created)
    mode = desired.workspace.pricing
    priced = await asyncio.gather(
        *(_price_entry(client, m, models[m.key], live_models, probes, mode) for m in todo)
    )
    return plan.with_costs({m.key: p for m, p in zip(todo, priced, strict=True)})


class _Probes:
    """One empty model per type to dry-run new models on, found at most once per type: this
    workspace's tagged probe, else a probe left untagged (claimed first: a probe carries its
    tag before it is used, so no other workspace uses it too), else a new one."""

    def __init__(
        self,
        client: Scenario,
        workspace: str,
        live: Live | None,
        allowed: bool,
        on_created: OnCreated | None = None,
    ) -> None:
        self.client, self.tag, self.allowed = client, probe_tag(workspace), allowed
        self.on_created = on_created
        self.ids: dict[str, str | None] = dict(live.probes) if live else {}
        self.leaked = [m for m in live.leaked if is_probe(m)] if live else []
        self.locks: dict[str, asyncio.Lock] = {}

    async def get(self, model_type: str) -> str | None:
        if model_type in self.ids or not self.allowed:
            return self.ids.get(model_type)
        async with self.locks.setdefault(model_type, asyncio.Lock()):
            if model_type not in self.ids:
                self.ids[model_type] = await self._find(model_type)
        return self.ids[model_type]

    async def _find(self, model_type: str) -> str | None:
        kind = (model_type, probe_name(model_type))
        for m in self.leaked:
            if m.type == model_type and await claim_leaked(self.client, m.id, kind, [self.tag]):
                return m.id
        probe = await self.client.create_model(
            type=model_type,
            name=probe_name(model_type),
            short_description="Empty model trainops dry-runs new models on. Never trained.",
        )
        # Another run may have claimed it as leaked before the tag: then it is theirs.
        if not await claim(self.client, probe.id, [self.tag]):
            return None
        if self.on_created is not None:
            self.on_created(model_type, probe.id)
        return probe.id


async def _price_entry(
    client: Scenario,
    entry: ModelPlan,
    model: DesiredModel,
    live_models: Sequence[LiveModel],
    probes: _Probes,
    mode: Mode,
) -> Priced:
    count = len(model.training_files)
    if entry.model_id is not None:
        current = next((m for m in live_models if m.id == entry.model_id), None)
        note = None
        if current is not None and current.images_count not in (0, count):
            # The API ignores trainingImagesCount once a model has images.
            note = f"priced on the {current.images_count} images uploaded now ({count} after apply)"
        return await price_model(client, entry.model_id, model, note=note, mode=mode)
    stand_in = _stand_in(model, count, live_models)
    if stand_in is not None:
        note = (
            f"estimated with a dry run on {stand_in.id} (same type; the model does not exist yet)"
        )
        return await price_model(client, stand_in.id, model, note=note, mode=mode)
    try:
        probe_id = await probes.get(model.type)
    except ApiError as exc:  # quota, refusal, or an ambiguous create: never retried here
        return None, f"{UNPRICED_NOTE} (creating the price probe failed: {exc.message})"
    if probe_id is None:
        return None, UNPRICED_NOTE
    note = f"estimated with a dry run on the workspace's empty price probe {probe_id}"
    return await price_model(client, probe_id, model, note=note, mode=mode)


def _stand_in(
    model: DesiredModel, count: int, live_models: Sequence[LiveModel]
) -> LiveModel | None:
    same_type = sorted((m for m in live_models if m.type == model.type), key=lambda m: m.id)
    # An empty model is exact (trainingImagesCount is honoured); else one with as many images.
    for wanted in (0, count):
        for m in same_type:
            if m.images_count == wanted:
                return m
    return None


async def price_model(
    client: Scenario,
    model_id: str,
    model: DesiredModel,
    *,
    note: str | None = None,
    mode: Mode = "api",
) -> Priced:
    """One dry run (`mode`: the workspace's pricing) for `model`'s inputs on live model
    `model_id`; refusals become the note.

    Usable by apply too, e.g. to price a just-created model before triggering its training.
    """
    try:
        result = await client.dry_run(
            model_id,
            pricing_parameters(model),
            training_images_count=len(model.training_files),
            mode=mode,
        )
    except QuotaError as exc:
        return None, f"not priced: {_without_subject(exc.message, model_id)}"
    except ApiError as exc:
        if exc.status is None or exc.status >= 500 or exc.status == 401:
            raise
        return None, f"dry run refused: {_without_subject(exc.message, model_id)}"
    if result.cost is None:
        return None, "the dry run returned no creativeUnitsCost"
    return result.cost, note


def _without_subject(message: str, model_id: str) -> str:
    # The entry already names its model; keep the note to what the API said.
    return message.removeprefix(f"price the training of model {model_id}: ")


def pricing_parameters(model: DesiredModel) -> dict[str, object]:
    """The manifest's parameters minus secrets: they never change the cost, and a plan must not
    read them from the environment."""
    return {k: v for k, v in model.parameters.items() if not isinstance(v, SecretRef)}


def check_budget(plan: Plan, max_cost: float | None, budget: float | None) -> None:
    """Raise `UnsafePlanError` when the plan's total cost exceeds `--max-cost` or the budget."""
    limits = [(max_cost, "--max-cost"), (budget, "the workspace budget (trainops.yaml)")]
    total = plan.total_cost
    for limit, label in limits:
        if limit is not None and total > limit:
            raise UnsafePlanError(
                f"the plan costs {total:g} creative units{_lower_bound(plan)}, "
                f"over {label} of {limit:g}",
                hint=f"{_top_costs(plan)}; {_raise_hint(label)}",
            )


def _lower_bound(plan: Plan) -> str:
    n = plan.unpriced
    return f" (at least: {n} training(s) priced only at apply)" if n else ""


def _top_costs(plan: Plan, n: int = 3) -> str:
    costly = sorted(
        (m for m in plan.models if m.will_train and m.estimated_cost),
        key=lambda m: (-(m.estimated_cost or 0.0), m.key),
    )[:n]
    return "most expensive: " + ", ".join(f"{m.key} ({m.estimated_cost:g})" for m in costly)


def _raise_hint(label: str) -> str:
    if label == "--max-cost":
        return "raise --max-cost, or train fewer models in this change"
    return "raise `budget` in trainops.yaml, or train fewer models in this change"
