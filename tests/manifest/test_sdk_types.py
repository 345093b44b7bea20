"""trainops's table of training rules (`manifest/parameters.py`) against scenario-sdk's types:
the model types it trains, the job types they produce, and each parameter's JSON type and enum
(issue 12, item 10)."""

from __future__ import annotations

from tests.support.sdk_types import sdk_job_types, sdk_model_types, sdk_parameters
from trainops.manifest.parameters import MODEL_TYPES, PARAMETERS


def test_every_type_trainops_trains_is_the_sdks_or_marked_legacy() -> None:
    legacy = {name for name, info in MODEL_TYPES.items() if info.legacy}
    assert legacy == {"sd-xl-lora", "sd-1_5", "sd-1_5-lora"}
    assert set(MODEL_TYPES) - legacy <= sdk_model_types()
    assert not legacy & sdk_model_types()


def test_every_lora_and_voice_type_of_the_sdk_is_trainable() -> None:
    trainable = {t for t in sdk_model_types() if t.endswith("-lora") or t == "elevenlabs-voice"}
    assert trainable <= set(MODEL_TYPES)


def test_the_job_types_are_the_sdks() -> None:
    assert {info.job_type for info in MODEL_TYPES.values()} <= sdk_job_types()


def test_parameter_types_and_enums_are_the_sdks() -> None:
    ours = {name: (spec.kind, spec.enum) for name, spec in PARAMETERS.items()}
    # The SDK types cloneType as a string; its description names the two values it takes.
    assert ours.pop("cloneType") == ("string", ("instant", "professional"))
    assert ours == {k: v for k, v in sdk_parameters().items() if k != "cloneType"}
