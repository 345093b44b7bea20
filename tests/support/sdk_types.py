"""What scenario-sdk's types say about training: model types, job types and the `parameters`
fields of `PUT /models/{id}/train` (wire name -> JSON type, enum)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args, get_origin, get_type_hints

from scenario_sdk.types.job_retrieve_response import Job
from scenario_sdk.types.model_create_params import ModelCreateParams
from scenario_sdk.types.models.train_trigger_params import Parameters

_KINDS = {str: "string", float: "number", bool: "boolean"}


def sdk_parameters() -> dict[str, tuple[str, tuple[str, ...] | None]]:
    out = {}
    for attr, hint in get_type_hints(Parameters, include_extras=True).items():
        name, inner = attr, hint
        if get_origin(hint) is Annotated:
            inner, info = get_args(hint)[0], get_args(hint)[1]
            name = info.alias or attr
        if get_origin(inner) is Literal:
            out[name] = ("string", get_args(inner))
        elif get_args(inner) == (str,):
            out[name] = ("string[]", None)
        else:
            out[name] = (_KINDS[inner], None)
    return out


def sdk_model_types() -> frozenset[str]:
    hint = get_type_hints(ModelCreateParams, include_extras=True)["type"]
    return frozenset(get_args(hint))


def sdk_job_types() -> frozenset[str]:
    return frozenset(get_args(Job.model_fields["job_type"].annotation))
