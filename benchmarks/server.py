"""The sandbox served over real HTTP from a thread of the benchmark process, and peak RSS."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Fault, Limits, create_app
from trainops.scenario import Scenario

# Room for every image of the synthetic repo and every training it launches at once.
LIMITS = Limits(max_dataset_images=10**7, max_parallel_trainings=10**6)
# Trainings end within milliseconds: the measured phases must see finished models, not `wait`.
SPEED = 1e6


def sandbox_app(db: Path, *, latency: float = 0.0) -> Starlette:
    faults = [Fault(None, "", "latency", seconds=latency)] if latency > 0 else []
    return create_app(db, speed=SPEED, limits=LIMITS, faults=faults)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    url: str  # the API base URL (…/v1)
    thread: threading.Thread

    def cpu_s(self) -> float:
        """CPU seconds the server thread has used so far (it shares this process, and on a
        small machine its CPU is time the client does not get)."""
        if self.thread.ident is None:
            return 0.0
        try:
            return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))
        except (AttributeError, OSError):  # not Linux: unknown, reported as 0
            return 0.0


@contextmanager
def served(app: Starlette) -> Iterator[Served]:
    """Serve `app` on 127.0.0.1 and a free port from a thread of this process."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield Served(f"http://127.0.0.1:{port}/v1", thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def http_client(base_url: str, parallelism: int) -> Scenario:
    return Scenario(
        api_key=SANDBOX_API_KEY,
        api_secret=SANDBOX_API_SECRET,
        base_url=base_url,
        parallelism=parallelism,
    )


def reset_peak_rss() -> bool:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
        return True
    return False


def peak_rss_mb() -> float:
    """Peak resident memory of this process since the last reset, in MiB."""
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    # ru_maxrss is KiB on Linux and never resets: an upper bound for the phase.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
