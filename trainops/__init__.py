"""trainops: training as code for the Scenario API."""

from __future__ import annotations

__version__ = "0.1.0"
