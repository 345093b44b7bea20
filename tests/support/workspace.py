"""A small real workspace for the end-to-end tests: manifests, generated PNGs, captions, git.

Two flux models (`alpha` and `beta`) of five 1024x1024 images each, so the manifests lint clean
and every training is short and cheap in the sandbox's cost model.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import git
from starlette.applications import Starlette

from tests.support.aio import synchronous
from trainops import pipeline
from trainops.apply import ApplyOptions, apply_plan
from trainops.backoff import RetryPolicy
from trainops.desired import Desired
from trainops.live import LiveModel
from trainops.lock import HOME_PREFIX
from trainops.plan import Outcome, Plan
from trainops.sandbox import Fault, Limits, create_app
from trainops.sandbox.client import SANDBOX_DB, sandbox_client
from trainops.scenario.client import Scenario
from trainops.tags import PROBE_PREFIX
from trainops.watch import wait_for_trainings

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)
RETRY_ONCE = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)  # FAST, one retry only
SIDE = 1024
WORKSPACE = """\
apiVersion: trainops/v1
kind: Workspace
workspace: e2e
parallelism: 4
"""
MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: {key}
spec:
  type: flux.1-lora
  name: {title}
  trainingImages:
    - images/*.png
  parameters:
    conceptPrompt: {key}
    maxTrainSteps: {steps}
"""


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def big_png(shade: int, size: int) -> bytes:
    """A valid PNG of `size` bytes: `png(shade)` padded with an ancillary chunk (decoders skip
    it) of incompressible bytes derived from `shade`, and its IEND."""
    head = png(shade)
    pad = size - len(head) - 12 - 12  # the padding chunk's and IEND's length, type and CRC
    filler = _chunk(b"tpAd", hashlib.shake_256(f"pad {shade}".encode()).digest(pad))
    return head + filler + _chunk(b"IEND", b"")


def png(shade: int) -> bytes:
    """A valid grey PNG of SIDE x SIDE pixels; `shade` makes its content (and hash) distinct."""
    chunk = _chunk
    header = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 0, 0, 0, 0)
    rows = (b"\x00" + bytes([shade % 256]) * SIDE) * SIDE
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


def write_model(root: Path, key: str, *, steps: int = 100, first_shade: int = 0) -> None:
    folder = root / key
    (folder / "images").mkdir(parents=True, exist_ok=True)
    title = key.capitalize()
    (folder / "model.yaml").write_text(MODEL.format(key=key, title=title, steps=steps))
    for i in range(1, 6):
        (folder / "images" / f"{key}-{i}.png").write_bytes(png(first_shade + i))
    (folder / "images" / f"{key}-1.txt").write_text(f"{key} seen from the front\n")


def make_workspace(root: Path, keys: tuple[str, ...] = ("alpha", "beta")) -> Path:
    """The workspace at `root`, committed in a fresh git repository."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "trainops.yaml").write_text(WORKSPACE)
    (root / ".gitignore").write_text(".trainops/\n")
    for n, key in enumerate(keys):
        write_model(root, key, steps=100 * (n + 1), first_shade=10 * n)
    init_repo(root)
    return root


def init_repo(root: Path) -> str:
    """A git repository at `root` with everything in it committed; the commit's sha."""
    repo = git.Repo.init(root)
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "e2e")
        cfg.set_value("user", "email", "e2e@example.invalid")
    return commit(root, "initial workspace")


def commit(root: Path, message: str) -> str:
    repo = git.Repo(root)
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def app_for(
    root: Path,
    *,
    speed: float = 1000.0,
    faults: tuple[Fault, ...] = (),
    clock: Callable[[], float] | None = None,
    limits: Limits | None = None,
) -> Starlette:
    """The sandbox app over the workspace's `--sandbox` state file (shared with the CLI)."""
    db = root / SANDBOX_DB
    return create_app(db, speed=speed, faults=faults, clock=clock, limits=limits)


@asynccontextmanager
async def client_for(app: Starlette, root: Path) -> AsyncIterator[Scenario]:
    async with sandbox_client(root / SANDBOX_DB, app=app, retry=FAST) as client:
        yield client


async def plan(root: Path, client: Scenario, *, probe: bool = True) -> tuple[Desired, Plan]:
    desired, _warnings, _partial = pipeline.load([], cwd=root)
    return desired, (await pipeline.make_plan(desired, client, probe=probe)).plan


async def plan_and_apply(
    root: Path, client: Scenario, environ: Mapping[str, str] | None = None, **options: Any
) -> Outcome:
    desired, the_plan = await plan(root, client, probe=options.pop("probe", True))
    opts = ApplyOptions(environ=dict(environ or {}), **options)
    return await apply_plan(the_plan, desired, client, opts)


def actions(the_plan: Plan) -> dict[str, str]:
    return {m.key: m.action for m in the_plan.models}


def results(outcome: Outcome) -> dict[str, str]:
    return {m.key: m.result for m in outcome.models}


async def managed_models(client: Scenario) -> list[LiveModel]:
    """Every model but the price probes (empty models plan creates to dry-run new ones) and the
    lock model (where apply keeps the workspace's lock, `trainops.lock`)."""
    markers = (PROBE_PREFIX, HOME_PREFIX)
    return [m for m in await client.list_models() if not any(t.startswith(markers) for t in m.tags)]


async def jobs_by_model(client: Scenario) -> dict[str, int]:
    """How many training jobs each model (by name) has ever had: the count that must never
    double."""
    names = {m.id: str(m.name) for m in await managed_models(client)}
    counts = dict.fromkeys(names.values(), 0)
    for job in await client.list_jobs():
        name = names.get(str(job.model_id))
        if name is not None:
            counts[name] += 1
    return counts


# --- the same, synchronously, on the workspace's `--sandbox` state file (for the CLI tests) ----


@synchronous
async def train_all(root: Path) -> dict[str, int]:
    """Apply the workspace and finish every training; the jobs per model name."""
    async with client_for(app_for(root), root) as client:
        # Queued behind the sandbox's 2 parallel trainings, as `apply --wait` does.
        outcome = await plan_and_apply(root, client, queue=True, poll_interval=0.02)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        return await jobs_by_model(client)


@synchronous
async def jobs(root: Path) -> dict[str, int]:
    """How many training jobs each model (by name) has had in the workspace's sandbox."""
    async with client_for(app_for(root), root) as client:
        return await jobs_by_model(client)


@synchronous
async def all_models(root: Path) -> list[LiveModel]:
    """Every live model in the workspace's sandbox, price probes included."""
    async with client_for(app_for(root), root) as client:
        return await client.list_models()


TRAIN = "PUT /models/{id}/train"


async def rerun_records_alpha_without_training(root: Path, app: Starlette) -> None:
    """After alpha's training started unrecorded: the rerun records it, and nothing trains again."""
    async with client_for(app, root) as client:
        _, rerun = await plan(root, client)
        assert actions(rerun) == {"alpha": "update", "beta": "none"}
        assert results(await plan_and_apply(root, client)) == {"alpha": "done", "beta": "skipped"}
        _, final = await plan(root, client)
        assert actions(final) == {"alpha": "none", "beta": "none"}
        assert client.requests[TRAIN] == 0
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}
