"""`trainops sandbox serve`: credentials, the loopback rule, and uvicorn."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from trainops.errors import ConfigError
from trainops.sandbox.app import SANDBOX_API_KEY, SANDBOX_API_SECRET, create_app
from trainops.sandbox.deviations import Deviations
from trainops.sandbox.limits import Limits

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_DB = Path(".trainops/sandbox.db")
ENV_KEY = "TRAINOPS_SANDBOX_API_KEY"
ENV_SECRET = "TRAINOPS_SANDBOX_API_SECRET"  # noqa: S105  (the variable's name, not a secret)


@dataclass(frozen=True)
class ServeConfig:
    host: str
    port: int
    db: Path
    speed: float
    api_key: str
    api_secret: str
    deviations: Deviations = field(default_factory=Deviations)
    limits: Limits = field(default_factory=Limits)

    @property
    def default_credentials(self) -> bool:
        return (self.api_key, self.api_secret) == (SANDBOX_API_KEY, SANDBOX_API_SECRET)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    db: Path = DEFAULT_DB,
    speed: float = 1.0,
    api_key: str | None = None,
    api_secret: str | None = None,
    deviate: Sequence[str] = (),
    env: Mapping[str, str],
    limits: Mapping[str, float] | None = None,
) -> ServeConfig:
    """Flags win over the environment, which wins over the documented defaults."""
    key = api_key or env.get(ENV_KEY) or SANDBOX_API_KEY
    secret = api_secret or env.get(ENV_SECRET) or SANDBOX_API_SECRET
    if speed <= 0:
        raise ConfigError(f"--speed must be greater than 0, got {speed:g}")
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    try:
        deviations = Deviations.of(deviate)
    except ValueError as exc:
        raise ConfigError(f"--deviate: {exc}") from None
    try:
        team = Limits().merged(dict(limits or {}))
    except ValueError as exc:
        raise ConfigError(f"team limits: {exc}", hint="pass a number of 0 or more") from None
    config = ServeConfig(host, port, db, speed, key, secret, deviations, team)
    if not is_loopback(host) and config.default_credentials:
        raise ConfigError(
            f"refusing to serve on {host} with the documented default credentials",
            hint=f"pass --api-key and --api-secret (or set {ENV_KEY} and {ENV_SECRET}), "
            "or bind a loopback address such as 127.0.0.1",
        )
    return config


def serve(config: ServeConfig) -> None:
    """Serve until interrupted."""
    app = create_app(
        config.db,
        api_key=config.api_key,
        api_secret=config.api_secret,
        speed=config.speed,
        deviations=config.deviations,
        limits=config.limits,
    )
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", lifespan="off")
