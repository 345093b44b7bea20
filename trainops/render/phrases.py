"""The plain-text wording shared by every renderer: one line per change, training, model, cost.

Lines are plain text with user strings cleaned of control characters; each renderer escapes them
for its own format.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

from trainops.desired import AUDIO_FORMATS
from trainops.plan import (
    Change,
    ModelOutcome,
    ModelPlan,
    Outcome,
    Plan,
    TrainingStatus,
    Value,
    format_cu,
)
from trainops.redact import redact, strip_bidi

SYMBOLS = {
    "create": "+",
    "train": "~",
    "update": "~",
    "rename": "→",
    "wait": "…",
    "none": " ",
    "orphan": "-",
    "delete": "×",
}
OP_SYMBOLS = {"add": "+", "remove": "-", "change": "~", "replace": "~"}
RESULT_SYMBOLS = {
    "done": "✓",
    "failed": "✗",
    "skipped": "·",
    "unrecorded": "?",
    "blocked": "!",
    "deferred": "…",
}
# Professional voice cloning waits here for a person to read a captcha aloud in the web app
# (`ready-for-captcha`: again, after a recoverable failure).
CAPTCHA_STAGES = frozenset({"pending-captcha", "ready-for-captcha"})
MAX_LISTED = 10  # per kind of change and model: long image lists collapse to a count
MAX_VALUE = 80


def clean(text: str, limit: int | None = None) -> str:
    """One line without control characters (names and captions must not drive a terminal), bidi
    controls (they would reorder what is shown) or credentials (see `trainops.redact`)."""
    spaced = "".join(" " if c in "\r\n\t" else c for c in strip_bidi(redact(text)))
    out = "".join(c for c in spaced if c >= " " and not ("\x7f" <= c <= "\x9f"))
    return out if limit is None or len(out) <= limit else out[: limit - 1] + "…"


def show_value(value: Value) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        return format(Decimal(repr(value)), "f")  # 0.00005, not 5e-05
    if isinstance(value, (int, float)):
        return repr(value)
    return clean(json.dumps(value, ensure_ascii=False), MAX_VALUE)


def describe_change(c: Change) -> str:
    """One plain-text line (renderers escape it for their format)."""
    if c.kind == "parameter":
        return _describe_parameter(c)
    if c.kind == "caption":
        return f"caption of {c.subject}: {show_value(c.old)} -> {show_value(c.new)}"
    if c.kind == "pair":
        text = c.new if c.op == "add" else c.old
        return f"pair {c.subject}: {show_value(text)}"
    if c.kind == "fingerprint":
        return f"record fingerprint {str(c.new)[:8]} (the training already happened)"
    if c.kind == "image" and c.op == "replace":
        return f"{media_of(c.subject)} {c.subject} replaced (new bytes, same name)"
    if c.kind == "image":
        return f"{media_of(c.subject)} {c.subject}"
    if c.kind == "tag":
        return f"tag {c.subject}"
    if c.op == "add":
        return f"{c.subject} = {show_value(c.new)}"
    return f"{c.subject}: {show_value(c.old)} -> {show_value(c.new)}"


def media_of(file_name: str) -> str:
    """`audio` or `image`, by the file name's extension."""
    return "audio" if file_name.rpartition(".")[2].lower() in AUDIO_FORMATS else "image"


def _describe_parameter(c: Change) -> str:
    if c.sensitive:
        return (
            f"parameter {c.subject}: "
            + {
                "add": "(sensitive value)",
                "remove": "(sensitive value removed)",
                "change": "(sensitive value changed)",
            }[c.op]
        )
    if c.op == "add":
        return f"parameter {c.subject} = {show_value(c.new)}"
    if c.op == "remove":
        return f"parameter {c.subject} (was {show_value(c.old)})"
    return f"parameter {c.subject}: {show_value(c.old)} -> {show_value(c.new)}"


def listed(changes: tuple[Change, ...]) -> Iterator[Change | str]:
    """The changes to show, with a "… and N more" line per long (kind, op) run."""
    total = Counter((c.kind, c.op) for c in changes)
    seen: Counter[tuple[str, str]] = Counter()
    for c in changes:
        group = (c.kind, c.op)
        seen[group] += 1
        if seen[group] <= MAX_LISTED:
            yield c
        elif seen[group] == total[group]:
            verb = {
                "add": "to add",
                "remove": "to remove",
                "change": "to change",
                "replace": "to replace",
            }[c.op]
            yield f"… and {total[group] - MAX_LISTED} more {c.kind}s {verb}"


def describe_training(t: TrainingStatus) -> str:
    parts = [t.status]
    if t.progress is not None:
        parts.append(f"{round(t.progress * 100)}%")
    if t.stage:
        parts.append(t.stage)
    if t.stage in CAPTCHA_STAGES:
        parts.append("a person must read the captcha in Scenario's web app")
    if t.remaining_ms is not None:
        parts.append(remaining_text(t.remaining_ms))
    if t.job_id:
        parts.append(f"job {t.job_id}")
    if t.cost_so_far is not None:
        parts.append(f"{format_cu(t.cost_so_far)} CU so far")
    return ", ".join(clean(p) for p in parts)


def remaining_text(ms: float, *, compact: bool = False) -> str:
    """`about 3 min left`, or for table cells (`compact`) `3 min left`."""
    minutes = round(ms / 60_000)
    about = "" if compact else "about "
    if minutes < 1:
        return "<1 min left" if compact else "less than a minute left"
    if minutes < 120:
        return f"{about}{minutes} min left"
    return f"{about}{minutes // 60} h {minutes % 60} min left"


# A `wait` on other inputs than declared: the declared inputs are a training still to come.
PENDING = "trains when the running training ends"


def is_pending(m: ModelPlan) -> bool:
    """A pending training: the model trains now on other inputs; the declared ones train next."""
    return m.action == "wait" and m.will_train


def pending_count(plan: Plan) -> int:
    return sum(1 for m in plan.models if is_pending(m))


def headline(m: ModelPlan) -> str:
    """What happens to one model, in words (plain text, user strings cleaned)."""
    who = clean(m.key) + (f" ({m.model_id})" if m.model_id else "")
    if m.renamed_from:
        who = f"rename {clean(m.renamed_from)} → {who}"
        if m.action == "train":
            return f"{who}: renamed and retrained"
        if m.action == "wait" and not is_pending(m):
            return f"{who}: renamed; it is training"
        if m.action == "rename":
            return f"{who}: renamed (re-tagged), without training"
    if is_pending(m):
        return f"{who} is training on other inputs: pending training, {PENDING}"
    return {
        "create": f"{who} will be created and trained",
        "train": f"{who} will be retrained",
        "update": f"{who} will be updated in place, without training",
        "rename": f"{who} will be renamed, without training",
        "wait": f"{who} is training",
        "none": f"{who} is up to date",
        "orphan": f"{who} has no manifest",
        "delete": f"{who} will be DELETED",
    }[m.action]


def spent_text(m: ModelPlan) -> str | None:
    """What deleting the model throws away: `3 trainings, 45 CU spent so far`."""
    if m.action != "delete":
        return None
    if m.trainings is None:
        return "trainings and credits spent so far: unknown (no job of it found)"
    s = "s" if m.trainings != 1 else ""
    cu = f"{format_cu(m.spent)} CU" if m.spent is not None else "credits unknown"
    return f"{m.trainings} training{s}, {cu} spent so far"


def scope_sentence(plan: Plan) -> str | None:
    """Which part of the workspace a scoped plan covers; None for the whole workspace."""
    if plan.scope is None:
        return "Scope: part of the workspace" if plan.partial else None
    return (
        f"Scope: {clean(plan.scope.describe())} (part of the workspace: models and orphans "
        "outside it are neither shown nor changed)"
    )


def cost_text(m: ModelPlan) -> str | None:
    note = f" ({clean(m.cost_note)})" if m.cost_note else ""
    if m.will_train and m.estimated_cost is not None:
        return f"estimated cost: {format_cu(m.estimated_cost)} CU{note}"
    return f"estimated cost: not priced{note}" if m.will_train or m.cost_note else None


def summary_line(plan: Plan) -> str:
    n = plan.summary()
    unpriced = f" ({plan.unpriced} training{'s' if plan.unpriced != 1 else ''} not priced)"
    pending = pending_count(plan)
    waiting = f"{n['wait']} waiting" + (
        f" ({pending} pending training{'s' if pending != 1 else ''})" if pending else ""
    )
    renamed = sum(1 for m in plan.models if m.renamed_from)
    # Said only when there is one: the line every plan prints stays as it was.
    renames = f"{renamed} to rename, " if renamed else ""
    deleting = f", {n['delete']} to delete" if n["delete"] else ""
    return (
        f"Plan: {n['create']} to create, {n['train']} to train, {n['update']} to update, "
        f"{renames}{waiting}, {n['orphan']} orphaned{deleting}. "
        f"Estimated cost: {format_cu(plan.total_cost)} CU{unpriced if plan.unpriced else ''}."
    )


def budget_sentence(total: float, budget: float | None, max_cost: float | None) -> str | None:
    """`Budget: 35 CU of 100 CU (trainops.yaml), 65 CU left · --max-cost 50 CU: 15 CU left`;
    None when no limit is set."""
    parts = [
        f"{what} {format_cu(limit)} CU: "
        + (
            f"{format_cu(limit - total)} CU left"
            if total <= limit
            else f"over by {format_cu(total - limit)} CU"
        )
        for what, limit in (("budget (trainops.yaml)", budget), ("--max-cost", max_cost))
        if limit is not None
    ]
    if not parts:
        return None
    return f"This plan: {format_cu(total)} CU. " + " · ".join(p[0].upper() + p[1:] for p in parts)


def unchanged_line(plan: Plan) -> str | None:
    n = plan.summary()["none"]
    return f"{n} model{'s' if n != 1 else ''} up to date." if n else None


def empty_sentence(plan: Plan) -> str | None:
    if not plan.models and plan.partial:
        return "Nothing in scope: no declared model and no orphan."
    if not plan.models:
        return "No models are declared, and none is managed live in this workspace."
    if plan.has_changes:
        return None
    if any(m.action in ("wait", "orphan") for m in plan.models):
        return "No changes to apply."
    return "No changes. The live models match the manifests."


# --- apply outcome ----------------------------------------------------------------------------


def outcome_line(m: ModelOutcome) -> str:
    extra = [f"job {m.job_id}"] if m.job_id else []
    if m.cost is not None:
        extra.append(f"{format_cu(m.cost)} CU")
    tail = f" ({', '.join(clean(e) for e in extra)})" if extra else ""
    line = f"{clean(m.key)}: {m.action} {m.result} — {clean(m.detail)}{tail}"
    if m.epochs:
        n = len(m.epochs)
        line += f"; {n} epoch{'s' if n != 1 else ''} with samples: `trainops status {clean(m.key)}`"
    return line


def elapsed_text(seconds: float) -> str:
    """`45 s`, `12 min 5 s`, `2 h 3 min`."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min" if s % 3600 // 60 else f"{s // 3600} h"


def up_to_date(m: ModelOutcome) -> bool:
    """A model apply had nothing to do for: counted in one line, never listed one by one."""
    return m.action == "none" and m.result == "skipped"


def listed_outcomes(outcome: Outcome) -> list[ModelOutcome]:
    """The models an outcome lists: all but the up-to-date ones (`up_to_date_count`)."""
    return [m for m in outcome.models if not up_to_date(m)]


def up_to_date_count(outcome: Outcome) -> int:
    return sum(1 for m in outcome.models if up_to_date(m))


def outcome_counts(outcome: Outcome) -> str:
    """`1 done, 0 failed, 0 skipped, 49 up to date`: skipped leaves the up-to-date models out,
    and they are said only when there is one."""
    n = outcome.counts()
    fresh = up_to_date_count(outcome)
    tail = f", {fresh} up to date" if fresh else ""
    return f"{n['done']} done, {n['failed']} failed, {n['skipped'] - fresh} skipped{tail}"


def outcome_summary(outcome: Outcome) -> str:
    n = outcome.counts()
    unrecorded = f", {n['unrecorded']} unrecorded" if n["unrecorded"] else ""
    unrecorded += f", {n['blocked']} waiting for a person" if n["blocked"] else ""
    unrecorded += f", {n['deferred']} deferred" if n["deferred"] else ""
    unknown = sum(1 for m in outcome.models if m.result == "unrecorded" and m.cost is None)
    s = "s" if unknown != 1 else ""
    uncounted = f" (not counting {unknown} training{s} that may have started)" if unknown else ""
    return (
        f"Apply: {outcome_counts(outcome)}{unrecorded}. "
        f"Cost: {format_cu(outcome.total_cost)} CU{uncounted}."
    )


def deferred_sentence(outcome: Outcome) -> str | None:
    """`3 trainings deferred by the team's limit of 1 parallel training: the next apply starts
    them`, or None when none was deferred."""
    deferred = [m for m in outcome.models if m.result == "deferred"]
    if not deferred:
        return None
    limits = list(dict.fromkeys(clean(m.deferred_by or "the team's limits") for m in deferred))
    n = len(deferred)
    s, them = ("s", "them") if n != 1 else ("", "it")
    return f"{n} training{s} deferred by {' and '.join(limits)}: the next apply starts {them}"
