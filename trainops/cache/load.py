"""A memo of `load_desired`: the validated desired state and its warnings, reused while none of
the inputs it was computed from has changed, so a re-plan with nothing changed only stats files;
and, when something did change, each unchanged manifest file's share reused on its own.

The key of one call is its arguments (resolved paths, cwd, strict), trainops's version and code,
and the stats (`loadinputs`) of every input: the manifests, every training file and caption
sidecar, trainops.yaml and the `.git` entries that decide the workspace root and name, and every
directory that was walked or globbed.

Stored in `<root>/.trainops/load-cache/<hash of the arguments>.json`, written atomically, only
for a load without errors. Inputs changed within the last `RACY_NS` are not trusted (a second
edit in the same timestamp tick would look unchanged): their part is stored as unusable. Like
the hash cache it is a pure optimisation: anything unreadable or unexpected is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

import trainops
from trainops.cache.codec import (
    decode_diagnostic,
    decode_model,
    decode_workspace,
    encode_diagnostic,
    encode_model,
    encode_workspace,
)
from trainops.cache.stats import Inputs, Stat, code_sigs, fresh, pack, racy, tree_sigs
from trainops.desired import Desired, DesiredModel
from trainops.errors import Diagnostic

__all__ = ["CACHE_DIR", "FileRecord", "LoadStats", "Memo"]

CACHE_VERSION = 2
CACHE_DIR = Path(".trainops") / "load-cache"
KEEP = 8  # one file per distinct (paths, cwd, strict): CLI, CI and editor runs each have one
RACY_NS = 2 * 10**9  # covers 2 s timestamp ticks (FAT, some network file systems)
# gitpython reads these when finding the top level, which names the workspace by default.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")
_BAD = (ValueError, KeyError, TypeError, IndexError, AttributeError)  # a foreign or torn file
Json = Any


@dataclass
class LoadStats:
    """Filled in by `load_desired` for callers (tests, benchmarks) that want to know."""

    cache_hit: bool = False  # the whole result was reused
    reused_files: int = 0  # on a miss: manifest files whose share was reused


@dataclass
class FileRecord:
    """One manifest file's share of a load, reusable on its own while its inputs are unchanged."""

    path: str
    explicit: bool
    models: list[DesiredModel] = field(default_factory=list)
    claims: list[tuple[str, int]] = field(default_factory=list)  # metadata.name and its line
    diagnostics: list[Diagnostic] = field(default_factory=list)  # before --strict applies
    inputs: Inputs = field(default_factory=Inputs)
    packed: Mapping[str, str] | None = None  # a reused record's stats, already checked


class Memo:
    """One `load_desired` call's cache: `lookup` and `reuse` while loading, `store` after."""

    def __init__(self, given: Sequence[Path], cwd: Path, strict: bool) -> None:
        resolved = [(cwd / g).resolve() for g in given]
        self.start = resolved[0] if resolved[0].is_dir() else resolved[0].parent
        self.config: list[object] = [
            trainops.__version__,
            CACHE_VERSION,
            [yaml.__version__, pydantic.VERSION],  # they parse and validate the manifests
            str(cwd),
            [str(g) for g in given],
            [str(r) for r in resolved],
            strict,
            [os.environ.get(k) for k in _GIT_ENV],
        ]
        text = json.dumps(self.config, separators=(",", ":"))
        self.name = hashlib.sha256(text.encode()).hexdigest()[:32] + ".json"
        # The root is not known before loading; it is `start`, one of its parents, or cwd.
        self.candidates = list(dict.fromkeys([self.start, *self.start.parents, cwd]))
        self.walk = Inputs()  # the directories walked to find manifests
        self.reused = 0
        self._root: str | None = None
        self._entries: dict[tuple[str, bool], Json] = {}
        self._fresh: dict[tuple[str, bool], bool] = {}

    @classmethod
    def of(cls, paths: Sequence[str | Path], cwd: Path, strict: bool) -> Memo:
        """The memo of `load_desired(paths, cwd=cwd, strict=strict)`."""
        return cls([Path(p) for p in paths] or [Path(".")], cwd.resolve(), strict)

    def lookup(self) -> tuple[Desired, list[Diagnostic]] | None:
        for directory in self.candidates:
            raw = self._read(directory / CACHE_DIR / self.name)
            try:
                hit = self._whole(raw) if raw is not None else None
            except _BAD:
                continue
            if hit is not None:
                return hit
        return None

    def _read(self, path: Path) -> Json | None:
        try:
            with open(path, "rb") as fh:
                raw = json.loads(fh.read())
        except (OSError, ValueError):
            return None
        if not isinstance(raw, dict) or raw.get("version") != CACHE_VERSION:
            return None
        return raw if raw.get("config") == self.config else None

    def _whole(self, raw: Json) -> tuple[Desired, list[Diagnostic]] | None:
        if not fresh(raw["code"]):
            return None  # other code: nothing in it can be reused
        files = raw["files"]
        keep = not self._entries  # the nearest usable cache serves the per-file reuse
        if keep:
            self._root = str(raw["root"])
            self._entries = {(str(f[0]), bool(f[1])): f for f in files}
        if raw["tree"] is None or not fresh(raw["tree"]):
            return None
        for f in files:
            ok = f[2] is not None and fresh(f[2])
            if keep:
                self._fresh[(str(f[0]), bool(f[1]))] = ok
            if not ok:
                return None
        models = sorted((decode_model(m) for f in files for m in f[3]), key=lambda m: m.key)
        warnings = [decode_diagnostic(d) for d in raw["warnings"]]
        return Desired(decode_workspace(raw["workspace"]), tuple(models)), warnings

    def reuse(self, path: Path, explicit: bool, root: Path) -> FileRecord | None:
        """This manifest file's share of the last load, if nothing it depends on changed."""
        key = (str(path), explicit)
        entry = self._entries.get(key)
        if entry is None or self._root != str(root):
            return None
        try:
            ok = self._fresh.get(key)
            if ok is None:
                ok = entry[2] is not None and fresh(entry[2])
            if not ok:
                return None
            record = FileRecord(
                key[0],
                explicit,
                models=[decode_model(m) for m in entry[3]],
                claims=[(str(k), int(line)) for k, line in entry[4]],
                diagnostics=[decode_diagnostic(d) for d in entry[5]],
                packed=entry[2],
            )
        except _BAD:
            return None
        self.reused += 1
        return record

    def store(
        self,
        desired: Desired,
        warnings: list[Diagnostic],
        files: Sequence[FileRecord],
        known: Mapping[str, Stat],
    ) -> None:
        """Keep this result for the next identical call; never fails the load. `known`: the
        stats the hash cache took of training files, by absolute path."""
        root = desired.workspace.root
        target = root / CACHE_DIR / self.name
        with contextlib.suppress(OSError, OverflowError):  # a read-only checkout still loads
            target.parent.mkdir(parents=True, exist_ok=True)  # first, so the stats include it
            limit = time.time_ns() - RACY_NS
            code = code_sigs()
            if racy(code, limit):
                target.unlink(missing_ok=True)
                return
            tree = tree_sigs(self.start, self.walk.dirs)
            body = {
                "version": CACHE_VERSION,
                "config": self.config,
                "root": str(root),
                "code": pack(code),
                "tree": None if racy(tree, limit) else pack(tree),
                "workspace": encode_workspace(desired.workspace),
                "warnings": [encode_diagnostic(d) for d in warnings],
                "files": [_entry(f, root, known, limit) for f in files],
            }
            _write(target, json.dumps(body, separators=(",", ":")))
            _prune(target.parent)


def _entry(f: FileRecord, root: Path, known: Mapping[str, Stat], limit: int) -> list[object]:
    packed = f.packed
    if packed is None:
        sigs = f.inputs.sigs(root, f.models, known)
        packed = None if racy(sigs, limit) else pack(sigs)
    return [
        f.path,
        f.explicit,
        packed,
        [encode_model(m) for m in f.models],
        [list(c) for c in f.claims],
        [encode_diagnostic(d) for d in f.diagnostics],
    ]


def _write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".load-cache.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
