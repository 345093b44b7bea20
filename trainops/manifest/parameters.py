"""The API's training rules: trainable model types and every `parameters` field of
`PUT /models/{id}/train`, with ranges and per-type availability.

Sources: Scenario's page for the train endpoint (the "Only available for ..." notes, schema bounds
and per-type limits) and `scenario-sdk` 2.4.0, whose types (model types, parameter JSON types and
enums) this table follows (tests/manifest/test_sdk_types.py checks it); where Scenario's training
guide is newer (sample prompts on Musubi trainers, `sampleSourceImages` only on edit families) it
wins. The sandbox keeps its own table (`trainops.sandbox.rules`); tests/sandbox/test_independent.py
lists where the two differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Family = Literal["flux-lora", "musubi", "sdxl-lora", "sd15", "voice"]
Kind = Literal["string", "number", "boolean", "string[]"]  # the API schema's JSON types

FAMILY_LABELS: dict[str, str] = {
    "flux-lora": "Flux LoRA",
    "musubi": "Musubi (FLUX.2, Qwen, Z-Image LoRA)",
    "sdxl-lora": "SDXL LoRA",
    "sd15": "SD 1.5",
    "voice": "ElevenLabs voice",
}


@dataclass(frozen=True)
class TypeInfo:
    family: Family
    pairs: bool  # trains on source -> target pairs (edit LoRAs)
    audio: bool  # trains on audio samples
    job_type: str  # the job type a training of this model produces
    # Documented by Scenario's train page but gone from scenario-sdk 2.4's type enum: the API
    # may refuse new models of it (scenario-api.md 4.1).
    legacy: bool = False


def _types() -> dict[str, TypeInfo]:
    flux = ["flux.1-lora", "flux.1-kontext-lora", "flux.1-krea-lora"]
    musubi = [
        "flux.2-dev-lora",
        "flux.2-dev-edit-lora",
        "flux.2-klein-4b-lora",
        "flux.2-klein-4b-edit-lora",
        "flux.2-klein-9b-lora",
        "flux.2-klein-9b-edit-lora",
        "flux.2-klein-base-4b-lora",
        "flux.2-klein-base-4b-edit-lora",
        "flux.2-klein-base-9b-lora",
        "flux.2-klein-base-9b-edit-lora",
        "qwen-image-lora",
        "qwen-image-2512-lora",
        "qwen-image-edit-lora",
        "qwen-image-edit-2509-lora",
        "qwen-image-edit-2511-lora",
        "zimage-lora",
        "zimage-turbo-lora",
        "zimage-de-turbo-lora",
    ]
    out: dict[str, TypeInfo] = {}
    for t in flux:
        out[t] = TypeInfo("flux-lora", t == "flux.1-kontext-lora", False, "flux-model-training")
    for t in musubi:
        out[t] = TypeInfo("musubi", "-edit-" in t, False, "musubi-model-training")
    out["sd-xl-lora"] = TypeInfo("sdxl-lora", False, False, "model-training", legacy=True)
    out["sd-1_5"] = TypeInfo("sd15", False, False, "model-training", legacy=True)
    out["sd-1_5-lora"] = TypeInfo("sd15", False, False, "model-training", legacy=True)
    # The SDK's job type enum has no voice-clone type: a clone is a model-training job whose
    # metadata names the model (outputModelId).
    out["elevenlabs-voice"] = TypeInfo("voice", False, True, "model-training")
    return out


MODEL_TYPES: dict[str, TypeInfo] = _types()

_IMAGE = frozenset({"flux-lora", "musubi", "sdxl-lora", "sd15"})
_ALL = frozenset({"flux-lora", "musubi", "sdxl-lora", "sd15", "voice"})
_SD = frozenset({"sd15", "sdxl-lora"})
_VOICE = frozenset({"voice"})
_FLUX = frozenset({"flux-lora"})
_SDXL = frozenset({"sdxl-lora"})


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: Kind
    families: frozenset[str]  # which families accept it
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    enum: tuple[str, ...] | None = None
    max_length: int | None = None
    # per-family (minimum, maximum, exclusive_minimum) that tighten the schema bounds
    bounds: Mapping[str, tuple[float | None, float | None, bool]] | None = None
    pairs_only: bool = False  # only edit (pair) types accept it
    # A count (steps, epochs, rank, seed): the schema takes any number, a trainer counts whole
    # ones, so a fraction is a lint warning, not an error.
    whole: bool = False
    secret: bool = False
    description: str = ""

    def limits(self, family: str) -> tuple[float | None, float | None, bool]:
        if self.bounds and family in self.bounds:
            return self.bounds[family]
        return self.minimum, self.maximum, self.exclusive_minimum


def _p(name: str, kind: Kind, families: frozenset[str], **kw: object) -> ParamSpec:
    return ParamSpec(name, kind, families, **kw)  # type: ignore[arg-type]


_SPECS = [
    _p("age", "string", _VOICE, description="Age group of the voice (professional cloning)"),
    _p("batchSize", "number", _FLUX, minimum=1, maximum=4, whole=True),
    _p("classPrompt", "string", frozenset({"sd15"})),
    _p("cloneType", "string", _VOICE, enum=("instant", "professional")),
    _p("conceptPrompt", "string", _ALL),
    _p("gender", "string", _VOICE),
    _p("language", "string", _VOICE, description="ISO 639-1 code of the samples"),
    _p("learningRate", "number", _ALL, minimum=0, exclusive_minimum=True),
    _p(
        "learningRateTextEncoder",
        "number",
        _ALL,
        minimum=0,
        maximum=0.001,
        exclusive_minimum=True,
        bounds={"flux-lora": (0.000001, 0.001, False)},
    ),
    _p("learningRateUnet", "number", _SDXL, minimum=0, exclusive_minimum=True),
    _p(
        "lrScheduler",
        "string",
        _SD,
        enum=(
            "constant",
            "constant-with-warmup",
            "cosine",
            "cosine-with-restarts",
            "linear",
            "polynomial",
        ),
    ),
    _p(
        "maxTrainSteps",
        "number",
        _ALL,
        minimum=0,
        maximum=40000,
        bounds={"flux-lora": (0, 10000, False)},
        whole=True,
    ),
    _p("nbEpochs", "number", _FLUX, minimum=1, maximum=30, whole=True),
    _p("nbRepeats", "number", _FLUX, minimum=1, maximum=30, whole=True),
    _p("numTextTrainSteps", "number", _SDXL, minimum=0, maximum=40000, whole=True),
    _p("numUNetTrainSteps", "number", _SDXL, minimum=0, maximum=40000, whole=True),
    # The schema (train page and SDK) allows only "likeness"; its description also names "all"
    # and "none", which the schema refuses.
    _p("optimizeFor", "string", _FLUX, enum=("likeness",)),
    _p("priorLossWeight", "number", _SD, minimum=0, exclusive_minimum=True),
    _p("randomCrop", "boolean", _SD),
    _p("randomCropRatio", "number", _SD, minimum=0, maximum=1),
    _p("randomCropScale", "number", _SD, minimum=0, maximum=1),
    _p(
        "rank",
        "number",
        frozenset({"sdxl-lora", "flux-lora", "musubi"}),
        minimum=2,
        maximum=128,
        bounds={"flux-lora": (2, 64, False)},
        whole=True,
    ),
    _p("removeBackgroundNoise", "boolean", _VOICE),
    _p("samplePrompts", "string[]", frozenset({"flux-lora", "musubi"})),
    _p("sampleSourceImages", "string[]", frozenset({"flux-lora", "musubi"}), pairs_only=True),
    _p("scaleLr", "boolean", _SD),
    _p("seed", "number", _SD, minimum=0, maximum=9007199254740991, whole=True),
    _p("textEncoderTrainingRatio", "number", _SD, minimum=0, maximum=0.99),
    _p("validationFrequency", "number", _SD, minimum=0, whole=True),
    _p("validationPrompt", "string", _SD),
    _p("voiceDescription", "string", _VOICE),
    _p("wandbKey", "string", _ALL, max_length=40, secret=True),
]

PARAMETERS: dict[str, ParamSpec] = {s.name: s for s in _SPECS}

# Sample-prompt caps per family from Scenario's training guide (a lint, not an API error).
SAMPLE_PROMPT_CAPS: dict[str, int] = {"flux-lora": 8, "musubi": 4}


def family_label(families: frozenset[str]) -> str:
    return ", ".join(FAMILY_LABELS[f] for f in sorted(families))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _check_kind(spec: ParamSpec, value: object) -> str | None:
    if spec.kind == "string":
        return None if isinstance(value, str) else "must be a string"
    if spec.kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if spec.kind == "string[]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "must be a list of strings"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number"
    return None


def _check_range(spec: ParamSpec, family: str, value: float) -> str | None:
    lo, hi, exclusive = spec.limits(family)
    where = f" for {FAMILY_LABELS[family]}" if spec.bounds and family in spec.bounds else ""
    if lo is not None and (value <= lo if exclusive else value < lo):
        op = "greater than" if exclusive else "at least"
        return f"must be {op} {_fmt(lo)}{where}, got {_fmt(value)}"
    if hi is not None and value > hi:
        return f"must be at most {_fmt(hi)}{where}, got {_fmt(value)}"
    return None


def check_parameter(model_type: str, name: str, value: object) -> str | None:
    """The problem with one parameter for one model type, or None when it is valid."""
    spec = PARAMETERS.get(name)
    info = MODEL_TYPES.get(model_type)
    if spec is None:
        return "unknown training parameter"
    if info is None:
        return None  # the type itself is reported by the caller
    if info.family not in spec.families or (spec.pairs_only and not info.pairs):
        allowed = "edit (image pair)" if spec.pairs_only else family_label(spec.families)
        return f"not available for {model_type} (only for {allowed} training)"
    if problem := _check_kind(spec, value):
        return problem
    if spec.enum is not None and value not in spec.enum:
        return f"must be one of {', '.join(spec.enum)}, got {value!r}"
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        return f"must be at most {spec.max_length} characters, got {len(value)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _check_range(spec, info.family, float(value))
    return None


def _cross_field(params: Mapping[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    vf, steps = params.get("validationFrequency"), params.get("maxTrainSteps")
    if isinstance(vf, int | float) and isinstance(steps, int | float) and vf > steps:
        msg = f"must not be greater than maxTrainSteps ({_fmt(steps)})"
        out.append(("validationFrequency", msg))
    prompts, sources = params.get("samplePrompts"), params.get("sampleSourceImages")
    n = len(prompts) if isinstance(prompts, list) else 0
    if isinstance(sources, list) and len(sources) != n:
        msg = f"must have the same length as samplePrompts ({n}), got {len(sources)}"
        out.append(("sampleSourceImages", msg))
    return out


def check_parameters(model_type: str, params: Mapping[str, object]) -> list[tuple[str, str]]:
    """Every (parameter name, message) problem of a `parameters` object for a model type."""
    out = [
        (name, msg)
        for name, value in params.items()
        if (msg := check_parameter(model_type, name, value)) is not None
    ]
    bad = {name for name, _ in out}
    out += [(n, m) for n, m in _cross_field(params) if n not in bad]
    return out


_DEFAULT_STEPS_PER_IMAGE: dict[str, Callable[[int], int]] = {
    "sd15": lambda n: round(n * 225 / 3),
    "sdxl-lora": lambda n: n * 175,
    "flux-lora": lambda n: n * 100,
}


def default_max_train_steps(model_type: str, image_count: int) -> int | None:
    """The API's default `maxTrainSteps` for a dataset size; None where no document gives one
    (Musubi trainers, voice models)."""
    info = MODEL_TYPES.get(model_type)
    if info is None or info.family not in _DEFAULT_STEPS_PER_IMAGE:
        return None
    return _DEFAULT_STEPS_PER_IMAGE[info.family](image_count)


@dataclass(frozen=True)
class Default:
    """What the API uses when `parameters` leaves a field out: a value, or a rule (`note`) when
    it depends on the dataset or is drawn at random."""

    value: str | float | None = None
    note: str = ""


# Scenario's train page, per family (scenario-api.md 4.2): only what it documents.
DEFAULTS: dict[str, dict[str, Default]] = {
    "conceptPrompt": {
        "sd15": Default("daiton", "when there is no classPrompt"),
        "sdxl-lora": Default("daiton"),
        "flux-lora": Default(""),
    },
    "learningRate": {
        "sd15": Default(0.000005),
        "sdxl-lora": Default(0.000005),
        "flux-lora": Default(0.0001),
    },
    "learningRateTextEncoder": {"sdxl-lora": Default(0.00005), "flux-lora": Default(0.00001)},
    "maxTrainSteps": {
        family: Default(None, f"{per_image(1)} per training image")
        for family, per_image in _DEFAULT_STEPS_PER_IMAGE.items()
    },
    "rank": {"sdxl-lora": Default(64), "flux-lora": Default(16), "musubi": Default(64)},
    "lrScheduler": {"sd15": Default("constant"), "sdxl-lora": Default("constant")},
    "seed": {"sd15": Default(None, "random"), "sdxl-lora": Default(None, "random")},
}


def parameters_of(model_type: str) -> list[ParamSpec]:
    """The parameters a model type takes, by name."""
    info = MODEL_TYPES[model_type]
    return [
        spec
        for name, spec in sorted(PARAMETERS.items())
        if info.family in spec.families and (info.pairs or not spec.pairs_only)
    ]


def default_of(model_type: str, name: str) -> Default | None:
    """The API's documented default of one parameter for one model type; None where no
    document gives one."""
    return DEFAULTS.get(name, {}).get(MODEL_TYPES[model_type].family)
