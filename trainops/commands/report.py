"""`trainops report`: one self-contained HTML page to review a workspace by looking (issue 16).

    1. check Pillow is installed (`trainops.thumbs`), before anything is read
    2. run the plan's pipeline (`pipeline.load_and_plan`), as `trainops plan` does
    3. read each trained model in full (`get_model`) for its epochs, and download their sample
       images through the API client, each capped at `MAX_SAMPLE_BYTES`
    4. fetch the Git LFS objects of the images it shows that are still pointers (one
       `git lfs pull`, `trainops.lfs`; a fetch that fails is a warning), then read each training
       file through the manifest guard (`manifest.guard`)
    5. downscale every picture to a data: URI (`thumbs.thumbnail`), and write the page
       (`render.report`)

A picture that cannot be had (a failed download, a file the guard refuses, bytes Pillow cannot
read) is a placeholder saying why, never a failed report.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from trainops import lfs, pipeline
from trainops.commands import EXIT_OK
from trainops.commands.common import Target, list_warnings
from trainops.commands.handler import err
from trainops.commands.probes import created_lines
from trainops.desired import AUDIO_FORMATS, DesiredImage, DesiredModel, is_secret
from trainops.errors import ApiError, ConfigError
from trainops.lfs import LfsError
from trainops.live import Live, LiveEpoch, LiveModel
from trainops.manifest import guard
from trainops.manifest import lfs as pointer
from trainops.plan import Plan, freeze
from trainops.planfile import load_plan
from trainops.read import read_live
from trainops.render.report import (
    Epoch,
    Page,
    PairTile,
    Param,
    Picture,
    Section,
    Tile,
    render_report,
)
from trainops.repo import head_commit
from trainops.scenario.client import Scenario
from trainops.thumbs import ThumbError, require_pillow, thumbnail

DATASET_SIDE = 192  # a contact sheet of 20 images stays near 200 KB
SAMPLE_SIDE = 256
MAX_SAMPLE_BYTES = guard.IMAGE.max_bytes  # what a training image may be, and more than a sample


@dataclass(frozen=True)
class Trained:
    """A trained model read in full, with its epochs' samples made into pictures."""

    model: LiveModel
    epochs: tuple[Epoch, ...]
    problem: str | None = None  # why the model could not be read in full


def run_report(
    target: Target,
    *,
    out: Path = Path("report.html"),
    probe: bool = True,
    plan_file: Path | None = None,
) -> int:
    """`plan_file`: show that saved plan (`trainops plan --out`) instead of planning again: the
    page says what the reviewed comment says, and no dry run is sent twice."""
    require_pillow()
    saved = load_plan(target.cwd / plan_file) if plan_file is not None else None
    load = functools.partial(pipeline.load, target.paths, cwd=target.cwd, cache=target.cache)

    async def go() -> tuple[pipeline.Planned, dict[str, Trained]]:
        async with target.client_before(load) as client:
            if saved is None:
                planned = await pipeline.load_and_plan(
                    client, load, parallelism=target.parallelism, probe=probe
                )
            else:
                planned = await with_saved_plan(client, load, saved, target.parallelism)
            return planned, await read_trained(client, planned.desired.models, planned.live)

    planned, trained = pipeline.run(go())
    list_warnings(planned.warnings, planned.desired.models, quiet=True)
    fetch_shown(planned.desired.models, planned.desired.workspace.root, target.environ)
    for line in created_lines(planned.probes_created):
        err(line)
    page = build_page(planned, trained)
    text = render_report(page)
    _write(target.cwd / out, out, text)  # an absolute `out` stays itself
    pictures = text.count("<img ")
    err(f"wrote {out}: {len(page.sections)} model(s), {pictures} picture(s), {_kb(text)}")
    return EXIT_OK


async def with_saved_plan(
    client: Scenario, load: Callable[[], pipeline.Loaded], saved: Plan, parallelism: int | None
) -> pipeline.Planned:
    """The manifests and the live models read now, beside a plan saved earlier: refused when
    it is another workspace's, or of another commit than the checkout's (it would show what the
    files no longer say)."""
    desired, warnings, _ = await asyncio.to_thread(load)
    client.set_parallelism(parallelism or desired.workspace.parallelism)
    if saved.workspace != desired.workspace.name:
        raise ConfigError(
            f"the saved plan is of workspace {saved.workspace!r}, not {desired.workspace.name!r}",
            hint="pass the plan `trainops plan --out` wrote for this workspace",
        )
    now = await asyncio.to_thread(head_commit, desired.workspace.root)
    if saved.commit and now and saved.commit != now:
        raise ConfigError(
            f"the saved plan was made at commit {saved.commit[:12]}, the checkout is at {now[:12]}",
            hint="plan again (`trainops plan --out FILE`), or leave out --plan to plan now",
        )
    live = await read_live(client, desired, full=False)
    return pipeline.Planned(desired=desired, live=live, plan=saved, warnings=warnings)


def _write(path: Path, shown: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write the report to {shown}: {exc.strerror or exc}",
            hint="pass --out with a file in a directory you can write to",
        ) from None


def _kb(text: str) -> str:
    return f"{len(text.encode()) / 1000:.0f} KB"


async def read_trained(
    client: Scenario, models: Sequence[DesiredModel], live: Live
) -> dict[str, Trained]:
    """The trained models of `models` by key, read in full, their samples downloaded."""
    by_key = live.by_key()
    found = [by_key[m.key] for m in models if m.key in by_key]
    done = await asyncio.gather(*(_trained(client, m) for m in found if m.status == "trained"))
    return {str(t.model.recorded.key): t for t in done}


async def _trained(client: Scenario, listed: LiveModel) -> Trained:
    try:
        model = await client.get_model(listed.id)
    except ApiError as exc:
        return Trained(listed, (), f"its epochs could not be read: {exc.message}")
    # An epoch without samples (a training without samplePrompts) has nothing to show.
    epochs = await asyncio.gather(*(_epoch(client, ep) for ep in model.epochs if ep.samples))
    return Trained(model, tuple(epochs))


async def _epoch(client: Scenario, ep: LiveEpoch) -> Epoch:
    samples = await asyncio.gather(*(sample_picture(client, s.url) for s in ep.samples))
    return Epoch(ep.epoch, tuple(samples))


async def sample_picture(client: Scenario, url: str) -> Picture:
    if not url:
        return Picture(None, problem="the API gave no URL for this sample")
    try:
        data = await client.download(url)
    except ApiError as exc:
        return Picture(None, problem=f"download failed: {exc.message}")
    if len(data) > MAX_SAMPLE_BYTES:
        return Picture(None, problem=f"over the {MAX_SAMPLE_BYTES // 1_000_000} MB limit")
    return await asyncio.to_thread(picture, data, SAMPLE_SIDE)


def picture(data: bytes, side: int) -> Picture:
    try:
        t = thumbnail(data, side)
    except ThumbError as exc:
        return Picture(None, problem=str(exc))
    return Picture(t.src, t.width, t.height)


def build_page(planned: pipeline.Planned, trained: Mapping[str, Trained]) -> Page:
    desired, plan = planned.desired, planned.plan
    plans = {m.key: m for m in plan.models}
    live = planned.live.by_key()
    sections = []
    for m in desired.models:
        got = trained.get(m.key)
        sections.append(
            Section(
                key=m.key,
                name=m.name,
                type=m.type,
                source=str(m.source),
                parameters=parameters(m),
                tiles=tiles(m, desired.workspace.root),
                pairs=pair_tiles(m, desired.workspace.root),
                plan=plans.get(m.key),
                status=live[m.key].status if m.key in live else None,
                prompts=_prompts(got.model if got else None, m),
                epochs=got.epochs if got else (),
                notes=(got.problem,) if got and got.problem else (),
            )
        )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Page(
        workspace=desired.workspace.name, plan=plan, sections=tuple(sections), created_at=now
    )


def parameters(m: DesiredModel) -> tuple[Param, ...]:
    """The manifest's parameters, a secret's value (or its reference) never among them."""
    return tuple(
        Param(k, None, True) if is_secret(k, v) else Param(k, freeze(v), False)
        for k, v in sorted(m.parameters.items())
    )


def _prompts(live: LiveModel | None, m: DesiredModel) -> tuple[str, ...]:
    """The prompts the samples were made from: the live model's (what it was trained with),
    else the manifest's."""
    if live is not None and live.sample_prompts:
        return live.sample_prompts
    value = m.parameters.get("samplePrompts")
    return tuple(str(p) for p in value) if isinstance(value, (list, tuple)) else ()


def fetch_shown(models: Sequence[DesiredModel], root: Path, environ: Mapping[str, str]) -> None:
    """The pictures of a checkout without LFS content: fetch the objects of the images shown
    (audio is not shown). One that cannot be had stays a pointer, shown as a placeholder."""
    shown = [
        (f.path, f.sha256)
        for m in models
        for f in m.training_files
        if Path(f.path).suffix.lower().lstrip(".") not in AUDIO_FORMATS
    ]
    try:
        lfs.fetch(root, shown, environ=environ)
    except LfsError as exc:
        err(f"warning: {exc.message}: the report shows a placeholder instead")


def tiles(m: DesiredModel, root: Path) -> tuple[Tile, ...]:
    """The model's files that are no side of a training pair (those are shown as pairs)."""
    paired = {f.path for p in m.pairs for f in (p.source, p.target)}
    return tuple(_tile(f, root) for f in m.training_files if f.path not in paired)


def pair_tiles(m: DesiredModel, root: Path) -> tuple[PairTile, ...]:
    return tuple(
        PairTile(_tile(p.source, root), _tile(p.target, root), p.instruction) for p in m.pairs
    )


def _tile(f: DesiredImage, root: Path) -> Tile:
    return Tile(f.path, f.caption, _file_picture(f, root))


def _file_picture(f: DesiredImage, root: Path) -> Picture:
    if Path(f.path).suffix.lower().lstrip(".") in AUDIO_FORMATS:
        return Picture(None, problem="an audio sample")
    try:
        data = guard.read_bytes(root / f.path, root, guard.IMAGE)
    except guard.Refused as exc:
        return Picture(None, problem=f"not read: it {exc.reason}")
    except OSError as exc:
        return Picture(None, problem=f"not read: {exc.strerror or exc}")
    if pointer.is_pointer(data):
        return Picture(None, problem="a Git LFS pointer whose object could not be fetched")
    return picture(data, DATASET_SIDE)
