"""The embedded sandbox as an API client: in-process, no server to start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from trainops.backoff import RetryPolicy
from trainops.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from trainops.sandbox.deviations import Deviations
from trainops.scenario.client import DEFAULT_PARALLELISM, Scenario
from trainops.scenario.retry import DEFAULT_POLICY

SANDBOX_DB = Path(".trainops") / "sandbox.db"  # `--sandbox`: relative to the directory given


def sandbox_client(
    db_path: Path,
    *,
    app: Any = None,
    parallelism: int = DEFAULT_PARALLELISM,
    retry: RetryPolicy = DEFAULT_POLICY,
    deviations: Deviations | None = None,
) -> Scenario:
    """A client of the sandbox app (a new one on `db_path`, with `deviations`, unless `app` is
    given)."""
    if app is None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        app = create_app(db_path, deviations=deviations)
    return Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url="http://sandbox.invalid/v1",
        parallelism=parallelism,
        transport=httpx.ASGITransport(app=app),
        retry=retry,
    )
