"""Enum values the SDK's response types accept (scenario-sdk 2.4.0). Copied rather than read
from the SDK at import time, which costs seconds per server start; a test keeps them equal."""

from __future__ import annotations

MODEL_TYPE_NAMES: frozenset[str] = frozenset(
    {
        "custom", "elevenlabs-voice", "flux.1", "flux.1-composition", "flux.1-kontext-dev",
        "flux.1-kontext-lora", "flux.1-krea-dev", "flux.1-krea-lora", "flux.1-lora",
        "flux.1-pro", "flux.1.1-pro-ultra", "flux.2-dev-edit-lora", "flux.2-dev-lora",
        "flux.2-klein-4b-edit-lora", "flux.2-klein-4b-lora", "flux.2-klein-9b-edit-lora",
        "flux.2-klein-9b-lora", "flux.2-klein-base-4b-edit-lora", "flux.2-klein-base-4b-lora",
        "flux.2-klein-base-9b-edit-lora", "flux.2-klein-base-9b-lora", "flux1.1-pro",
        "gpt-image-1", "qwen-image-2512-lora", "qwen-image-edit-2509-lora",
        "qwen-image-edit-2511-lora", "qwen-image-edit-lora", "qwen-image-lora",
        "zimage-de-turbo-lora", "zimage-lora", "zimage-turbo-lora",
    }
)  # fmt: skip

# The SDK's job types that a training can produce (its enum has no voice-clone type).
TRAINING_JOB_TYPES: frozenset[str] = frozenset(
    {"model-training", "flux-model-training", "musubi-model-training"}
)

# Legacy types the Docs page still lists and trainops still trains; the SDK 2.4 enum dropped
# them, so its strict types reject these models while its default lenient parsing passes them.
LEGACY_MODEL_TYPES: frozenset[str] = frozenset(
    {"sd-1_5", "sd-1_5-lora", "sd-1_5-composition", "sd-xl", "sd-xl-lora", "sd-xl-composition"}
)
ACCEPTED_MODEL_TYPES: frozenset[str] = MODEL_TYPE_NAMES | LEGACY_MODEL_TYPES
