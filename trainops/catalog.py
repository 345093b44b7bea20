"""The trainable model types and the parameters each takes, as plain values: what `trainops
types` shows (`render.types`), read from `manifest.parameters`.

JSON contract, `format_version` "1.0":
  `trainops types`
    format_version  "1.0"
    types[]         {type, family (flux-lora|musubi|sdxl-lora|sd15|voice), family_label,
                    trains_on (images|image pairs|audio samples), legacy (bool: documented by
                    Scenario's train page, gone from scenario-sdk 2.4: the API may refuse it)}
  `trainops types TYPE`
    format_version  "1.0"
    type, family, family_label, trains_on, legacy   as above
    parameters[]    {name, kind (string|number|boolean|string[]), minimum, maximum (null when
                    unbounded), exclusive_minimum (bool), enum (null or [str]), max_length (null
                    or int), whole (bool: a count), secret (bool: never printed), default (the
                    API's documented value, or null), default_note (how the API picks it when
                    it is not one value, or ""), description}
"""

from __future__ import annotations

from typing import Any

from trainops.manifest.parameters import (
    FAMILY_LABELS,
    MODEL_TYPES,
    ParamSpec,
    TypeInfo,
    default_of,
    parameters_of,
)

FORMAT_VERSION = "1.0"


def trains_on(info: TypeInfo) -> str:
    return "audio samples" if info.audio else "image pairs" if info.pairs else "images"


def _type_data(name: str) -> dict[str, Any]:
    info = MODEL_TYPES[name]
    return {
        "type": name,
        "family": info.family,
        "family_label": FAMILY_LABELS[info.family],
        "trains_on": trains_on(info),
        "legacy": info.legacy,
    }


def types_data() -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "types": [_type_data(t) for t in MODEL_TYPES]}


def _param_data(model_type: str, spec: ParamSpec) -> dict[str, Any]:
    lo, hi, exclusive = spec.limits(MODEL_TYPES[model_type].family)
    default = default_of(model_type, spec.name)
    return {
        "name": spec.name,
        "kind": spec.kind,
        "minimum": lo,
        "maximum": hi,
        "exclusive_minimum": exclusive,
        "enum": list(spec.enum) if spec.enum is not None else None,
        "max_length": spec.max_length,
        "whole": spec.whole,
        "secret": spec.secret,
        "default": default.value if default else None,
        "default_note": default.note if default else "",
        "description": spec.description,
    }


def type_data(model_type: str) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        **_type_data(model_type),
        "parameters": [_param_data(model_type, s) for s in parameters_of(model_type)],
    }
