"""`trainops status NAME` as values and text: one model in detail, pure functions.

The model as the table shows it (`render.status`), then what it trained: its parameters as the
API stores them (secrets masked), its training jobs newest first, and its epochs (Flux LoRA
checkpoints) with each sample image's URL beside the sample prompt that made it (the i-th sample
from the i-th `samplePrompts` entry: the API pairs them by position only).

JSON contract (`ModelDetail.data()`), `format_version` as the table's (`render.status`; 1.3
added this document; a table has `models[]`, a detail `model`):
    format_version  "1.3"
    command         "status"
    workspace       str
    model           key, model_id (null: not created), type, name, status (null: not
                    created), manifest (as in the table), commit (trained from, or null),
                    epoch (the selected epoch, null: the latest), parameters {name: value} as
                    stored (secrets "***"), jobs[] newest first {id, status, cost (billed
                    credits, `billing.cuCost`, or null), created_at, updated_at (ISO 8601 UTC or
                    null), error}, epochs[] as the API lists them {epoch, selected, samples[]
                    {asset_id, url, prompt (null when the model lists fewer prompts)}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from trainops.desired import DesiredModel, is_secret
from trainops.live import LiveJob, LiveModel
from trainops.plan import Value, format_cu, freeze
from trainops.redact import MASK
from trainops.render.phrases import clean, show_value
from trainops.render.status import FORMAT_VERSION, MANIFEST_TEXT, Manifest, manifest_state

MAX_ERROR = 200


@dataclass(frozen=True)
class SampleView:
    asset_id: str
    url: str
    prompt: str | None


@dataclass(frozen=True)
class EpochView:
    epoch: str
    selected: bool
    samples: tuple[SampleView, ...]


@dataclass(frozen=True)
class ModelDetail:
    workspace: str
    key: str
    model_id: str | None
    type: str
    name: str | None
    status: str | None
    manifest: Manifest
    commit: str | None
    epoch: str | None
    parameters: tuple[tuple[str, Value], ...]  # sorted, secrets masked
    jobs: tuple[LiveJob, ...]  # newest first
    epochs: tuple[EpochView, ...]

    def data(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "command": "status",
            "workspace": self.workspace,
            "model": {
                "key": self.key,
                "model_id": self.model_id,
                "type": self.type,
                "name": self.name,
                "status": self.status,
                "manifest": self.manifest,
                "commit": self.commit,
                "epoch": self.epoch,
                "parameters": dict(self.parameters),
                "jobs": [_job_data(j) for j in self.jobs],
                "epochs": [_epoch_data(e) for e in self.epochs],
            },
        }


def _job_data(j: LiveJob) -> dict[str, Any]:
    return {
        "id": j.id,
        "status": j.status,
        "cost": j.cost,
        "created_at": iso(j.created_at),
        "updated_at": iso(j.updated_at),
        "error": j.error,
    }


def _epoch_data(e: EpochView) -> dict[str, Any]:
    samples = [{"asset_id": s.asset_id, "url": s.url, "prompt": s.prompt} for s in e.samples]
    return {"epoch": e.epoch, "selected": e.selected, "samples": samples}


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def masked(parameters: Mapping[str, object]) -> tuple[tuple[str, Value], ...]:
    """The parameters safe to show: a secret (`wandbKey`) only says it is set."""
    return tuple((k, MASK if is_secret(k, v) else freeze(v)) for k, v in sorted(parameters.items()))


def epoch_views(live: LiveModel) -> tuple[EpochView, ...]:
    """The epochs, each sample beside its prompt; the selected one is the latest when the model
    names none (`epoch`)."""
    prompts = live.sample_prompts
    chosen = live.epoch or (live.epochs[-1].epoch if live.epochs else None)
    return tuple(
        EpochView(
            epoch=e.epoch,
            selected=e.epoch == chosen,
            samples=tuple(
                SampleView(s.asset_id, s.url, prompts[i] if i < len(prompts) else None)
                for i, s in enumerate(e.samples)
            ),
        )
        for e in live.epochs
    )


def model_detail(
    workspace: str,
    key: str,
    desired: DesiredModel | None,
    live: LiveModel | None,
    jobs: Sequence[LiveJob] = (),
) -> ModelDetail:
    """The model of `key`: declared (`desired`), live (read in full), or both."""
    newest = sorted(jobs, key=lambda j: (j.created_at or 0.0, j.id), reverse=True)
    name = live.name if live and live.name is not None else (desired.name if desired else None)
    return ModelDetail(
        workspace=workspace,
        key=key,
        model_id=live.id if live else (desired.model_id if desired else None),
        type=live.type if live else (desired.type if desired else "-"),
        name=name,
        status=live.status if live else None,
        manifest=manifest_state(desired, live),
        commit=live.recorded.commit if live else None,
        epoch=live.epoch if live else None,
        parameters=masked(live.params) if live else (),
        jobs=tuple(newest),
        epochs=epoch_views(live) if live else (),
    )


# --- text -------------------------------------------------------------------------------------


def day_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _columns(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def _head(d: ModelDetail) -> list[str]:
    fields = [
        ("id", d.model_id or "- (not created)"),
        ("type", clean(d.type)),
        ("name", clean(d.name) if d.name else "-"),
        ("status", d.status or "-"),
        ("manifest", MANIFEST_TEXT[d.manifest]),
        ("commit", d.commit or "-"),
    ]
    return [f"Model {clean(d.key)} (workspace {clean(d.workspace)})", "", *_columns(fields)]


def _parameters(d: ModelDetail) -> list[str]:
    if not d.parameters:
        return []
    rows = [(clean(k), MASK if v == MASK else show_value(v)) for k, v in d.parameters]
    return ["", "Parameters", *_columns(rows)]


def _jobs(d: ModelDetail) -> list[str]:
    if not d.jobs:
        return ["", "Jobs: none"]
    rows = [("ID", "STATUS", "CREDITS", "CREATED", "UPDATED", "ERROR")]
    rows += [
        (
            clean(j.id),
            clean(j.status),
            format_cu(j.cost) if j.cost is not None else "-",
            day_time(j.created_at),
            day_time(j.updated_at),
            clean(j.error, MAX_ERROR) if j.error else "-",
        )
        for j in d.jobs
    ]
    return ["", "Jobs, newest first", *_columns(rows)]


def _epochs(d: ModelDetail) -> list[str]:
    if not d.epochs:
        return ["", "Epochs: none (sample images come with `samplePrompts`, Flux LoRA only)"]
    lines = ["", "Epochs, oldest first (the selected one is marked *)"]
    for n, e in enumerate(d.epochs, 1):
        lines.append(f"{'*' if e.selected else ' '} {n}  {e.epoch}")
        rows = [(clean(s.prompt) if s.prompt else "(no prompt)", clean(s.url)) for s in e.samples]
        lines += _columns(rows, "     ") if rows else ["     (no samples)"]
    return lines


def render_model_text(d: ModelDetail) -> str:
    return "\n".join(_head(d) + _parameters(d) + _jobs(d) + _epochs(d)) + "\n"


def render_model_json(d: ModelDetail) -> str:
    return json.dumps(d.data(), indent=2, sort_keys=True)
