"""`trainops validate`: load and check the manifests, touching no API."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Literal

from trainops.cache.load import Mode, load_manifests
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.commands.common import list_warnings, name_hint, peek_settings
from trainops.errors import ManifestError

# README "JSON output": `validate --format json` is versioned like every command's JSON.
VERSIONED = {"format_version": "1.0", "command": "validate"}


def run_validate(
    paths: Sequence[str],
    *,
    strict: bool = False,
    fmt: Literal["text", "json"] = "text",
    cache: Mode = "on",
    quiet: bool = False,
) -> int:
    """`quiet` hides the warnings of the text output; JSON lists each diagnostic, ungrouped."""
    try:
        desired, warnings = load_manifests(paths, strict=strict, mode=cache)
    except ManifestError as exc:
        if fmt != "json":
            raise
        doc = {
            **VERSIONED,
            "valid": False,
            "diagnostics": [asdict(d) for d in exc.diagnostics],
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_ERROR
    # Validation touches no API, so it only says what plan and apply will require.
    settings = peek_settings(paths, Path.cwd())
    named = settings.name() is not None
    if fmt == "json":
        doc = {
            **VERSIONED,
            "valid": True,
            "workspace": desired.workspace.name,
            "workspace_named": named,
            "models": [m.key for m in desired.models],
            "diagnostics": [asdict(d) for d in warnings],
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_OK
    list_warnings(warnings, desired.models, quiet=quiet)
    if not named:
        hint = name_hint(settings, Path.cwd(), desired.workspace.name)
        print(
            f"note: trainops.yaml does not name the workspace: {desired.workspace.name!r}, the "
            "directory's name, serves --sandbox only; plan and apply against the Scenario API "
            f"refuse to run without it\n  hint: {hint}",
            file=sys.stderr,
        )
    n = len(desired.models)
    print(f"ok: {n} model{'s' if n != 1 else ''} valid in workspace {desired.workspace.name}")
    return EXIT_OK
