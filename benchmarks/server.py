"""The sandbox served over real HTTP from its own process (like the real, remote API), and the
benchmark process's peak RSS."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, Fault, Limits, create_app
from trainops.scenario.client import Scenario

# Room for every image of the synthetic repo and every training it launches at once.
LIMITS = Limits(max_dataset_images=10**7, max_parallel_trainings=10**6)
# Trainings end within milliseconds: the measured phases must see finished models, not `wait`.
SPEED = 1e6


def sandbox_app(db: Path, *, latency: float = 0.0) -> Starlette:
    # Always present, even at 0 s: its hit count is how `Served.requests` counts requests.
    faults = [Fault(None, "", "latency", seconds=latency)]
    return create_app(db, speed=SPEED, limits=LIMITS, faults=faults)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    url: str  # the API base URL (…/v1)
    process: subprocess.Popen[bytes]

    def requests(self) -> int:
        """API requests the server has answered so far: the hits of its always-on latency
        fault (the `/_sandbox/` admin routes are never faulted, so this read is not counted)."""
        reply = httpx.get(
            f"{self.url}/_sandbox/faults", auth=(SANDBOX_API_KEY, SANDBOX_API_SECRET), timeout=10
        )
        reply.raise_for_status()
        return sum(int(f["hits"]) for f in reply.json()["faults"])

    def cpu_s(self) -> float:
        """CPU seconds the server process has used so far. It runs apart from the client, as
        the real API does: its CPU is reported, not charged to the client's wall time."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # not Linux: unknown, reported as 0
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(db: Path, *, latency: float = 0.0) -> Iterator[Served]:
    """Serve the sandbox on `db` from its own process on 127.0.0.1 and a free port."""
    port = _free_port()
    cmd = [sys.executable, "-m", "benchmarks.server", str(db), str(port), str(latency)]
    # This interpreter running this module, argv fixed above: no outside input reaches it.
    process = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parent.parent)  # noqa: S603
    try:
        _wait_until_listening(port, process)
        yield Served(f"http://127.0.0.1:{port}/v1", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
            return
        time.sleep(0.05)
    raise RuntimeError("the sandbox server did not start")


def _serve(db: str, port: int, latency: float) -> None:
    app = sandbox_app(Path(db), latency=latency)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


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


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
