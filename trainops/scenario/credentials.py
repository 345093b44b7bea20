"""Where the client's credentials and base URL come from: the environment, as the SDK reads it
(`SCENARIO_API_KEY` / `SCENARIO_API_SECRET`, or the SDK's `SCENARIO_SDK_*` names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trainops.errors import ConfigError

DEFAULT_BASE_URL = "https://api.cloud.scenario.com/v1"
_HINT = (
    "export SCENARIO_API_KEY and SCENARIO_API_SECRET (or SCENARIO_SDK_API_KEY and "
    "SCENARIO_SDK_API_SECRET), or run with --sandbox"
)


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str
    base_url: str

    def __repr__(self) -> str:  # never print a secret, even in a traceback
        return f"Credentials(base_url={self.base_url!r})"


def from_env(environ: Mapping[str, str]) -> Credentials:
    key = environ.get("SCENARIO_API_KEY") or environ.get("SCENARIO_SDK_API_KEY")
    secret = environ.get("SCENARIO_API_SECRET") or environ.get("SCENARIO_SDK_API_SECRET")
    if not key or not secret:
        missing = [
            name
            for name, value in (("SCENARIO_API_KEY", key), ("SCENARIO_API_SECRET", secret))
            if not value
        ]
        raise ConfigError(
            f"missing Scenario API credentials: {' and '.join(missing)} not set", hint=_HINT
        )
    return Credentials(key, secret, environ.get("SCENARIO_BASE_URL") or DEFAULT_BASE_URL)
