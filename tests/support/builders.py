"""Builders of desired and live values for the pure plan and render tests (no I/O)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainops.desired import (
    Desired,
    DesiredImage,
    DesiredModel,
    DesiredPair,
    ParamValue,
    SecretRef,
    Source,
    Workspace,
)
from trainops.live import Live, LiveImage, LiveJob, LiveModel, LivePair
from trainops.tags import fingerprint_tag, identity_tag, parse_recorded

WS = "acme"


def sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def image(name: str, content: str | None = None, caption: str | None = None) -> DesiredImage:
    return DesiredImage(
        path=f"data/{name}", name=name, sha256=sha(content or name), size=10, caption=caption
    )


def model(
    key: str = "hero",
    *,
    images: tuple[DesiredImage, ...] = (image("a.png"), image("b.png")),
    parameters: Mapping[str, ParamValue] | None = None,
    fingerprint: str | None = None,
    **kw: Any,
) -> DesiredModel:
    params = {"learningRate": 0.0001, "maxTrainSteps": 1000} if parameters is None else parameters
    values: dict[str, Any] = {
        "key": key,
        "type": "flux.1-lora",
        "name": key.title(),
        "short_description": None,
        "tags": (),
        "parameters": params,
        "images": images,
        "pairs": (),
        "model_id": None,
        "fingerprint": fingerprint or sha(f"fp-{key}"),
        "source": Source(f"models/{key}.yaml", 1),
    }
    values.update(kw)
    return DesiredModel(**values)


def desired(*models: DesiredModel) -> Desired:
    ws = Workspace(name=WS, root=Path("/repo"))
    return Desired(workspace=ws, models=tuple(sorted(models, key=lambda m: m.key)))


def live_image(img: DesiredImage, *, id: str | None = None, caption: str = "") -> LiveImage:
    return LiveImage(
        id=id or f"img_{img.name}",
        name=img.name,
        sha_prefix=img.sha256[:16],
        description=caption if img.caption is None else img.caption,
        automatic_captioning="",
        download_url="https://cdn.example/x",
    )


def foreign_image(name: str) -> LiveImage:
    return LiveImage(f"img_{name}", name, None, "", "", "https://cdn.example/y")


def job(status: str = "success", **kw: Any) -> LiveJob:
    values: dict[str, Any] = {
        "id": "job_1",
        "status": status,
        "progress": None,
        "created_at": 1795755600.0,  # 2026-11-27T05:00:00Z
        "updated_at": 1795756200.0,
        "cost": None,
        "error": None,
    }
    values.update(kw)
    return LiveJob(**values)


def live_of(
    d: DesiredModel, *, id: str | None = None, extra_tags: tuple[str, ...] = (), **kw: Any
) -> LiveModel:
    """The live model exactly as trainops leaves it after training `d` (status trained)."""
    tags = (identity_tag(WS, d.key), fingerprint_tag(d.fingerprint), *d.tags, *extra_tags)
    params = {k: v for k, v in d.parameters.items() if not isinstance(v, SecretRef)}
    values: dict[str, Any] = {
        "id": id or f"model_{d.key}",
        "type": d.type,
        "status": "trained",
        "name": d.name,
        "short_description": d.short_description,
        "tags": tags,
        "parameters": params,
        "images": tuple(live_image(i) for i in d.training_files),
        "images_count": len(d.training_files),
        "complete": True,
        "pairs": tuple(
            LivePair(f"img_{p.source.name}", f"img_{p.target.name}", p.instruction) for p in d.pairs
        ),
        "job": job(),
        "progress": None,
        "stage": None,
        "remaining_ms": None,
        "updated_at": "2026-11-27T05:10:00Z",
    }
    values.update(kw)
    values["recorded"] = parse_recorded(values["tags"])
    return LiveModel(**values)


def retag(m: LiveModel, tags: tuple[str, ...]) -> LiveModel:
    return dataclasses.replace(m, tags=tags, recorded=parse_recorded(tags))


def live(*models: LiveModel) -> Live:
    return Live(workspace=WS, models=tuple(models))


def pair(src: str, tgt: str, instruction: str) -> DesiredPair:
    return DesiredPair(image(src), image(tgt), instruction)
