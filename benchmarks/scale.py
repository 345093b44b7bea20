"""Plan and apply at scale against the sandbox served over real HTTP with injected latency.

    python -m benchmarks.scale [--models 500] [--images 20] [--latency 0.05]
                               [--parallelism 16] [--changed 10] [--json FILE]

One run: generate a synthetic repository, create every model once (untimed, in-process, no
latency), then measure the phases over HTTP: a cold plan (no cache), a warm plan (nothing
changed), a plan after changing some models, the apply of that plan, and a cold plan of the
same repository with every image replaced by its Git LFS pointer (a checkout without LFS
content: nothing to hash but the pointers themselves).

The lower bound of a phase is its unavoidable local work plus its API time at full parallelism:

    local floor + max(requests / parallelism, dependent round trips) x latency

- local floor: cold plan, reading and hashing every training file in a bare loop (of LFS
  pointers: reading and hashing every pointer file, about 130 bytes each); the other
  plans, a bare `stat` of every training file and caption sidecar plus reading every manifest
  (what any tool must do to know that nothing changed); apply, nothing.
- dependent round trips: requests that need the answer of an earlier one cannot overlap it. A
  plan lists pages one after the other, then reads changed models in full, then prices them; an
  apply of a model whose file changed must read it, delete the old file, upload the new one,
  mark the training pending, trigger it and record it (APPLY_CHAIN).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from benchmarks.server import (
    Served,
    http_client,
    peak_rss_mb,
    reset_peak_rss,
    sandbox_app,
    served,
)
from benchmarks.synth import Repo, change, generate
from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.cache.hashes import CACHE_FILE as HASH_CACHE
from trainops.cache.load import CACHE_DIR
from trainops.desired import Desired
from trainops.plan import Outcome, Plan
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET
from trainops.sandbox.client import sandbox_client

T = TypeVar("T")
# What applying a model whose training file changed needs, each step after the previous one:
# read the model, delete the old file, upload the new one (deletes first: the team's image
# ceiling counts both), mark the training pending, trigger it, record the fingerprint.
APPLY_CHAIN = 6


@dataclass(frozen=True)
class Config:
    models: int = 500
    images: int = 20
    latency: float = 0.05
    parallelism: int = 16
    changed: int = 10
    repeat: int = 5  # runs of each warm phase: the table shows the median


@dataclass(frozen=True)
class Phase:
    name: str
    wall_s: float
    local_s: float  # manifests and files (load_desired), overlapping the first list page
    server_cpu_s: float  # CPU the in-process sandbox server used during the phase
    requests: int
    lower_bound_s: float
    peak_rss_mb: float
    by_kind: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)  # plan: entries per action
    walls: tuple[float, ...] = ()  # every run's wall time, when the phase was repeated
    chain: int = 0  # dependent round trips (see round_trips, APPLY_CHAIN)

    @property
    def ratio(self) -> float:
        return self.wall_s / self.lower_bound_s if self.lower_bound_s > 0 else float("inf")

    @property
    def api_s(self) -> float:
        """The sandbox's own time on one dependent chain of requests: its CPU in the phase,
        shared evenly by the phase's requests, times the chain's length. A request that needs
        the answer of another waits for the server's work as well as for the latency, and no
        client can avoid either."""
        return self.server_cpu_s * self.chain / self.requests if self.requests else 0.0

    @property
    def ratio_with_api(self) -> float:
        bound = self.lower_bound_s + self.api_s
        return self.wall_s / bound if bound > 0 else float("inf")


# --- floors ------------------------------------------------------------------------------------


def hashing_floor(repo: Repo) -> float:
    """Seconds to read and sha256 every training file in a bare loop."""
    names = [str(p) for p in repo.all_images()]
    start = time.perf_counter()
    for name in names:
        with open(name, "rb") as fh:
            hashlib.sha256(fh.read()).hexdigest()
    return time.perf_counter() - start


def stat_floor(repo: Repo) -> float:
    """Seconds to stat every training file and look for its caption sidecar, and read every
    manifest, in a bare loop: the least a plan does to learn that nothing changed."""
    names = [str(p) for p in repo.all_images()]
    sidecars = [n[: -len(".png")] + ".txt" for n in names]
    manifests = [str(repo.model_dir(i) / "model.yaml") for i in range(len(repo.models))]
    start = time.perf_counter()
    for name in names:
        os.stat(name)
    for name in sidecars:
        os.path.exists(name)
    for name in manifests:
        with open(name, "rb") as fh:
            fh.read()
    return time.perf_counter() - start


def to_pointers(repo: Repo) -> None:
    """Replace every training image with its Git LFS pointer, as a clone made with
    GIT_LFS_SKIP_SMUDGE=1 holds them (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md)."""
    for path in repo.all_images():
        data = path.read_bytes()
        oid = hashlib.sha256(data).hexdigest()
        text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n"
        path.write_text(text, encoding="ascii")


def _hashed_content(repo: Repo) -> int:
    """How many files the last plan hashed as content rather than read as pointers."""
    entries = json.loads((repo.root / HASH_CACHE).read_text())["entries"]
    return sum(1 for e in entries.values() if not e.get("lfs"))


def round_trips(by_kind: Counter[str]) -> int:
    """Dependent round trips of a plan: list pages in turn, then full reads, then dry runs."""
    pages = by_kind["GET /models"]
    full = 1 if by_kind["GET /models/{id}"] else 0
    priced = 1 if by_kind["PUT /models/{id}/train?dryRun"] else 0
    return pages + full + priced


def lower_bound(cfg: Config, requests: int, chain: int, floor: float) -> float:
    return floor + max(requests / cfg.parallelism, chain) * cfg.latency


# --- phases ------------------------------------------------------------------------------------


def _run_child(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, float]:
    """Run `cmd`; its exit code, stderr and its own peak RSS in MiB.

    RUSAGE_CHILDREN would report the largest child this process ever waited for (under pytest,
    any earlier test's subprocess), so the child is reaped with wait4 for its own usage.
    """
    with tempfile.TemporaryFile() as err:
        # This interpreter running trainops, argv fixed by the caller: no outside input reaches it.
        child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)  # noqa: S603
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return child.returncode, err.read().decode(errors="replace"), usage.ru_maxrss / 1024


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    gc.freeze()  # as `trainops` runs a command (cli.main)
    try:
        start = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - start
    finally:
        gc.unfreeze()


def _actions(plan: Plan) -> dict[str, int]:
    return dict(sorted(Counter(m.action for m in plan.models).items()))


def _plan_phase(
    name: str, cfg: Config, repo: Repo, server: Served, floor: float
) -> tuple[Phase, Plan, Desired]:
    reset_peak_rss()
    cpu = server.cpu_s()
    local: list[float] = []

    def load() -> pipeline.Loaded:
        loaded, seconds = _timed(lambda: pipeline.load(["."], cwd=repo.root))
        local.append(seconds)
        return loaded

    async def go() -> tuple[pipeline.Planned, Counter[str]]:
        # As `trainops plan` does: the manifests load while the first list page is in flight.
        async with http_client(server.url, cfg.parallelism) as client:
            return await pipeline.load_and_plan(client, load), client.requests

    (planned, by_kind), wall = _timed(lambda: pipeline.run(go()))
    plan, desired = planned.plan, planned.desired
    total = sum(by_kind.values())
    phase = Phase(
        name,
        wall,
        local[0],
        server.cpu_s() - cpu,
        total,
        lower_bound(cfg, total, round_trips(by_kind), floor),
        peak_rss_mb(),
        dict(sorted(by_kind.items())),
        _actions(plan),
        chain=round_trips(by_kind),
    )
    return phase, plan, desired


def interpreter_floor() -> float:
    """Seconds to start and stop a bare Python interpreter: what any Python CLI pays."""
    _, seconds = _timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    return seconds


def _cli_phase(cfg: Config, repo: Repo, server: Served, warm: Phase, floor: float) -> Phase:
    """`trainops plan` as a user runs it: a new process, so imports and start-up count too."""
    env = {
        **os.environ,
        "SCENARIO_API_KEY": SANDBOX_API_KEY,
        "SCENARIO_API_SECRET": SANDBOX_API_SECRET,
        "SCENARIO_BASE_URL": server.url,
        "NO_COLOR": "1",
        "TRAINOPS_CACHE": "on",  # the default, whatever the caller's environment says
    }
    cmd = [sys.executable, "-m", "trainops", "plan", "--detailed-exitcode"]
    before, cpu = server.requests(), server.cpu_s()
    (code, stderr, child_rss_mb), wall = _timed(lambda: _run_child(cmd, repo.root, env))
    if code != 0:
        raise RuntimeError(f"warm plan (CLI): exit {code}: {stderr}")
    requests = server.requests() - before
    if requests != warm.requests:
        raise RuntimeError(f"warm plan (CLI): {requests} requests, in-process {warm.requests}")
    return Phase(
        "warm plan (CLI process)",
        wall,
        float("nan"),  # inside the child process: not measured
        server.cpu_s() - cpu,
        requests,
        lower_bound(cfg, requests, warm.chain, floor),
        child_rss_mb,
        warm.by_kind,
        warm.actions,
        chain=warm.chain,
    )


def _least(cfg: Config, measure: Callable[[], float]) -> float:
    """A floor is the least the machine needs: the fastest of `repeat` measurements."""
    return min(measure() for _ in range(max(cfg.repeat, 1)))


def _median(runs: Sequence[Phase]) -> Phase:
    """The run of median wall time, carrying every run's wall time: one sample on a shared
    machine is noise (±30 %), the median of a few is not."""
    ordered = sorted(runs, key=lambda p: p.wall_s)
    return dataclasses.replace(ordered[len(ordered) // 2], walls=tuple(p.wall_s for p in runs))


def _apply_phase(
    cfg: Config, server: Served, plan: Plan, desired: Desired
) -> tuple[Phase, Outcome]:
    reset_peak_rss()
    cpu = server.cpu_s()

    async def go() -> tuple[Outcome, Counter[str]]:
        async with http_client(server.url, cfg.parallelism) as client:
            return await apply_plan(plan, desired, client, ApplyOptions()), client.requests

    (outcome, by_kind), wall = _timed(lambda: pipeline.run(go()))
    total = sum(by_kind.values())
    chain = APPLY_CHAIN if any(m.will_train for m in plan.models) else 1
    results = {str(k): v for k, v in sorted(Counter(m.result for m in outcome.models).items())}
    phase = Phase(
        f"apply {sum(m.action != 'none' for m in plan.models)}",
        wall,
        0.0,
        server.cpu_s() - cpu,
        total,
        lower_bound(cfg, total, chain, 0.0),
        peak_rss_mb(),
        dict(sorted(by_kind.items())),
        results,
        chain=chain,
    )
    return phase, outcome


def setup(repo: Repo, db: Path, parallelism: int) -> None:
    """Create and train every model once, in-process and without latency (not measured)."""

    async def go() -> Outcome:
        app = sandbox_app(db)
        async with sandbox_client(db, app=app, parallelism=parallelism) as client:
            desired, _, _ = pipeline.load(["."], cwd=repo.root)
            planned = await pipeline.make_plan(desired, client)
            return await apply_plan(planned.plan, desired, client, ApplyOptions())

    failed = [m for m in pipeline.run(go()).models if m.result != "done"]
    if failed:
        raise RuntimeError(f"setup: {len(failed)} model(s) not created, e.g. {failed[0]}")
    time.sleep(0.2)  # trainings at SPEED end within milliseconds of wall time


def _expect(phase: Phase, actions: dict[str, int]) -> None:
    if phase.actions != actions:
        raise RuntimeError(f"{phase.name}: expected {actions}, the plan says {phase.actions}")


def run(cfg: Config, workdir: Path) -> list[Phase]:
    repo = generate(
        workdir / "repo", models=cfg.models, images=cfg.images, parallelism=cfg.parallelism
    )
    db = workdir / "sandbox.db"
    setup(repo, db, cfg.parallelism)
    # Cold means no cache at all: no file hashes, and no manifests loaded before.
    (repo.root / HASH_CACHE).unlink(missing_ok=True)
    shutil.rmtree(repo.root / CACHE_DIR, ignore_errors=True)
    with served(db, latency=cfg.latency) as server:
        cold, _, _ = _plan_phase("cold plan", cfg, repo, server, hashing_floor(repo))
        _expect(cold, {"none": cfg.models})
        floor = _least(cfg, lambda: stat_floor(repo))
        warm = _median(
            [_plan_phase("warm plan", cfg, repo, server, floor)[0] for _ in range(cfg.repeat)]
        )
        _expect(warm, {"none": cfg.models})
        start = _least(cfg, interpreter_floor)
        cli = _median(
            [_cli_phase(cfg, repo, server, warm, floor + start) for _ in range(cfg.repeat)]
        )
        changed = change(repo, cfg.changed)
        after, plan, desired = _plan_phase(
            f"plan after {len(changed)} changes", cfg, repo, server, stat_floor(repo)
        )
        _expect(after, {"none": cfg.models - len(changed), "train": len(changed)})
        applied, _ = _apply_phase(cfg, server, plan, desired)
        _expect(applied, {"done": len(changed), "skipped": cfg.models - len(changed)})
        to_pointers(repo)
        (repo.root / HASH_CACHE).unlink(missing_ok=True)
        shutil.rmtree(repo.root / CACHE_DIR, ignore_errors=True)
        lfs, _, _ = _plan_phase("cold plan, LFS pointers", cfg, repo, server, hashing_floor(repo))
        _expect(lfs, {"none": cfg.models})  # a pointer's oid is its content's sha256
        if hashed := _hashed_content(repo):
            raise RuntimeError(f"cold plan of LFS pointers: {hashed} file(s) hashed as content")
        return [cold, warm, cli, after, applied, lfs]


# --- output ------------------------------------------------------------------------------------


def table(phases: Sequence[Phase]) -> str:
    head = (
        "phase",
        "wall s",
        "local s",
        "sandbox CPU s",
        "requests",
        "lower bound s",
        "ratio",
        "API s",
        "ratio with API",
        "peak RSS MiB",
    )
    rows = [
        (
            p.name,
            f"{p.wall_s:.2f}",
            "n/a" if math.isnan(p.local_s) else f"{p.local_s:.2f}",
            f"{p.server_cpu_s:.2f}",
            str(p.requests),
            f"{p.lower_bound_s:.2f}",
            f"{p.ratio:.2f}",
            f"{p.api_s:.2f}",
            f"{p.ratio_with_api:.2f}",
            f"{p.peak_rss_mb:.0f}",
        )
        for p in phases
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def to_json(cfg: Config, phases: Sequence[Phase]) -> dict[str, object]:
    return {
        "config": asdict(cfg),
        "cpus": os.cpu_count(),
        "phases": [
            {
                **asdict(p),
                "local_s": None if math.isnan(p.local_s) else p.local_s,
                "ratio": round(p.ratio, 3),
                "api_s": round(p.api_s, 3),
                "ratio_with_api": round(p.ratio_with_api, 3),
            }
            for p in phases
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.scale", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--models", type=int, default=Config.models)
    ap.add_argument("--images", type=int, default=Config.images, help="per model")
    ap.add_argument("--latency", type=float, default=Config.latency, help="seconds per request")
    ap.add_argument("--parallelism", type=int, default=Config.parallelism)
    ap.add_argument("--changed", type=int, default=Config.changed, help="models changed")
    ap.add_argument(
        "--repeat", type=int, default=Config.repeat, help="runs of each warm phase (median)"
    )
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--workdir", type=Path, help="keep the repository and database here")
    args = ap.parse_args(argv)
    cfg = Config(
        args.models, args.images, args.latency, args.parallelism, args.changed, args.repeat
    )
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        phases = run(cfg, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="trainops-bench-") as tmp:
            phases = run(cfg, Path(tmp))
    print(table(phases))
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(cfg, phases), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
