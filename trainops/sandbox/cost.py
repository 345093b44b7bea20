"""The sandbox's own cost and duration model: deterministic, documented, not Scenario's prices.

cost (creative units) = ceil(base + steps x rate) for image trainings, where steps is
`maxTrainSteps` if given, else `nbEpochs x nbRepeats x images / batchSize` when `nbEpochs` is
given (so epochs scale the cost linearly), else the API's default steps for the dataset size.
Voice clones cost a flat fee per `cloneType`. dryRun and the real trigger both call
`estimate_cost`, so a job's `billing.cuCost` always equals the dryRun estimate. `dryRun=api`
("estimate at the API pricing tier") and `dryRun=true` price the same here: no document says how
the tiers differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from trainops.sandbox.rules import (
    FLUX,
    MUSUBI,
    SD15,
    SDXL,
    TRAINABLE,
    VOICE,
    Trainer,
    default_steps,
    needs_person,
)

# trainer -> (base CU, CU per training step)
_RATES: dict[Trainer, tuple[float, float]] = {
    FLUX: (10.0, 0.05),
    MUSUBI: (15.0, 0.08),
    SDXL: (5.0, 0.03),
    SD15: (5.0, 0.02),
}
_VOICE_COST = {"instant": 50, "professional": 500}
_DEFAULT_REPEATS = 10
# seconds of simulated training per step at speed 1; 800 steps (8 images) train in 8 s
_SECONDS_PER_STEP = 0.01
_VOICE_TRAIN_S = 5.0
_MUSUBI_STEPS_PER_IMAGE = 100
# No person reads the captcha in the sandbox: the job waits (and counts as running) this long.
CAPTCHA_HOLD_S = 365 * 24 * 3600.0


def _number(params: Mapping[str, object], name: str, default: float) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value)


def training_steps(model_type: str, parameters: Mapping[str, object], image_count: int) -> int:
    """Total training steps a run of these inputs takes (0 for voice clones)."""
    if "maxTrainSteps" in parameters:
        return int(_number(parameters, "maxTrainSteps", 0))
    if "nbEpochs" in parameters:
        epochs = _number(parameters, "nbEpochs", 1)
        repeats = _number(parameters, "nbRepeats", _DEFAULT_REPEATS)
        batch = max(_number(parameters, "batchSize", 1), 1)
        return math.ceil(epochs * repeats * image_count / batch)
    info = TRAINABLE.get(model_type)
    if info is not None and info.trainer == MUSUBI:
        # No document gives Musubi's default: the sandbox prices it like Flux's.
        return image_count * _MUSUBI_STEPS_PER_IMAGE
    return default_steps(model_type, image_count) or 0


def estimate_cost(model_type: str, parameters: Mapping[str, object], image_count: int) -> int:
    """Creative units a training costs in the sandbox; ValueError for non-trainable types."""
    info = TRAINABLE.get(model_type)
    if info is None:
        raise ValueError(f"model type {model_type!r} is not trainable")
    if info.trainer == VOICE:
        clone = parameters.get("cloneType", "instant")
        return _VOICE_COST.get(clone if isinstance(clone, str) else "instant", 50)
    base, rate = _RATES[info.trainer]
    return math.ceil(base + training_steps(model_type, parameters, image_count) * rate)


class Durations(NamedTuple):
    """Seconds a job spends in each non-terminal status (already divided by the speed)."""

    queued: float
    warming_up: float
    in_progress: float
    finalizing: float

    @property
    def total(self) -> float:
        return self.queued + self.warming_up + self.in_progress + self.finalizing


def durations(
    model_type: str, parameters: Mapping[str, object], image_count: int, speed: float
) -> Durations:
    """How long each phase lasts; a default 8-image Flux training takes 12 s at speed 1."""
    if needs_person(model_type, parameters):
        return Durations(CAPTCHA_HOLD_S, 0.0, 0.0, 0.0)
    info = TRAINABLE.get(model_type)
    if info is not None and info.trainer == VOICE:
        train = _VOICE_TRAIN_S
    else:
        steps = training_steps(model_type, parameters, image_count)
        train = min(max(steps * _SECONDS_PER_STEP, 3.0), 60.0)
    return Durations(1.0 / speed, 2.0 / speed, train / speed, 1.0 / speed)
