"""The wire format's hand-written pieces against the standard library they stand in for."""

from __future__ import annotations

import random
from datetime import datetime, timezone

from trainops.sandbox.payloads import iso


def _reference(t: float) -> str:
    stamp = datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def test_iso_matches_isoformat_with_milliseconds() -> None:
    rng = random.Random(7)
    stamps = [rng.uniform(-1e9, 4_102_444_800) for _ in range(20_000)]
    # whole seconds, and fractions that round up to the next second or millisecond
    stamps += [1_800_000_000.0, 1_800_000_000.9999996, 1_800_000_000.0009995, 0.0, 59.9995]
    stamps += [-0.0000004, -0.9999996, -1.5, 0.0000005, 0.0000015, 0.0000025]
    stamps += [round(t, 3) for t in stamps[:1000]] + [round(t, 6) for t in stamps[:1000]]
    assert [iso(t) for t in stamps] == [_reference(t) for t in stamps]
