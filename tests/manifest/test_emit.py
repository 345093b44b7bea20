from __future__ import annotations

from trainops.manifest.emit import importable_parameters


def test_whole_counts_read_back_as_integers() -> None:
    """The SDK parses every JSON number as a float: `rank: 16.0` must import as `rank: 16`."""
    stored = {"rank": 16.0, "maxTrainSteps": 540.0, "learningRate": 0.0001}
    params, dropped = importable_parameters("flux.1-lora", stored)
    assert (params, dropped) == ({"learningRate": 0.0001, "maxTrainSteps": 540, "rank": 16}, [])
    assert [type(params[k]) for k in ("maxTrainSteps", "rank")] == [int, int]
