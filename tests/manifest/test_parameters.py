from __future__ import annotations

import pytest

from trainops.manifest.parameters import (
    MODEL_TYPES,
    PARAMETERS,
    check_parameter,
    check_parameters,
    default_max_train_steps,
)


def test_every_trainable_type_of_the_seed_page_is_known() -> None:
    for t in ("flux.1-lora", "sd-xl-lora", "sd-1_5-lora", "elevenlabs-voice", "qwen-image-lora"):
        assert t in MODEL_TYPES
    assert MODEL_TYPES["qwen-image-edit-2509-lora"].pairs
    assert MODEL_TYPES["flux.1-kontext-lora"].pairs
    assert not MODEL_TYPES["flux.1-lora"].pairs
    assert MODEL_TYPES["elevenlabs-voice"].audio
    assert len(PARAMETERS) == 32


@pytest.mark.parametrize(
    ("model_type", "name", "value", "message"),
    [
        (
            "sd-xl-lora",
            "batchSize",
            2,
            "not available for sd-xl-lora (only for Flux LoRA training)",
        ),
        (
            "flux.1-lora",
            "numUNetTrainSteps",
            10,
            "not available for flux.1-lora (only for SDXL LoRA training)",
        ),
        (
            "flux.1-lora",
            "cloneType",
            "instant",
            "not available for flux.1-lora (only for ElevenLabs voice training)",
        ),
        ("flux.1-lora", "rank", 128, "must be at most 64 for Flux LoRA, got 128"),
        ("qwen-image-lora", "rank", 128, None),
        ("qwen-image-lora", "rank", 129, "must be at most 128, got 129"),
        ("flux.1-lora", "rank", 1, "must be at least 2 for Flux LoRA, got 1"),
        ("flux.1-lora", "maxTrainSteps", 10001, "must be at most 10000 for Flux LoRA, got 10001"),
        ("sd-xl-lora", "maxTrainSteps", 10001, None),
        ("flux.1-lora", "learningRate", 0, "must be greater than 0, got 0"),
        (
            "flux.1-lora",
            "learningRateTextEncoder",
            0.0000005,
            "must be at least 1e-06 for Flux LoRA, got 5e-07",
        ),
        ("sd-xl-lora", "learningRateTextEncoder", 0.0000005, None),
        ("flux.1-lora", "maxTrainSteps", 10.5, None),  # the schema's number; a lint warns
        ("flux.1-lora", "maxTrainSteps", True, "must be a number"),
        ("flux.1-lora", "optimizeFor", "all", "must be one of likeness, got 'all'"),
        ("flux.1-lora", "wandbKey", "x" * 41, "must be at most 40 characters, got 41"),
        (
            "flux.1-lora",
            "sampleSourceImages",
            ["a"],
            "not available for flux.1-lora (only for edit (image pair) training)",
        ),
        ("flux.1-lora", "bogus", 1, "unknown training parameter"),
        ("sd-xl-lora", "randomCrop", "yes", "must be true or false"),
        ("flux.1-lora", "samplePrompts", "a", "must be a list of strings"),
    ],
)
def test_check_parameter(model_type: str, name: str, value: object, message: str | None) -> None:
    assert check_parameter(model_type, name, value) == message


def test_cross_field_rules() -> None:
    assert check_parameters("sd-xl-lora", {"validationFrequency": 500, "maxTrainSteps": 400}) == [
        ("validationFrequency", "must not be greater than maxTrainSteps (400)")
    ]
    assert check_parameters(
        "flux.1-kontext-lora", {"samplePrompts": ["a", "b"], "sampleSourceImages": ["x"]}
    ) == [("sampleSourceImages", "must have the same length as samplePrompts (2), got 1")]
    assert check_parameters("flux.1-lora", {"maxTrainSteps": 800, "rank": 16}) == []


def test_default_max_train_steps_follow_the_seed_page() -> None:
    assert default_max_train_steps("sd-1_5", 10) == 750
    assert default_max_train_steps("sd-xl-lora", 10) == 1750
    assert default_max_train_steps("flux.1-lora", 10) == 1000
    assert default_max_train_steps("elevenlabs-voice", 10) is None
    assert default_max_train_steps("qwen-image-lora", 10) is None  # no document gives it
