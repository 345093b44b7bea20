"""A live model's `parameters` as the API echoes them, compared with the declared ones in one
canonical form.

Nothing documents the echo as verbatim. A plausible API (the sandbox's `normalise_parameters`)
gives every number as a float (200 as 200.0) and leaves out a value equal to its documented
default, or the whole object when nothing is left. So a declared parameter is unchanged when the
echo holds it in the same canonical form (`desired.canonical_value`, the fingerprint's), or
leaves it out while the declared value is the documented default for the type (and, for
`maxTrainSteps`, the dataset's size). Left out otherwise (or with no documented default), the
live model does not hold it: that is drift. Undeclared parameters are never compared: the API
fills in its defaults for them. Secrets are never compared by value.

When the recorded fingerprint is the declared one, the declared parameters are what trainops
last sent, so this compares the live model with what trainops last sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from trainops.desired import canonical_parameters, canonical_value
from trainops.manifest.parameters import MODEL_TYPES, default_max_train_steps

# The documented defaults per family (scenario-api.md 4.2, from the train endpoint's page and
# scenario-sdk 2.4), except `maxTrainSteps`, which depends on the dataset.
DEFAULTS: Mapping[str, Mapping[str, object]] = {
    "flux-lora": {
        "conceptPrompt": "",
        "learningRate": 0.0001,
        "learningRateTextEncoder": 0.00001,
        "rank": 16,
    },
    "musubi": {"rank": 64},
    "sdxl-lora": {
        "conceptPrompt": "daiton",
        "learningRate": 0.000005,
        "learningRateTextEncoder": 0.00005,
        "lrScheduler": "constant",
        "rank": 64,
    },
    "sd15": {"conceptPrompt": "daiton", "learningRate": 0.000005, "lrScheduler": "constant"},
}


def documented_default(model_type: str, name: str, image_count: int) -> object | None:
    """The value the API stores for `name` when none is sent; None when no document says."""
    info = MODEL_TYPES.get(model_type)
    if info is None:
        return None
    if name == "maxTrainSteps":
        return default_max_train_steps(model_type, image_count)
    return DEFAULTS.get(info.family, {}).get(name)


def differing(
    model_type: str,
    declared: Mapping[str, object],
    live: Mapping[str, object] | None,
    image_count: int,
) -> dict[str, tuple[object, object]]:
    """{name: (live value, declared value)} for each declared public parameter the live model
    does not hold as declared, in canonical form; the live value is None when the echo leaves
    the parameter out (and the declared value is not its default)."""
    echo = live or {}
    out: dict[str, tuple[object, object]] = {}
    for name, want in canonical_parameters(declared).items():
        shown = echo.get(name)
        if shown is None:
            if canonical_value(documented_default(model_type, name, image_count)) != want:
                out[name] = (None, want)
        elif (have := canonical_value(shown)) != want:
            out[name] = (have, want)
    return out
