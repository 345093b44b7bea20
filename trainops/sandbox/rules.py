"""The sandbox's own training rules: which model types train, on what, and every field of the
`parameters` object of `PUT /models/{id}/train` with its JSON type, bounds, enum and defaults.

Written from Scenario's documents alone, never from trainops's own table (`manifest.parameters`),
so that a wrong rule on the client's side is caught by the sandbox instead of passing both:

- Docs: the API reference page "Trigger - PUT /models/{modelId}/train" (its "Only available for
  ..." notes name the trainers below, its schema gives the bounds and enums);
- SDK: scenario-sdk 2.4.0, `types/models/train_trigger_params.py` (the same fields, typed; it
  drops the SD defaults and marks SD-only fields "Deprecated legacy training parameter");
- Guide: Scenario's training guide (scenario-api.md section 9): sample prompts on Musubi
  trainers, `sampleSourceImages` on the edit families only.

Where the documents leave a rule open, the sandbox takes the schema's reading: numbers are JSON
numbers (a fractional step count is not refused), `optimizeFor` is the schema's enum. The test
tests/sandbox/test_independent.py lists where this table and the client's differ, and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# The trainers as the Docs' "Only available for ..." notes name them.
Trainer = Literal["Flux LoRA", "Musubi", "SDXL LoRA", "SD15", "ElevenLabs voice"]
Kind = Literal["string", "number", "boolean", "string[]"]  # the schema's JSON types

FLUX: Trainer = "Flux LoRA"
MUSUBI: Trainer = "Musubi"
SDXL: Trainer = "SDXL LoRA"
SD15: Trainer = "SD15"
VOICE: Trainer = "ElevenLabs voice"


@dataclass(frozen=True)
class Trainable:
    trainer: Trainer
    job_type: str  # what the SDK's job enum calls the training (it has no voice-clone type)
    pairs: bool = False  # trains on source -> target pairs (edit / Kontext families)
    audio: bool = False  # trains on audio samples


_FLUX2_SIZES = ("dev", "klein-4b", "klein-9b", "klein-base-4b", "klein-base-9b")


def _trainable() -> dict[str, Trainable]:
    """scenario-api.md 4.1: every `*-lora` type and `elevenlabs-voice`; base, hosted, custom and
    composition models do not train. Kontext and the `-edit-` types train on pairs."""
    flux = ("flux.1-lora", "flux.1-kontext-lora", "flux.1-krea-lora")
    musubi = (
        *(f"flux.2-{size}-lora" for size in _FLUX2_SIZES),
        *(f"flux.2-{size}-edit-lora" for size in _FLUX2_SIZES),
        "qwen-image-lora", "qwen-image-2512-lora", "qwen-image-edit-lora",
        "qwen-image-edit-2509-lora", "qwen-image-edit-2511-lora",
        "zimage-lora", "zimage-turbo-lora", "zimage-de-turbo-lora",
    )  # fmt: skip
    out = {t: Trainable(FLUX, "flux-model-training", pairs="kontext" in t) for t in flux}
    out |= {t: Trainable(MUSUBI, "musubi-model-training", pairs="-edit" in t) for t in musubi}
    # Legacy types: the Docs page lists them, SDK 2.4 no longer does.
    out["sd-xl-lora"] = Trainable(SDXL, "model-training")
    out["sd-1_5"] = Trainable(SD15, "model-training")
    out["sd-1_5-lora"] = Trainable(SD15, "model-training")
    out["elevenlabs-voice"] = Trainable(VOICE, "model-training", audio=True)
    return out


TRAINABLE: dict[str, Trainable] = _trainable()

ALL: frozenset[Trainer] = frozenset({FLUX, MUSUBI, SDXL, SD15, VOICE})
SD: frozenset[Trainer] = frozenset({SD15, SDXL})

Bounds = tuple[float | None, float | None, bool]  # (minimum, maximum, exclusive minimum)


@dataclass(frozen=True)
class Param:
    kind: Kind
    trainers: frozenset[Trainer]  # ALL where the Docs state no "Only available for" note
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    per_trainer: Mapping[Trainer, Bounds] = field(default_factory=dict)  # tighter bounds
    defaults: Mapping[Trainer, object] = field(default_factory=dict)  # documented defaults
    pairs_only: bool = False  # the Guide: only the edit families take it

    def bounds(self, trainer: Trainer) -> Bounds:
        return self.per_trainer.get(trainer, (self.minimum, self.maximum, self.exclusive_minimum))


def _only(*trainers: Trainer) -> frozenset[Trainer]:
    return frozenset(trainers)


PARAMS: dict[str, Param] = {
    "age": Param("string", _only(VOICE)),
    "batchSize": Param("number", _only(FLUX), 1, 4),
    "classPrompt": Param("string", _only(SD15)),
    # The Docs' text: "instant" or "professional"; the schema types it as a plain string.
    "cloneType": Param("string", _only(VOICE), enum=("instant", "professional")),
    "conceptPrompt": Param("string", ALL, defaults={SD15: "daiton", SDXL: "daiton", FLUX: ""}),
    "gender": Param("string", _only(VOICE)),
    "language": Param("string", _only(VOICE)),
    "learningRate": Param(
        "number", ALL, 0, exclusive_minimum=True,
        defaults={SD15: 0.000005, SDXL: 0.000005, FLUX: 0.0001},
    ),
    "learningRateTextEncoder": Param(
        "number", ALL, 0, 0.001, exclusive_minimum=True,
        per_trainer={FLUX: (0.000001, 0.001, False)},
        defaults={SDXL: 0.00005, FLUX: 0.00001},
    ),
    "learningRateUnet": Param("number", _only(SDXL), 0, exclusive_minimum=True),
    "lrScheduler": Param(
        "string", SD,
        enum=("constant", "constant-with-warmup", "cosine", "cosine-with-restarts", "linear",
              "polynomial"),
        defaults={SD15: "constant", SDXL: "constant"},
    ),
    # Its default depends on the dataset: see `default_steps`.
    "maxTrainSteps": Param("number", ALL, 0, 40000, per_trainer={FLUX: (0, 10000, False)}),
    "nbEpochs": Param("number", _only(FLUX), 1, 30),
    "nbRepeats": Param("number", _only(FLUX), 1, 30),
    "numTextTrainSteps": Param("number", _only(SDXL), 0, 40000),
    "numUNetTrainSteps": Param("number", _only(SDXL), 0, 40000),
    # The schema (Docs and SDK) allows only "likeness"; the description also names "all" and
    # "none". The sandbox refuses what the schema refuses.
    "optimizeFor": Param("string", _only(FLUX), enum=("likeness",)),
    # The Docs print the maximum as 1.7976931348623157: the float maximum, truncated.
    "priorLossWeight": Param("number", SD, 0, exclusive_minimum=True),
    "randomCrop": Param("boolean", SD),
    "randomCropRatio": Param("number", SD, 0, 1),
    "randomCropScale": Param("number", SD, 0, 1),
    "rank": Param(
        "number", _only(SDXL, FLUX, MUSUBI), 2, 128,
        per_trainer={FLUX: (2, 64, False), MUSUBI: (2, 128, False)},
        defaults={SDXL: 64, FLUX: 16, MUSUBI: 64},
    ),
    "removeBackgroundNoise": Param("boolean", _only(VOICE)),
    "samplePrompts": Param("string[]", _only(FLUX, MUSUBI)),  # Musubi: the Guide
    "sampleSourceImages": Param("string[]", _only(FLUX, MUSUBI), pairs_only=True),
    "scaleLr": Param("boolean", SD),
    "seed": Param("number", SD, 0, 9007199254740991),
    "textEncoderTrainingRatio": Param("number", SD, 0, 0.99),
    "validationFrequency": Param("number", SD, 0),
    "validationPrompt": Param("string", SD),
    "voiceDescription": Param("string", _only(VOICE)),
    "wandbKey": Param("string", ALL, max_length=40),
}  # fmt: skip

# Training steps the API runs when `maxTrainSteps` is not given, by dataset size (Docs).
_DEFAULT_STEPS = {
    SD15: lambda n: round(n * 225 / 3),
    SDXL: lambda n: n * 175,
    FLUX: lambda n: n * 100,
}


def default_steps(model_type: str, image_count: int) -> int | None:
    """The documented default `maxTrainSteps` (None where no document gives one)."""
    t = TRAINABLE.get(model_type)
    rule = _DEFAULT_STEPS.get(t.trainer) if t is not None else None
    return None if rule is None else int(rule(image_count))


def needs_person(model_type: str, params: Mapping[str, object]) -> bool:
    """Professional voice cloning "requires captcha" (Docs, SDK): a person reads a text aloud in
    the web app (stage `pending-captcha`) before the training goes on."""
    t = TRAINABLE.get(model_type)
    return t is not None and t.audio and params.get("cloneType") == "professional"


def default_value(model_type: str, name: str, image_count: int) -> object | None:
    """The documented default of one parameter for one type, None when there is none."""
    t, p = TRAINABLE.get(model_type), PARAMS.get(name)
    if t is None or p is None:
        return None
    if name == "maxTrainSteps":
        return default_steps(model_type, image_count)
    return p.defaults.get(t.trainer)


def _show(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _trainers(p: Param) -> str:
    order = [FLUX, MUSUBI, SD15, SDXL, VOICE]
    names = [t for t in order if t in p.trainers]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _type_problem(p: Param, value: object) -> str | None:
    ok = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "string[]": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "number": isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value),
    }[p.kind]
    return None if ok else f"must be of type {p.kind}"


def _range_problem(p: Param, trainer: Trainer, value: float) -> str | None:
    lo, hi, exclusive = p.bounds(trainer)
    where = f" for {trainer}" if trainer in p.per_trainer else ""
    if lo is not None and (value <= lo if exclusive else value < lo):
        op = "greater than" if exclusive else "at least"
        return f"must be {op} {_show(lo)}{where}, got {_show(value)}"
    if hi is not None and value > hi:
        return f"must be at most {_show(hi)}{where}, got {_show(value)}"
    return None


def problem(model_type: str, name: str, value: object) -> str | None:
    """Why the API refuses one parameter for one trainable type, or None."""
    p, t = PARAMS.get(name), TRAINABLE[model_type]
    if p is None:
        return "unknown training parameter"
    if t.trainer not in p.trainers or (p.pairs_only and not t.pairs):
        only = "edit (image pair)" if p.pairs_only else _trainers(p)
        return f"not available for {model_type} (only available for {only} training)"
    if found := _type_problem(p, value):
        return found
    if p.enum is not None and value not in p.enum:
        return f"must be one of {', '.join(p.enum)}, got {value!r}"
    if p.max_length is not None and isinstance(value, str) and len(value) > p.max_length:
        return f"must be at most {p.max_length} characters, got {len(value)}"
    if p.kind == "number" and isinstance(value, int | float):
        return _range_problem(p, t.trainer, float(value))
    return None


def problems(model_type: str, params: Mapping[str, object]) -> list[tuple[str, str]]:
    """Every (name, message) the API gives for a `parameters` object of a trainable type,
    cross-field rules included (Docs: validationFrequency, sampleSourceImages)."""
    out = [(n, m) for n, v in params.items() if (m := problem(model_type, n, v)) is not None]
    bad = {n for n, _ in out}
    vf, steps = params.get("validationFrequency"), params.get("maxTrainSteps")
    if (
        isinstance(vf, int | float)
        and isinstance(steps, int | float)
        and vf > steps
        and "validationFrequency" not in bad
    ):
        out.append(("validationFrequency", f"cannot be greater than maxTrainSteps ({steps})"))
    prompts, sources = params.get("samplePrompts"), params.get("sampleSourceImages")
    n = len(prompts) if isinstance(prompts, list) else 0
    if isinstance(sources, list) and len(sources) != n and "sampleSourceImages" not in bad:
        out.append(
            (
                "sampleSourceImages",
                f"must be the same length as samplePrompts ({n}), got {len(sources)}",
            )
        )
    return out
