"""`trainops sandbox serve`: the sandbox API over HTTP until interrupted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from trainops.commands import EXIT_OK
from trainops.sandbox import serve
from trainops.statedir import make_parent


def run_sandbox_serve(
    *,
    host: str,
    port: int,
    db: Path,
    speed: float,
    api_key: str | None,
    api_secret: str | None,
    environ: Mapping[str, str],
    deviate: Sequence[str] = (),
    limits: Mapping[str, float] | None = None,
) -> int:
    config = serve.resolve(
        host=host,
        port=port,
        db=db,
        speed=speed,
        api_key=api_key,
        api_secret=api_secret,
        deviate=deviate,
        env=environ,
        limits=limits or {},
    )
    make_parent(config.db)  # .trainops/ gets its .gitignore, as the embedded sandbox's does
    creds = "documented default credentials" if config.default_credentials else "your credentials"
    print(f"sandbox API on {config.url} (state: {config.db}, speed x{config.speed:g}, {creds})")
    lim = config.limits
    cooldown = f", launch cooldown {lim.launch_cooldown_s:g} s" if lim.launch_cooldown_s else ""
    print(f"team limits: {lim.max_parallel_trainings} parallel trainings{cooldown}")
    if on := config.deviations.on():
        print(f"deviating from the documented API: {', '.join(on)}")
    print("costs are simulated; press Ctrl+C to stop", flush=True)
    serve.serve(config)
    return EXIT_OK
