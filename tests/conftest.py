from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _verify_the_load_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command a test runs checks its cached manifest load against a load without any
    cache, and fails (exit 3) naming what differed: each end-to-end test checks the cache."""
    monkeypatch.setenv("TRAINOPS_CACHE", "verify")
