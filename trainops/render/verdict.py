"""Red verdicts as markdown for the pull request: a plan that failed (it replaces the plan
comment) and an apply that refused the merge (posted as the outcome). Pure; every string given is
escaped (`markdown.escape`), since errors quote file names, keys and API messages."""

from __future__ import annotations

from collections.abc import Sequence

from trainops.plan import Plan
from trainops.render.markdown import escape, render_markdown

__all__ = ["render_plan_failure", "render_refusal"]

SHOWN = 50  # error lines listed; a broken repository may have thousands
MAX_LINE = 500


def render_plan_failure(
    *,
    workspace: str | None,
    headline: str,
    errors: Sequence[str] = (),
    hint: str | None = None,
    plan: Plan | None = None,
) -> str:
    """The plan comment of a plan that failed: `headline` (the error, with the limit when a
    limit refused it), the `file:line` errors, the hint, and the refused plan when there is one."""
    title = f"trainops plan for <code>{escape(workspace)}</code>" if workspace else "trainops plan"
    lines = [f"### {title}", "", f"❌ **Plan failed: {escape(headline, MAX_LINE)}**"]
    lines += _bullets(errors)
    if hint:
        lines += ["", f"> hint: {escape(hint, MAX_LINE)}"]
    if plan is not None:
        body = render_markdown(plan, details=False).split("\n", 2)[2]  # without its own title
        lines += [
            "",
            "<details><summary>The refused plan</summary>",
            "",
            body.strip(),
            "",
            "</details>",
        ]
    lines += [
        "",
        "<sub>Nothing from this pull request can be applied until its plan passes: fix the "
        "above and push again; this comment is then replaced by the plan.</sub>",
    ]
    return "\n".join(lines) + "\n"


def render_refusal(*, headline: str, differences: Sequence[str], hint: str | None) -> str:
    """The outcome comment of an apply that refused to act on the merge."""
    lines = ["### trainops apply", "", f"❌ **Nothing was applied: {escape(headline, MAX_LINE)}**"]
    lines += _bullets(differences)
    if hint:
        lines += ["", f"**Way forward:** {escape(hint, MAX_LINE * 2)}"]
    return "\n".join(lines) + "\n"


def _bullets(items: Sequence[str]) -> list[str]:
    if not items:
        return []
    out = ["", *(f"- {escape(line, MAX_LINE)}" for line in items[:SHOWN])]
    if len(items) > SHOWN:
        out.append(f"- … and {len(items) - SHOWN} more (see the job log)")
    return out
