"""The desired values: the fingerprint that decides whether a model trains again."""

from __future__ import annotations

from trainops.desired import DesiredImage, DesiredPair, SecretRef, canonical_parameters, fingerprint

A = DesiredImage("x/a.png", "a.png", "ab" * 32, 10, "a cat")
B = DesiredImage("x/b.png", "b.png", "cd" * 32, 10, None)
PARAMS = {
    "rank": 16,
    "learningRate": 0.0001,
    "maxTrainSteps": 800.0,
    "samplePrompts": ["a", "b"],
    "wandbKey": SecretRef("WANDB_KEY"),
}


def test_the_fingerprint_of_given_inputs_never_changes() -> None:
    """Recorded on every trained model: a new value for the same inputs retrains every model."""
    got = fingerprint("flux.1-lora", PARAMS, [A, B], [DesiredPair(A, B, "night")])
    assert got == "6a146adf430b48a0b042b7490ddde257cf9c9e254e922caccc6be1f66f894053"


def test_numbers_that_train_alike_and_secrets_do_not_change_the_fingerprint() -> None:
    base = fingerprint("flux.1-lora", PARAMS, [A, B], [])
    alike = {**PARAMS, "maxTrainSteps": 800, "wandbKey": "inline-secret"}
    assert fingerprint("flux.1-lora", alike, [B, A], []) == base


def test_the_diff_and_the_fingerprint_share_one_canonical_form() -> None:
    assert canonical_parameters({"b": 2.0, "a": [1.0, "x"], "wandbKey": "s"}) == {
        "a": [1, "x"],
        "b": 2,
    }
