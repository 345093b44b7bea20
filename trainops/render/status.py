"""`trainops status` as values and text: one row per model of the workspace, pure functions.

A row joins a manifest (desired) with its live model, when either exists. The manifest column
compares the fingerprint trainops recorded on the model at its last trigger with the one the
manifest declares now: it answers "is the live model trained on what git says?" without a plan.

JSON contract (`Report.data()`), `format_version` "1.3" (1.1 added `probes`, 1.2 `command`, 1.3
the detail document of `trainops status NAME`, `render.status_model`):
    format_version  "1.3"
    command         "status"
    workspace       str
    models[]        key (null for a live model with no identity tag), model_id, status (model
                    status, null when not created), manifest (see MANIFEST_STATES), commit
                    (last trained commit or null), job (null or {id, status, progress 0..1,
                    remaining_seconds, error}), name
    summary         {models: int, by_status: {status: count}, changed: int}
    probes[]        the workspace's price probes (empty models plans dry-run new models on):
                    {type, model_id}; `trainops probes clean` removes them
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from trainops.desired import DesiredModel
from trainops.live import LiveModel
from trainops.render.phrases import clean, remaining_text
from trainops.tags import FP_LEN

FORMAT_VERSION = "1.3"

Manifest = Literal["matches", "differs", "not-recorded", "not-created", "no-manifest"]

# What each manifest state says in the text table.
MANIFEST_TEXT: dict[str, str] = {
    "matches": "matches",
    "differs": "differs",
    "not-recorded": "not recorded",
    "not-created": "not created",
    "no-manifest": "no manifest",
}
MAX_ERROR = 60


@dataclass(frozen=True)
class JobView:
    id: str
    status: str
    progress: float | None  # 0..1
    remaining_ms: float | None
    error: str | None


@dataclass(frozen=True)
class Row:
    key: str | None
    model_id: str | None
    name: str | None
    status: str | None  # the model's status; None when the model does not exist yet
    manifest: Manifest
    commit: str | None
    job: JobView | None

    def data(self) -> dict[str, Any]:
        job = self.job
        return {
            "key": self.key,
            "model_id": self.model_id,
            "name": self.name,
            "status": self.status,
            "manifest": self.manifest,
            "commit": self.commit,
            "job": None
            if job is None
            else {
                "id": job.id,
                "status": job.status,
                "progress": job.progress,
                "remaining_seconds": None
                if job.remaining_ms is None
                else round(job.remaining_ms / 1000),
                "error": job.error,
            },
        }


@dataclass(frozen=True)
class Report:
    workspace: str
    rows: tuple[Row, ...]
    probes: tuple[tuple[str, str], ...] = ()  # (model type, probe id), sorted

    @property
    def changed(self) -> int:
        return sum(r.manifest == "differs" for r in self.rows)

    def data(self) -> dict[str, Any]:
        statuses = Counter(r.status or "not-created" for r in self.rows)
        return {
            "format_version": FORMAT_VERSION,
            "command": "status",
            "workspace": self.workspace,
            "models": [r.data() for r in self.rows],
            "summary": {
                "models": len(self.rows),
                "by_status": dict(sorted(statuses.items())),
                "changed": self.changed,
            },
            "probes": [{"type": t, "model_id": i} for t, i in self.probes],
        }


def manifest_state(desired: DesiredModel | None, live: LiveModel | None) -> Manifest:
    if live is None:
        return "not-created"
    if desired is None:
        return "no-manifest"
    recorded = live.recorded.fingerprint
    if recorded is None:
        return "not-recorded"
    return "matches" if recorded == desired.fingerprint[:FP_LEN] else "differs"


def job_view(live: LiveModel) -> JobView | None:
    """The latest job when it was read (training or failed models): the cheap read skips the
    jobs of models whose status already says everything."""
    job = live.job
    if job is None:
        return None
    running = job.running
    return JobView(
        id=job.id,
        status=job.status,
        # The model's trainingProgress is fresher than the job's and carries the time left.
        progress=(live.progress if live.progress is not None else job.progress)
        if running
        else None,
        remaining_ms=live.remaining_ms if running else None,
        error=job.error,
    )


def row(desired: DesiredModel | None, live: LiveModel | None) -> Row:
    key = desired.key if desired else (live.recorded.key if live else None)
    return Row(
        key=key,
        model_id=live.id if live else (desired.model_id if desired else None),
        name=live.name if live and live.name is not None else (desired.name if desired else None),
        status=live.status if live else None,
        manifest=manifest_state(desired, live),
        commit=live.recorded.commit if live else None,
        job=job_view(live) if live else None,
    )


def build_report(
    workspace: str,
    desired: Sequence[DesiredModel],
    live: Sequence[LiveModel],
    probes: Mapping[str, str] | None = None,
) -> Report:
    """One row per live model (two live models claiming one key both show) and per manifest
    with no live model; sorted by key, then id."""
    by_id = {d.model_id: d for d in desired if d.model_id}
    by_key = {d.key: d for d in desired}
    rows = [
        row(by_id.get(m.id) or (by_key.get(m.recorded.key) if m.recorded.key else None), m)
        for m in live
    ]
    seen = {r.key for r in rows if r.manifest != "no-manifest"}
    rows += [row(d, None) for d in desired if d.key not in seen]
    return Report(
        workspace=workspace,
        rows=tuple(sorted(rows, key=lambda r: (r.key is None, r.key or "", r.model_id or ""))),
        probes=tuple(sorted((probes or {}).items())),
    )


# --- text -------------------------------------------------------------------------------------

_HEADER = ("MODEL", "ID", "STATUS", "LATEST JOB", "MANIFEST", "COMMIT")


def job_text(job: JobView | None) -> str:
    if job is None:
        return "-"
    parts = [job.status]
    if job.progress is not None:
        parts.append(f"{round(job.progress * 100)}%")
    if job.remaining_ms is not None:
        parts.append(remaining_text(job.remaining_ms, compact=True))
    text = " ".join(parts)
    return f"{text}: {clean(job.error, MAX_ERROR)}" if job.error else text


def _cells(r: Row) -> tuple[str, ...]:
    return (
        clean(r.key) if r.key else "(no key)",
        r.model_id or "-",
        r.status or "-",
        job_text(r.job),
        MANIFEST_TEXT[r.manifest],
        r.commit or "-",
    )


def summary_text(report: Report) -> str:
    n = len(report.rows)
    counts = Counter(r.status or "not created" for r in report.rows)
    by_status = ", ".join(f"{c} {s}" for s, c in sorted(counts.items()))
    line = f"{n} model{'s' if n != 1 else ''}: {by_status}."
    if report.changed:
        line += (
            f"\n{report.changed} trained on other inputs than the manifests declare now: "
            "run `trainops plan` to see what changed."
        )
    return line


def probes_text(report: Report) -> str:
    if not report.probes:
        return ""
    listed = "".join(f"\n  {i}  {clean(t)}" for t, i in report.probes)
    return (
        "\nPrice probes (empty models plans dry-run new models on; "
        f"`trainops probes clean` removes them):{listed}\n"
    )


def render_status_text(report: Report) -> str:
    if not report.rows:
        return (
            f"Workspace {report.workspace} has no models: no manifests and no live model "
            "carries its tag.\n" + probes_text(report)
        )
    table = [_HEADER, *(_cells(r) for r in report.rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(_HEADER))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        for cells in table
    ]
    body = "\n".join(lines) + f"\n\n{summary_text(report)}\n"
    return f"Workspace {report.workspace}\n\n" + body + probes_text(report)


def render_status_json(report: Report) -> str:
    return json.dumps(report.data(), indent=2, sort_keys=True)
