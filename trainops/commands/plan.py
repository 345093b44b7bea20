"""`trainops plan`: what apply would do, and what it would cost."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_CHANGES, EXIT_OK
from trainops.commands.common import Target, comment_plan, missing_secrets, warn_all
from trainops.commands.handler import err
from trainops.plan import Plan
from trainops.planfile import save_plan
from trainops.pricing import check_budget
from trainops.render.markdown import render_markdown
from trainops.render.text import render_json, render_text

Format = Literal["text", "markdown", "json"]


def render(plan: Plan, fmt: Format, *, color: bool) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan, details=True)
    return render_text(plan, color=color)


def run_plan(
    target: Target,
    *,
    fmt: Format = "text",
    color: bool = False,
    out: Path | None = None,
    detailed_exitcode: bool = False,
    max_cost: float | None = None,
    changed_since: str | None = None,
    comment: bool = False,
    probe: bool = True,
) -> int:
    load = functools.partial(
        pipeline.load, target.paths, cwd=target.cwd, changed=changed_since, cache=target.cache
    )

    async def go() -> pipeline.Planned:
        async with target.client_before(load) as client:
            return await pipeline.load_and_plan(
                client, load, parallelism=target.parallelism, probe=probe
            )

    planned = pipeline.run(go())
    desired, plan = planned.desired, planned.plan
    warn_all(planned.warnings)
    print(render(plan, fmt, color=color), end="" if fmt == "text" else "\n")
    for line in missing_secrets(plan, desired, target.environ):
        err(f"warning: {line}: apply will refuse to start until it is set")
    if out is not None:
        save_plan(plan, out)
    if comment:
        comment_plan(target, desired, plan)
    check_budget(plan, max_cost, desired.workspace.budget)
    return EXIT_CHANGES if detailed_exitcode and plan.has_changes else EXIT_OK
