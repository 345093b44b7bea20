"""`trainops drift`: does the live state still match the manifests? With `--issue`, keep one
GitHub issue open while it does not (`trainops.github.drift`), closed when it does again."""

from __future__ import annotations

import functools
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_CHANGES, EXIT_OK
from trainops.commands.common import Target, marker_path, warn_all
from trainops.commands.handler import err
from trainops.plan import Plan
from trainops.render.json_out import drift_json
from trainops.render.markdown import render_markdown
from trainops.render.text import render_text


def run_drift(
    target: Target,
    *,
    issue: bool = False,
    color: bool = False,
    probe: bool = True,
    fmt: Literal["text", "json"] = "text",
) -> int:
    """Exit 0 in sync, 2 when apply would change something (as `plan --detailed-exitcode`)."""
    load = functools.partial(pipeline.load, target.paths, cwd=target.cwd, cache=target.cache)

    async def go() -> pipeline.Planned:
        async with target.client_before(load) as client:
            return await pipeline.load_and_plan(
                client, load, parallelism=target.parallelism, probe=probe
            )

    planned = pipeline.run(go())
    warn_all(planned.warnings)
    plan = planned.plan
    if fmt == "text":
        print(render_text(plan, color=color), end="")
    synced = _sync_issue(target, marker_path(target, planned.desired), plan) if issue else None
    if fmt == "json":
        print(drift_json(plan, synced), end="")
    return EXIT_CHANGES if plan.has_changes else EXIT_OK


def _sync_issue(target: Target, path: str, plan: Plan) -> dict[str, object]:
    """Open, update or close the drift issue; what was done, for the JSON output."""
    from trainops import github
    from trainops.github.drift import drift_marker, sync_drift_issue

    ctx = github.GithubContext.from_env(target.environ)
    full = render_markdown(plan, details=True)
    result = sync_drift_issue(
        ctx,
        marker=drift_marker(path),
        drifted=plan.has_changes,
        full_markdown=full,
        compact_markdown=render_markdown(plan, details=False),
    )
    if result.action == "none":
        err("drift issue: none open, nothing to close")
    else:
        err(f"drift issue {result.action}: {result.url or result.number}")
    if plan.has_changes:
        github.write_step_summary(ctx, full)
    return {"action": result.action, "number": result.number, "url": result.url}
