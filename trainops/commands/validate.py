"""`trainops validate`: load and check the manifests, touching no API."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Literal

from trainops.cache.load import Mode, load_manifests
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.errors import ManifestError


def run_validate(
    paths: Sequence[str],
    *,
    strict: bool = False,
    fmt: Literal["text", "json"] = "text",
    cache: Mode = "on",
) -> int:
    try:
        desired, warnings = load_manifests(paths, strict=strict, mode=cache)
    except ManifestError as exc:
        if fmt != "json":
            raise
        doc = {"valid": False, "diagnostics": [asdict(d) for d in exc.diagnostics]}
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_ERROR
    if fmt == "json":
        doc = {
            "valid": True,
            "workspace": desired.workspace.name,
            "models": [m.key for m in desired.models],
            "diagnostics": [asdict(d) for d in warnings],
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_OK
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    n = len(desired.models)
    print(f"ok: {n} model{'s' if n != 1 else ''} valid in workspace {desired.workspace.name}")
    return EXIT_OK
