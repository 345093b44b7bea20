"""A local Scenario-compatible API server: the quickstart, the tests and CI spend no credits.

Serve it with `trainops sandbox serve`, or use it in-process with `sandbox.client.sandbox_client`
(what `--sandbox` does). The core never imports this package; the sandbox imports the client
only for that in-process client.
"""

from __future__ import annotations

from trainops.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from trainops.sandbox.cost import estimate_cost
from trainops.sandbox.deviations import Deviations
from trainops.sandbox.faults import Fault
from trainops.sandbox.limits import Limits

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "Deviations",
    "Fault",
    "Limits",
    "create_app",
    "estimate_cost",
]
