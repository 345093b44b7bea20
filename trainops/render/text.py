"""Plans and apply outcomes as text, markdown and JSON: pure functions, no env, no network.

Text is Terraform-like: a symbol per action (`+` create, `~` train / update, `→` rename, `…` wait,
`-` orphan, `×` delete), one block per model that changes with the why, unchanged models
collapsed to a count, an explicit sentence for an empty plan, one summary line. Colour only when
asked. Markdown (pull requests) is built in `trainops.render.markdown` and re-exported here; JSON
is `Plan.data()` (see `trainops.plan`).
"""

from __future__ import annotations

import json
from typing import Protocol

from trainops.plan import Change, ModelPlan, Outcome, Plan
from trainops.render.markdown import escape, render_markdown
from trainops.render.outcome import render_outcome_markdown
from trainops.render.phrases import (
    OP_SYMBOLS,
    RESULT_SYMBOLS,
    SYMBOLS,
    clean,
    cost_text,
    deferred_sentence,
    describe_change,
    describe_training,
    empty_sentence,
    headline,
    listed,
    listed_outcomes,
    outcome_line,
    outcome_summary,
    scope_sentence,
    spent_text,
    summary_line,
    unchanged_line,
)

__all__ = [
    "escape",
    "render_json",
    "render_markdown",
    "render_outcome_json",
    "render_outcome_markdown",
    "render_outcome_text",
    "render_text",
]


class _Paint(Protocol):
    def __call__(self, symbol: str, text: str | None = None) -> str: ...


_COLORS = {
    "+": "32",
    "~": "33",
    "→": "34",
    "…": "36",
    "-": "31",
    "×": "1;41;97",  # a deletion stands out: bold white on red
    "!": "35",
    "✓": "32",
    "✗": "31",
    "?": "35",
}


def render_json(plan: Plan) -> str:
    return json.dumps(plan.data(), sort_keys=True, indent=2)


def render_outcome_json(outcome: Outcome) -> str:
    return json.dumps(outcome.data(), sort_keys=True, indent=2)


# --- text -------------------------------------------------------------------------------------


def render_text(plan: Plan, *, color: bool) -> str:
    paint = _painter(color)
    lines = [_text_header(plan)]
    if scope := scope_sentence(plan):
        lines.append(scope)
    shown = [m for m in plan.models if m.action != "none"]
    if shown:
        legend = f"{paint('+')} create  {paint('~')} train / update  "
        if any(m.renamed_from for m in shown):
            legend += f"{paint('→')} rename  "
        deleting = f"  {paint('×')} delete" if any(m.action == "delete" for m in shown) else ""
        lines += ["", f"Symbols: {legend}{paint('…')} wait  {paint('-')} orphan{deleting}"]
    for m in shown:
        lines += ["", *_text_block(m, paint)]
    tail = [t for t in (unchanged_line(plan), empty_sentence(plan)) if t]
    lines += ["", *tail, summary_line(plan)] if tail else ["", summary_line(plan)]
    return "\n".join(lines) + "\n"


def _text_header(plan: Plan) -> str:
    parts = [f"Workspace {clean(plan.workspace)}"]
    if plan.commit:
        parts.append(f"commit {clean(plan.commit[:12])}")
    parts.append(f"plan {plan.fingerprint()[:12]}")
    return " · ".join(parts)


def _painter(color: bool) -> _Paint:
    def paint(symbol: str, text: str | None = None) -> str:
        body = symbol if text is None else text
        code = _COLORS.get(symbol)
        return f"\x1b[{code}m{body}\x1b[0m" if color and code else body

    return paint


def _text_block(m: ModelPlan, paint: _Paint) -> list[str]:
    symbol = SYMBOLS[m.action]
    head = f"  {paint(symbol, symbol + ' ' + headline(m))}"
    if m.source:
        head += f"  [{clean(m.source)}]"
    lines = [head]
    if m.training:
        lines.append(f"      training: {describe_training(m.training)}")
    lines += [f"      # {clean(r)}" for r in m.reasons]
    for c in listed(m.changes):
        lines.append(_text_change(c, m, paint))
    lines += [f"      {paint('!', '! drift: ' + clean(d))}" for d in m.drift]
    if cost := cost_text(m):
        lines.append(f"      = {cost}")
    if spent := spent_text(m):
        lines.append(f"      {paint('×', '× ' + spent + ', lost with the model')}")
    return lines


def _text_change(c: Change | str, m: ModelPlan, paint: _Paint) -> str:
    if isinstance(c, str):
        return f"        {c}"
    sym = OP_SYMBOLS[c.op]
    forces = "  (forces training)" if m.action == "train" and c.forces_training else ""
    return f"      {paint(sym, sym + ' ' + clean(describe_change(c)))}{forces}"


# --- apply outcome --------------------------------------------------------------------------


def render_outcome_text(outcome: Outcome, *, color: bool) -> str:
    paint = _painter(color)
    shown = listed_outcomes(outcome)
    lines = [f"  {paint(RESULT_SYMBOLS[m.result])} {outcome_line(m)}" for m in shown]
    if not lines:
        lines = ["Nothing was applied."]
    tail = [t for t in (deferred_sentence(outcome), outcome_summary(outcome)) if t]
    return "\n".join([*lines, "", *tail]) + "\n"
