"""A local Scenario-compatible API server: the quickstart, the tests and CI spend no credits.

Serve it with `trainops sandbox serve`, or use it in-process:

    app = create_app(".trainops/sandbox.db")
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox/v1")
    client = AsyncScenario(api_key=SANDBOX_API_KEY, api_secret=SANDBOX_API_SECRET,
                           base_url="http://sandbox/v1", http_client=http)

The core never imports this package; the sandbox may import core modules (`parameters`).
"""

from __future__ import annotations

from trainops.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from trainops.sandbox.cost import estimate_cost
from trainops.sandbox.faults import Fault
from trainops.sandbox.limits import Limits

# Aliases some callers use for the documented default credentials.
DEFAULT_API_KEY = SANDBOX_API_KEY
DEFAULT_API_SECRET = SANDBOX_API_SECRET

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "Fault",
    "Limits",
    "create_app",
    "estimate_cost",
]
