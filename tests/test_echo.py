"""`echo.differing`: the declared parameters against the API's echo, in one canonical form."""

from __future__ import annotations

import pytest

from trainops.desired import SecretRef
from trainops.echo import differing, documented_default

FLUX = "flux.1-lora"


def test_an_echo_as_sent_or_normalised_is_no_change() -> None:
    declared = {"learningRate": 1e-4, "rank": 16, "maxTrainSteps": 500, "nbEpochs": 2}
    assert differing(FLUX, declared, declared, 5) == {}
    # Numbers as floats, and the documented defaults left out (500 steps = 100 per image).
    assert differing(FLUX, declared, {"nbEpochs": 2.0}, 5) == {}


def test_no_parameters_at_all_shows_each_declared_one_that_is_not_a_default() -> None:
    declared = {"conceptPrompt": "hero", "rank": 16, "maxTrainSteps": 300, "nbEpochs": 2}
    assert differing(FLUX, declared, None, 5) == {
        "conceptPrompt": (None, "hero"),
        "maxTrainSteps": (None, 300),
        "nbEpochs": (None, 2),  # no documented default: the model does not hold it
    }
    # 300 steps is the default for 3 images.
    assert "maxTrainSteps" not in differing(FLUX, declared, None, 3)


def test_a_real_change_is_found_in_canonical_form() -> None:
    assert differing(FLUX, {"rank": 16, "samplePrompts": ["a"]}, {"rank": 32.0}, 5) == {
        "rank": (32, 16),
        "samplePrompts": (None, ["a"]),
    }
    assert differing(FLUX, {"maxTrainSteps": 800}, {"maxTrainSteps": 800.0}, 5) == {}


def test_secrets_and_undeclared_parameters_are_never_compared() -> None:
    declared = {"wandbKey": SecretRef("WANDB_KEY"), "rank": 8}
    assert differing(FLUX, declared, {"rank": 8, "learningRate": 0.5}, 5) == {}


@pytest.mark.parametrize(
    ("model_type", "name", "images", "default"),
    [
        (FLUX, "learningRate", 5, 0.0001),
        (FLUX, "maxTrainSteps", 7, 700),
        ("sd-xl-lora", "maxTrainSteps", 2, 350),
        ("qwen-image-lora", "rank", 5, 64),
        ("elevenlabs-voice", "maxTrainSteps", 5, None),
        ("custom", "rank", 5, None),
    ],
)
def test_documented_defaults(model_type: str, name: str, images: int, default: object) -> None:
    assert documented_default(model_type, name, images) == default


def test_the_defaults_agree_with_the_sandboxs_own_rules() -> None:
    """The sandbox leaves out what its own table calls a default (`normalise_parameters`): where
    both tables know a default, they must agree, or a plan would see drift that is not there."""
    from trainops.manifest.parameters import MODEL_TYPES, PARAMETERS
    from trainops.sandbox.rules import default_value

    for model_type in MODEL_TYPES:
        for name in PARAMETERS:
            ours = documented_default(model_type, name, 6)
            theirs = default_value(model_type, name, 6)
            if ours is not None and theirs is not None:
                assert ours == theirs, (model_type, name)
            elif theirs is not None:
                pytest.fail(f"{model_type} {name}: the sandbox knows a default, trainops does not")
