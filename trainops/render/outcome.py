"""Apply outcomes as GitHub-flavoured markdown, for the comment `apply --comment-outcome` posts.

User strings go through `trainops.render.markdown.escape`, as in the plan comment.
"""

from __future__ import annotations

from trainops.plan import ModelOutcome, Outcome, format_cu
from trainops.render.markdown import MAX_WHY, code, escape
from trainops.render.phrases import (
    deferred_sentence,
    listed_outcomes,
    outcome_summary,
    up_to_date_count,
)

__all__ = ["render_outcome_markdown"]

RESULT_LABELS = {
    "done": "✅ done",
    "failed": "❌ failed",
    "skipped": "⏭️ skipped",
    "unrecorded": "⚠️ unrecorded",
    "blocked": "✋ needs a person",
    "deferred": "⏸️ deferred",
}


def render_outcome_markdown(outcome: Outcome) -> str:
    n = outcome.counts()
    if n["failed"]:
        verdict = f"❌ **Apply failed for {n['failed']} of {len(outcome.models)} models**"
    elif n["unrecorded"]:
        s, it = ("s", "them") if n["unrecorded"] != 1 else ("", "it")
        verdict = (
            f"⚠️ **{n['unrecorded']} training{s} not recorded: run apply again to record {it}**"
        )
    elif n["blocked"]:
        s = "s" if n["blocked"] != 1 else ""
        verdict = f"✋ **{n['blocked']} training{s} waiting for a person in Scenario's web app**"
    elif n["deferred"]:
        verdict = f"⏸️ **{escape(deferred_sentence(outcome) or '')}**"
    elif outcome.models:
        fresh = up_to_date_count(outcome)
        tail = f", {fresh} up to date" if fresh else ""
        verdict = f"✅ **Applied: {n['done']} done, {n['skipped'] - fresh} skipped{tail}**"
    else:
        verdict = "✅ **Nothing was applied**"
    lines = ["### trainops apply", "", verdict]
    if n["deferred"] and not verdict.startswith("⏸️"):  # a worse verdict hides it otherwise
        lines += ["", f"⏸️ {escape(deferred_sentence(outcome) or '')}"]
    if shown := listed_outcomes(outcome):  # up-to-date models are counted, not listed
        lines += [
            "",
            "| Model | Action | Result | Detail | Job | Cost (CU) |",
            "|---|---|---|---|---|---|",
        ]
        lines += [_outcome_row(m) for m in shown]
    return "\n".join([*lines, "", f"<sub>{outcome_summary(outcome)}</sub>"]) + "\n"


def _outcome_row(m: ModelOutcome) -> str:
    job = code(m.job_id) if m.job_id else "–"
    cost = format_cu(m.cost) if m.cost is not None else "–"
    return (
        f"| {escape(m.key)} | {m.action} | {RESULT_LABELS[m.result]} | "
        f"{escape(m.detail, MAX_WHY)} | {job} | {cost} |"
    )
