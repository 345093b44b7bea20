"""The sandbox's documented cost model and durations."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.sandbox.test_app import call, new_model
from trainops.sandbox import estimate_cost
from trainops.sandbox.cost import durations


@pytest.mark.parametrize(
    ("model_type", "params", "images", "cost"),
    [
        ("flux.1-lora", {}, 8, 50),  # default 800 steps: 10 + 800 x 0.05
        ("flux.1-lora", {"maxTrainSteps": 1000}, 8, 60),
        ("flux.1-lora", {"nbEpochs": 2}, 8, 18),  # 2 x 10 repeats x 8 images / batch 1 = 160 steps
        ("flux.1-lora", {"nbEpochs": 4}, 8, 26),  # epochs scale the cost linearly
        ("flux.1-lora", {"nbEpochs": 2, "nbRepeats": 5, "batchSize": 2}, 8, 12),
        ("qwen-image-lora", {}, 10, 95),
        ("sd-xl-lora", {}, 4, 26),
        ("sd-1_5-lora", {}, 4, 11),
        ("elevenlabs-voice", {}, 3, 50),
        ("elevenlabs-voice", {"cloneType": "professional"}, 3, 500),
    ],
)
def test_estimate_cost(model_type: str, params: dict[str, object], images: int, cost: int) -> None:
    assert estimate_cost(model_type, params, images) == cost


def test_untrainable_type_has_no_cost() -> None:
    with pytest.raises(ValueError, match=r"'flux\.1' is not trainable"):
        estimate_cost("flux.1", {}, 3)


def test_durations_scale_with_speed() -> None:
    base = durations("flux.1-lora", {}, 8, 1.0)
    assert (base.queued, base.warming_up, base.in_progress, base.finalizing) == (1, 2, 8, 1)
    assert durations("flux.1-lora", {}, 8, 4.0).total == base.total / 4
    assert durations("elevenlabs-voice", {}, 1, 1.0).in_progress == 5
    assert durations("flux.1-lora", {"maxTrainSteps": 10000}, 8, 1.0).in_progress == 60


def test_both_documented_dry_runs_price_the_same_and_no_other_is_taken(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=4)
    body = {"parameters": {"maxTrainSteps": 1000}}
    replies = {
        mode: call(sandbox, "PUT", f"/models/{model_id}/train", params={"dryRun": mode}, json=body)
        for mode in ("true", "api", "false")
    }
    assert [(r.status_code, r.json().get("creativeUnitsCost")) for r in replies.values()] == [
        (269, 60),
        (269, 60),
        (400, None),
    ]
    assert replies["false"].json()["message"] == 'dryRun must be "true" or "api", got \'false\''
    assert call(sandbox, "GET", "/jobs").json() == {"jobs": []}
