"""A manifest file's documents: its bytes through the guard, decoded, parsed, and each
document's header (apiVersion, kind) and duplicate keys checked, every problem a diagnostic."""

from __future__ import annotations

from pathlib import Path

from trainops.errors import Diagnostic
from trainops.manifest import guard, schema
from trainops.manifest.nearmiss import near_miss, near_miss_diagnostic, ours
from trainops.manifest.schema import API_VERSION
from trainops.manifest.yamlmarks import Document, YamlLimitError, YamlSyntaxError, load_documents

# In any file with a document of ours (its apiVersion), also when written in UTF-16.
_MARKS = tuple("trainops/".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


def _bytes(path: Path, shown: str, explicit: bool, diags: list[Diagnostic]) -> bytes | None:
    """The file's bytes through the guard: a regular file, at most `guard.MANIFEST`'s cap."""
    try:
        data, more = guard.read_head(path, guard.MANIFEST)
    except (OSError, guard.Refused) as exc:
        if explicit:
            why = exc.reason if isinstance(exc, guard.Refused) else exc.strerror
            diags.append(Diagnostic(shown, 0, "(file)", f"cannot read: {why}"))
        return None
    if more:
        # Only ours is our business; a big file of another tool says nothing of trainops.
        if explicit or _marked(data):
            big = guard.too_big(None, guard.MANIFEST)
            diags.append(Diagnostic(shown, 0, "(file)", big.reason, big.hint))
        return None
    return data


def _marked(data: bytes) -> bool:
    return any(mark in data for mark in _MARKS)


def _decode(data: bytes, shown: str, explicit: bool, diags: list[Diagnostic]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A manifest dropped silently would read as a removed model (issue 11).
        if explicit or _marked(data):
            line = data[: exc.start].count(b"\n") + 1
            bad = data[exc.start]
            message = f"cannot read: not UTF-8 text (byte {bad:#04x} on line {line})"
            diags.append(Diagnostic(shown, 0, "(file)", message, "save the file as UTF-8"))
        return None


def _blank(text: str) -> bool:
    """No YAML document at all: only blank lines, comments and document markers."""
    for line in text.splitlines():
        kept = line.strip()
        if kept and kept not in ("---", "...") and not kept.startswith("#"):
            return False
    return True


def read_documents(
    path: Path, shown: str, explicit: bool, diags: list[Diagnostic]
) -> list[Document] | None:
    """The documents of ours in the file; None when it is empty (a warning says so)."""
    data = _bytes(path, shown, explicit, diags)
    text = None if data is None else _decode(data, shown, explicit, diags)
    if text is None:
        return []
    try:
        docs = [
            d for d in load_documents(text, only_ours=True) if ours(d.data) or near_miss(d.data)
        ]
    except YamlSyntaxError as exc:
        # Other tools' YAML (CI, Helm templates) may not even parse; only ours is our business.
        if explicit or "trainops/" in text:
            diags.append(Diagnostic(shown, exc.line, "(yaml)", exc.message, _hint(exc)))
        return []
    if not docs and _blank(text):
        diags.append(_empty(shown))
        return None
    return docs


def _hint(exc: YamlSyntaxError) -> str | None:
    return exc.hint if isinstance(exc, YamlLimitError) else None


def _empty(shown: str) -> Diagnostic:
    return Diagnostic(
        shown,
        1,
        "(file)",
        "is empty: no model is declared in it",
        hint="restore its manifest, or delete the file if its models are meant to go",
        severity="warning",
    )


def check_header(doc: Document, shown: str) -> Diagnostic | None:
    data = doc.data
    if near_miss(data):
        return near_miss_diagnostic(doc, shown)
    version, kind = data.get("apiVersion"), data.get("kind")
    if version != API_VERSION:
        got = "is missing" if version is None else f"{version!r} is not supported"
        loc = ("apiVersion",) if version is not None else ()
        return Diagnostic(shown, doc.line_of(loc), "apiVersion", got, f"use {API_VERSION}")
    if kind == "Workspace":
        return Diagnostic(
            shown,
            doc.line_of(("kind",)),
            "kind",
            "workspace settings belong in the root trainops.yaml",
            hint="move this document to trainops.yaml at the workspace root",
        )
    if kind != "Model":
        what = "is missing" if kind is None else f"unknown kind {kind!r}"
        return Diagnostic(shown, doc.line_of(("kind",)), "kind", what, "use kind: Model")
    return None


def duplicate_keys(doc: Document, shown: str) -> list[Diagnostic]:
    return [
        Diagnostic(shown, line, schema.field_name(loc), "duplicate key: the last one would win")
        for loc, line in doc.duplicates
    ]
