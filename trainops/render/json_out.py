"""`--format json` of the commands that report something done (apply, import, probes clean,
drift): pure functions from their result values to versioned JSON documents.

Every document opens with `format_version` (minor versions only add keys; a reader refuses an
unknown major) and `command`, the command that printed it, so a script can check both before
reading on. The plan's own document (`trainops.plan`) is also the plan file format and has no
`command`. The shapes, one per command (README "JSON output" lists them all):

    apply         1.1  workspace, applied (false: nothing to do, or cancelled), plan (the
                       plan's document, `trainops.plan`), outcome (null when nothing was
                       applied, else {failed, summary: {done, failed, skipped, unrecorded,
                       blocked, deferred, total_cost}, models[]: {name, action, result, detail,
                       job_id, cost (billed, under --wait), deferred_by, model_id, duration_s,
                       epochs[]: {epoch, samples[]: {prompt, url, asset_id}}}}); 1.1 added
                       model_id, duration_s and epochs (a finished training's results)
    import        1.0  imported[]: {key, manifest (as shown, relative to the current
                       directory), files, captions, notes[]}, skipped[] and failed[]:
                       {model_id, message: "(its name): why"}, warnings[]: diagnostics
                       (exit 1 when one failed)
    probes clean  1.0  workspace, deleted[]: {model_id, type}, kept[]: {model_id, type, reason}
    drift         1.0  workspace, drifted (apply would change something), plan (the plan's
                       document), issue (null without --issue, else {action, number, url})
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from trainops.errors import Diagnostic
from trainops.plan import Outcome, Plan

APPLY_VERSION = "1.1"
IMPORT_VERSION = "1.0"
PROBES_CLEAN_VERSION = "1.0"
DRIFT_VERSION = "1.0"


def document(command: str, version: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The envelope every command's JSON shares: its version and the command, then the body."""
    return {"format_version": version, "command": command, **body}


def dumps(data: Mapping[str, Any]) -> str:
    """One JSON document and a newline, keys sorted (stable for diffs and snapshots)."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def apply_json(plan: Plan, outcome: Outcome | None) -> str:
    return dumps(
        document(
            "apply",
            APPLY_VERSION,
            {
                "workspace": plan.workspace,
                "applied": outcome is not None,
                "plan": plan.data(),
                "outcome": None if outcome is None else outcome.data(),
            },
        )
    )


def import_json(
    imported: Sequence[Mapping[str, Any]],
    skipped: Sequence[str] = (),
    failed: Sequence[str] = (),
    warnings: Sequence[Diagnostic] = (),
) -> str:
    """`skipped` and `failed` are `model_... (name): why` lines, as the text output prints."""
    return dumps(
        document(
            "import",
            IMPORT_VERSION,
            {
                "imported": list(imported),
                "skipped": [_split(line) for line in skipped],
                "failed": [_split(line) for line in failed],
                "warnings": [asdict(d) for d in warnings],
            },
        )
    )


def _split(line: str) -> dict[str, str]:
    # A model id has no space; the rest names the model and says why, as the text output does.
    model_id, _, message = line.partition(" ")
    return {"model_id": model_id.rstrip(":"), "message": message}


def probes_clean_json(
    workspace: str,
    deleted: Sequence[tuple[str, str]],
    kept: Sequence[tuple[str, str, str]],
) -> str:
    """`deleted`: (model id, type); `kept`: (model id, type, why)."""
    return dumps(
        document(
            "probes clean",
            PROBES_CLEAN_VERSION,
            {
                "workspace": workspace,
                "deleted": [{"model_id": i, "type": t} for i, t in deleted],
                "kept": [{"model_id": i, "type": t, "reason": why} for i, t, why in kept],
            },
        )
    )


def drift_json(plan: Plan, issue: Mapping[str, object] | None) -> str:
    return dumps(
        document(
            "drift",
            DRIFT_VERSION,
            {
                "workspace": plan.workspace,
                "drifted": plan.has_changes,
                "plan": plan.data(),
                "issue": None if issue is None else dict(issue),
            },
        )
    )
