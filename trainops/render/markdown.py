"""Plans as GitHub-flavoured markdown for pull request comments (apply outcomes:
`trainops.render.outcome`).

Every user string (names, tags, captions, file names, API messages) goes through `escape`, which
is safe both in markdown text and inside HTML blocks such as `<summary>`: HTML and markdown
punctuation become numeric character references (never structure in CommonMark), and `@`/`#`
get a zero-width space so no one is mentioned and no issue is linked. User strings never go in
code spans, where a backtick could end the span.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trainops.plan import Change, ModelPlan, Plan, format_cu
from trainops.render.phrases import (
    OP_SYMBOLS,
    PENDING,
    budget_sentence,
    clean,
    cost_text,
    describe_change,
    describe_training,
    empty_sentence,
    is_pending,
    listed,
    scope_sentence,
    spent_text,
    summary_line,
    unchanged_line,
)
from trainops.render.pictures import Picture, Pictures
from trainops.render.why import MAX_WHY, why_line

__all__ = ["MAX_WHY", "escape", "render_markdown"]  # MAX_WHY: `trainops.render.outcome`

_ENTITIES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]()|~!{}$"}
_ENTITIES["@"] = "@&#8203;"
_ENTITIES["#"] = "#&#8203;"
LABELS = {
    "create": "➕ create",
    "train": "🔁 train",
    "update": "✏️ update",
    "rename": "🏷️ rename",
    "wait": "⏳ wait",
    "none": "none",
    "orphan": "⚠️ orphan",
    "delete": "🗑️ **delete**",
}
MAX_WARNING = 200
_DRIFTED = "changed outside trainops: "
THUMB_WIDTH = 96
# The reason `trainops.diff` gives a retraining names fingerprints: the table says what changed.
_FINGERPRINTS = re.compile(r" \(fingerprint [^()]*\)")


def escape(text: str, limit: int | None = None) -> str:
    return "".join(_ENTITIES.get(c, c) for c in clean(text, limit))


def code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _cost_cell(m: ModelPlan) -> str:
    if m.action == "delete":
        return "spent " + format_cu(m.spent) if m.spent is not None else "–"
    if m.will_train and m.estimated_cost is not None:
        return format_cu(m.estimated_cost)
    if m.cost_note:
        return "not priced: " + escape(m.cost_note, MAX_WHY)
    return "not priced" if m.will_train else "–"


def _why(m: ModelPlan) -> str:
    if is_pending(m) and m.training is not None:
        return escape(f"{PENDING} ({describe_training(m.training)})", MAX_WHY)
    if m.action == "wait" and m.training is not None:
        return escape(describe_training(m.training), MAX_WHY)
    if spent := spent_text(m):
        return escape(f"{spent}, lost with the model", MAX_WHY)
    if line := _changed(m):
        return escape(line, MAX_WHY)
    return escape(_FINGERPRINTS.sub("", m.reasons[0]), MAX_WHY) if m.reasons else ""


def _changed(m: ModelPlan) -> str | None:
    """The why of a train or an update, from its changes, where they explain it: a retraining
    whose inputs changed, an update that restores drift or metadata. A status (a failed
    training, none recorded) or a fingerprint to record keeps its reason."""
    if m.action == "train" and any(c.forces_training for c in m.changes):
        return why_line(m.changes)
    if m.action != "update" or any(c.kind == "fingerprint" for c in m.changes):
        return None
    if m.drift:
        line = why_line(m.changes, MAX_WHY - len(_DRIFTED))
        return _DRIFTED + line if line else None
    return why_line(m.changes)


# --- plan -------------------------------------------------------------------------------------


def render_markdown(
    plan: Plan,
    *,
    details: bool = True,
    pictures: Pictures | None = None,
    warnings: Mapping[str, Sequence[str]] | None = None,
    budget: float | None = None,
    max_cost: float | None = None,
    report: ReportLink | None = None,
) -> str:
    """The PR comment body; `details=False` is the compact form for oversized comments.
    `pictures`: thumbnails of the image changes (`trainops.render.pictures`), none when None;
    `warnings`: the dataset lint's lines, grouped, per model key; `budget` (trainops.yaml) and
    `max_cost` (`--max-cost`): the limits the total is said against; `report`: where the run's
    review report (`trainops report`) can be downloaded."""
    shown = [m for m in plan.models if m.action != "none"]
    lines = [f"### trainops plan for {code(plan.workspace)}", "", _verdict(plan)]
    if scope := scope_sentence(plan):
        lines += ["", escape(scope)]
    if shown:
        lines += ["", *_table(shown)]
    # The compact form carries no note of its own: the caller says where the details are.
    for m in shown if details else ():
        lines += ["", *_details(m, pictures)]
    if details and warnings:
        lines += ["", *_warnings(warnings)]
    if limits := budget_sentence(plan.total_cost, budget, max_cost):
        lines += ["", f"💰 {escape(limits)}"]
    if report is not None:
        lines += ["", report_line(report)]
    lines += ["", _footer(plan)]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ReportLink:
    """The workflow artifact holding this run's `trainops report` page, and the run's URL."""

    artifact: str
    run_url: str


def report_line(report: ReportLink) -> str:
    href = html.escape(report.run_url, quote=True)
    return (
        "🖼️ Every dataset as thumbnails, with captions, parameters and the epochs' samples of "
        f"trained models: the <b>{escape(report.artifact)}</b> artifact of "
        f'<a href="{href}">this run</a> (one HTML page).'
    )


def _warnings(warnings: Mapping[str, Sequence[str]]) -> list[str]:
    lines = ["**Dataset warnings**"]
    for key, found in sorted(warnings.items()):
        lines += [f"- <b>{escape(key)}</b>: {escape(w, MAX_WARNING)}" for w in found]
    return lines


def _verdict(plan: Plan) -> str:
    n = plan.summary()
    pending = sum(1 for m in plan.models if is_pending(m))
    trainings = n["create"] + n["train"] + pending
    if empty := empty_sentence(plan):
        head = f"✅ **{empty}**"
    elif trainings:
        s = "s" if trainings != 1 else ""
        head = f"🏋️ **{trainings} training{s}, estimated {format_cu(plan.total_cost)} CU**"
        if plan.unpriced:
            head += f" ({plan.unpriced} not priced)"
    else:
        head = "✏️ **No training**"
    n["wait"] -= pending  # said on its own: a pending training is a change to come
    rest = [
        f"{n[a]} {word}"
        for a, word in (
            ("update", "to update"),
            ("rename", "to rename"),
            ("wait", "waiting"),
            ("orphan", "orphaned"),
        )
        if n[a]
    ]
    if n["delete"]:
        rest.insert(0, f"🗑️ **{n['delete']} to delete**")
    if pending:
        s = "s" if pending != 1 else ""
        rest.insert(0, f"{pending} pending training{s} ({PENDING})")
    unchanged = unchanged_line(plan)
    return " · ".join([head, *rest, *([unchanged.rstrip(".")] if unchanged else [])])


def _table(models: list[ModelPlan]) -> list[str]:
    rows = ["| Model | Action | Cost (CU) | Why |", "|---|---|---|---|"]
    rows += [f"| {escape(m.key)} | {_label(m)} | {_cost_cell(m)} | {_why(m)} |" for m in models]
    return rows


def _label(m: ModelPlan) -> str:
    label = "⏳ pending training" if is_pending(m) else LABELS[m.action]
    if m.renamed_from and m.action != "rename":
        label += " · " + LABELS["rename"]
    return label


def _details(m: ModelPlan, pictures: Pictures | None) -> list[str]:
    cost = cost_text(m)
    action: str = "pending training" if is_pending(m) else m.action
    if m.renamed_from:
        action = f"{escape(m.renamed_from)} → {escape(m.key)} · {action}"
        if m.action != "rename":
            action += " · rename"
    summary = f"<b>{escape(m.key)}</b> · {action}" + (f" · {escape(cost)}" if cost else "")
    where = [escape(m.type)]
    if m.model_id:
        where.append(escape(m.model_id))
    if m.source:
        where.append(escape(m.source))
    lines = [f"<details><summary>{summary}</summary>", "", " · ".join(where)]
    if m.training:
        lines += ["", f"**Training**: {escape(describe_training(m.training))}"]
    if spent := spent_text(m):
        lines += ["", f"**Deleted with it**: {escape(spent)}"]
    if m.reasons:
        lines += ["", "**Why**", *(f"- {escape(r)}" for r in m.reasons)]
    if m.changes:
        lines += ["", "**Changes**"]
        lines += [_change_item(c, m, pictures) for c in listed(m.changes)]
    if m.drift:
        lines += ["", "**Drift** (changed outside trainops)", *(f"- {escape(d)}" for d in m.drift)]
    return [*lines, "", "</details>"]


def _change_item(c: Change | str, m: ModelPlan, pictures: Pictures | None) -> str:
    if isinstance(c, str):
        return f"- {escape(c)}"
    forces = " _(forces training)_" if m.action == "train" and c.forces_training else ""
    thumbs = _thumbnails(c, m.key, pictures) if pictures is not None else ""
    return f"- `{OP_SYMBOLS[c.op]}` {escape(describe_change(c))}{forces}{thumbs}"


def _thumbnails(c: Change, key: str, pictures: Pictures) -> str:
    if c.kind != "image":
        return ""
    old, new = pictures.get(key, c.subject, "old"), pictures.get(key, c.subject, "new")
    shown = [_thumb(p, f"{c.subject} ({side})") for side, p in (("old", old), ("new", new)) if p]
    return "<br>" + " → ".join(shown) if shown else ""


def _thumb(p: Picture, alt: str) -> str:
    """A linked thumbnail; the URLs are percent-encoded by their maker and escaped here."""
    href, src = html.escape(p.link, quote=True), html.escape(p.img, quote=True)
    return f'<a href="{href}"><img src="{src}" width="{THUMB_WIDTH}" alt="{escape(alt)}"></a>'


def _footer(plan: Plan) -> str:
    parts = [summary_line(plan)]
    if plan.commit:
        parts.append(f"commit {code(plan.commit[:12])}")
    parts.append(f"plan fingerprint {code(plan.fingerprint()[:16])}")
    return "<sub>" + " · ".join(parts) + "</sub>"
