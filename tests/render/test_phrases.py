from __future__ import annotations

import pytest

from trainops.plan import Change, TrainingStatus
from trainops.render.phrases import clean, describe_change, describe_training


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (Change("parameter", "add", "nbEpochs", new=10), "parameter nbEpochs = 10"),
        (Change("parameter", "add", "learningRate", new=5e-05), "parameter learningRate = 0.00005"),
        (Change("image", "add", "take-1.WAV"), "audio take-1.WAV"),
        (Change("parameter", "remove", "rank", old=16), "parameter rank (was 16)"),
        (
            Change("parameter", "change", "samplePrompts", old=("a",), new=("a", "b")),
            'parameter samplePrompts: ["a"] -> ["a", "b"]',
        ),
        (
            Change("parameter", "change", "randomCrop", old=None, new=True),
            "parameter randomCrop: (unset) -> true",
        ),
        (
            Change("parameter", "change", "wandbKey", sensitive=True),
            "parameter wandbKey: (sensitive value changed)",
        ),
        (
            Change("pair", "remove", "s.png -> t.png", old="make it red"),
            'pair s.png -> t.png: "make it red"',
        ),
        (
            Change("type", "change", "type", old="flux.1-lora", new="zimage-lora"),
            'type: "flux.1-lora" -> "zimage-lora"',
        ),
        (
            Change("fingerprint", "change", "fingerprint", new="0123456789abcdef"),
            "record fingerprint 01234567 (the training already happened)",
        ),
        (
            Change("description", "add", "shortDescription", new="x" * 100),
            'shortDescription = "' + "x" * 78 + "…",
        ),
    ],
)
def test_describe_change(change: Change, text: str) -> None:
    assert describe_change(change) == text


@pytest.mark.parametrize(
    ("remaining_ms", "text"),
    [
        (20_000.0, "queued, less than a minute left"),
        (7_500_000.0, "queued, about 2 h 5 min left"),
        (None, "queued"),
    ],
)
def test_describe_training(remaining_ms: float | None, text: str) -> None:
    t = TrainingStatus(None, "queued", None, None, remaining_ms, False, None)
    assert describe_training(t) == text


def test_clean_removes_control_characters_and_shortens() -> None:
    assert clean("a\nb\tc\x1b[31m\x9bd\x7f") == "a b c[31md"
    assert clean("abcdef", 4) == "abc…"


def test_a_training_at_its_captcha_says_a_person_must_act() -> None:
    t = TrainingStatus("job_1", "pending", 0.0, "pending-captcha", None, False, None)
    assert describe_training(t) == (
        "pending, 0%, pending-captcha, a person must read the captcha in Scenario's web app, "
        "job job_1"
    )
