"""Which YAML documents are ours, and the near misses: documents written as trainops's, but
with another apiVersion, that would be skipped (and their models read as removed)."""

from __future__ import annotations

from trainops.errors import Diagnostic
from trainops.manifest.parameters import MODEL_TYPES
from trainops.manifest.schema import API_VERSION
from trainops.manifest.yamlmarks import Document, near_api_version

# A document's own fields that no other tool's `spec` or settings hold.
_MODEL_FIELDS = ("trainingImages", "trainingSamples", "trainingImagePairs")
_WORKSPACE_FIELDS = (
    "workspace",
    "projectId",
    "parallelism",
    "budget",
    "pricing",
    "mergeCostTolerance",
    "moved",
)


def _shaped(data: dict[object, object]) -> bool:
    """The document is written as a trainops model or workspace settings are, whatever its
    apiVersion says: a spec of ours, or a Workspace with our settings. A Kubernetes resource,
    a Helm template (`metadata` and `spec` too, even `kind: Model`) is not."""
    spec = data.get("spec")
    kind = data.get("kind")
    if isinstance(spec, dict) and kind in ("Model", None):
        return spec.get("type") in MODEL_TYPES or any(f in spec for f in _MODEL_FIELDS)
    return kind == "Workspace" and any(f in data for f in _WORKSPACE_FIELDS)


def ours(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if isinstance(version, str):
        return version.startswith("trainops/")
    if data.get("kind") == "Model" and "spec" in data:
        return True  # forgot apiVersion
    return version is None and _shaped(data)


def near_miss(data: object) -> bool:
    """Meant to be ours, with another apiVersion: skipped, its model would read as removed (an
    orphan, which --prune deletes), so it is an error."""
    if not isinstance(data, dict):
        return False
    version = data.get("apiVersion")
    if not isinstance(version, str) or version.startswith("trainops/"):
        return False
    return near_api_version(version) or _shaped(data)


def near_miss_diagnostic(doc: Document, shown: str) -> Diagnostic:
    version, kind = doc.data.get("apiVersion"), doc.data.get("kind")
    what = "workspace settings" if kind == "Workspace" else "a model"
    return Diagnostic(
        shown,
        doc.line_of(("apiVersion",)),
        "apiVersion",
        f"{version!r}: did you mean {API_VERSION}? This document reads as {what} of trainops, "
        "but with another apiVersion it would be skipped",
        hint=f"write `apiVersion: {API_VERSION}`; a model whose manifest is skipped is planned "
        "as removed, and --prune deletes it",
    )
