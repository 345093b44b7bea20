"""Team limits the real API enforces (concurrent trainings, a launch cooldown, a dataset ceiling),
each configurable per server (`create_app(limits=...)`, `trainops sandbox serve` flags, or
`POST /v1/_sandbox/limits` on a running server)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Limits:
    """The defaults are a small team's: two trainings at once (so the quickstart and the tests
    queue behind the cap, as small plans do), no launch cooldown, a dataset ceiling that
    examples never reach."""

    max_dataset_images: int = 10000  # training images across the team's models
    max_parallel_trainings: int = 2  # trainings running at once (0 = plan allows none)
    launch_cooldown_s: float = 0.0  # minimum seconds between two training launches

    def merged(self, changes: dict[str, Any]) -> Limits:
        """A copy with `changes` applied; unknown names or wrong types raise ValueError."""
        known = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown limit {name!r} (known: {', '.join(sorted(known))})")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"limit {name} must be a non-negative number")
        return replace(self, **changes)
