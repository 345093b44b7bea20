"""One stored load, as JSON: what `CachedLoad` writes and reads back.

    config     the call (see `CachedLoad`); a file of another call is never read
    code       the stats of every module of trainops
    markers    the stats of what decides the root (trainops.yaml, .git) in the parents
    dirs       the stats of every directory walked (`Tree`)
    scopes     per group of manifest files: the `dirs` it could have listed, by position
    files      per manifest file: its path, its stats (manifest, training files, captions),
               its scope, and its share of the result (models, names claimed, diagnostics,
               its workspace-relative path when it declared nothing)
    workspace, warnings   the rest of the whole result

An input changed after the load started (less `RACY_NS`) proves nothing yet: a file depending
on it is stored without stats (never reused), a directory or marker with a stat nothing equals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainops.cache.codec import (
    Json,
    decode_diagnostic,
    decode_model,
    decode_workspace,
    encode_diagnostic,
    encode_model,
    encode_workspace,
)
from trainops.cache.stats import (
    Sig,
    changed,
    code_sigs,
    fresh,
    marker_sigs,
    pack,
    pack_ints,
    racy,
    sig,
    unpack_ints,
)
from trainops.cache.tree import Tree
from trainops.desired import Desired, DesiredImage, DesiredModel, Workspace
from trainops.errors import Diagnostic
from trainops.manifest import guard
from trainops.manifest.files import caption_file
from trainops.statedir import write_atomically

if TYPE_CHECKING:
    from trainops.manifest.load import FileResult

__all__ = ["BAD", "VERSION", "Entry", "Stored", "encode", "prune", "read", "write_atomically"]

# 4: each file's `unloaded`; 5: the workspace's `pricing`; 6: its tolerance; 7: renames
VERSION = 7
BAD = (ValueError, KeyError, TypeError, IndexError, AttributeError)  # a foreign or torn file
_UNTRUSTED = (-2, -2, -2, -2)  # stored for a racy input: no stat ever equals it
Result = tuple[Desired, list[Diagnostic]]


@dataclass
class Entry:
    """One manifest file's share of a load, and what the cache keeps about it."""

    path: Path
    explicit: bool
    result: FileResult
    packed: Mapping[str, str] | None = None  # a reused share's stats, already checked
    climbs: bool | None = None  # whether its text may name a path above its directory


def encode(
    config: list[object],
    desired: Desired,
    warnings: Sequence[Diagnostic],
    entries: Sequence[Entry],
    *,
    starts: Sequence[Path],
    walked: Sequence[Path],
    limit: int,
) -> dict[str, object] | None:
    """The stored form of a load: `starts` are where the root was looked for, `walked` the
    directories given; inputs changed after `limit` are stored as untrusted. None while
    trainops itself is being edited: no result of that code is worth keeping."""
    code = code_sigs()
    if any(racy(s, limit) for s in code):
        return None
    root = desired.workspace.root
    tree = Tree()
    for directory in [root, *walked]:
        tree.walk(str(directory))
    scopes = _Scopes(tree, root)
    files = [_encode_entry(e, root, scopes, limit) for e in entries]
    return {
        "version": VERSION,
        "config": config,
        "root": str(root),
        "workspace": encode_workspace(desired.workspace),
        "warnings": [encode_diagnostic(d) for d in warnings],
        "code": pack(code),
        "markers": pack([_trusted(s, limit) for s in marker_sigs(starts)]),
        "dirs": pack([_trusted(s, limit) for s in tree.sigs]),
        "scopes": [pack_ints(sorted(s)) for s in scopes.sets],
        "files": files,
    }


class _Scopes:
    """The directories each manifest file could have listed, as sets of tree nodes; files
    with the same set share it (all files in one directory usually do)."""

    def __init__(self, tree: Tree, root: Path) -> None:
        self.tree = tree
        self.root = str(root)
        self.sets: list[frozenset[int]] = []
        self._ids: dict[tuple[int, ...], int] = {}

    def of(self, manifest: Path, climbs: bool, holding: Sequence[str]) -> int | None:
        base = self.tree.walk(self.root if climbs else str(manifest.parent))
        if base is None:
            return None
        starts = [base]
        covered = set(self.tree.reach(base))
        for directory in holding:
            for node in self.tree.holding(directory, self.root):
                if node not in covered:
                    starts.append(node)
                    covered |= self.tree.reach(node)
        key = tuple(starts)
        if key not in self._ids:
            self._ids[key] = len(self.sets)
            self.sets.append(frozenset(covered))
        return self._ids[key]


def _climbs(manifest: Path) -> bool:
    """Whether the manifest may name a path above its own directory: `..` in it, or an escape
    (YAML's double-quoted strings can spell a `.` as one). A missing file is treated alike."""
    try:
        data, _ = guard.read_head(manifest, guard.MANIFEST)  # never a FIFO's wait
    except (OSError, guard.Refused):
        return True
    return b".." in data or b"\\" in data


def _training_files(models: Sequence[DesiredModel], root: Path) -> list[str]:
    top = str(root).rstrip("/") + "/"
    files: dict[str, None] = {}
    for m in models:
        images: list[DesiredImage] = [*m.images]
        for p in m.pairs:
            images += [p.source, p.target]
        files.update(dict.fromkeys(top + i.path for i in images))
    return list(files)


def _encode_entry(e: Entry, root: Path, scopes: _Scopes, limit: int) -> list[object]:
    training = _training_files(e.result.models, root)
    packed = e.packed
    if packed is None:
        sigs = [sig(str(e.path))]
        for name in training:
            sigs.append(sig(name))
            caption = sig(caption_file(name))
            if caption[1] != -1:  # an absent one is covered by its directory's stat
                sigs.append(caption)
        packed = None if any(racy(s, limit) for s in sigs) else pack(sigs)
    climbs = _climbs(e.path) if e.climbs is None else e.climbs
    holding = list(dict.fromkeys(name.rpartition("/")[0] for name in training))
    scope = scopes.of(e.path, climbs, holding)
    r = e.result
    return [
        str(e.path),
        e.explicit,
        r.shown,
        None if scope is None else packed,
        scope,
        climbs,
        [encode_model(m) for m in r.models],
        [list(c) for c in r.claims],
        [encode_diagnostic(d) for d in r.diagnostics],
        r.unloaded,
    ]


def _trusted(s: Sig, limit: int) -> Sig:
    return (s[0], *_UNTRUSTED) if racy(s, limit) else s


class Stored:
    """A stored load read back. Anything of an unexpected shape raises one of `BAD`."""

    def __init__(self, raw: Json) -> None:
        self.raw = raw
        self.files: dict[tuple[str, bool], Json] = {}
        for f in raw["files"]:
            self.files[(_str(f[0]), f[1] is True)] = f
        self._usable: bool | None = None
        self._stale: set[int] | None = None
        self._fresh: dict[tuple[str, bool], bool] = {}
        self._scopes: dict[int, bool] = {}

    def usable(self) -> bool:
        """Made by this very code: else nothing in it can be reused."""
        if self._usable is None:
            self._usable = fresh(self.raw["code"])
        return self._usable

    def whole(self) -> Result | None:
        if not fresh(self.raw["markers"]) or self._stale_dirs():
            return None
        if not all(self._file_fresh(key) for key in self.files):
            return None
        models = (decode_model(m) for f in self.files.values() for m in f[6])
        unloaded = (_str(f[9]) for f in self.files.values() if f[9] is not None)
        desired = Desired(
            decode_workspace(self.raw["workspace"]),
            tuple(sorted(models, key=lambda m: m.key)),
            tuple(sorted(unloaded)),
        )
        return desired, [decode_diagnostic(d) for d in self.raw["warnings"]]

    def reuse(self, path: Path, explicit: bool, workspace: Workspace) -> Entry | None:
        """This manifest file's share of the stored load, if nothing it depended on changed."""
        key = (str(path), explicit)
        f = self.files.get(key)
        try:
            if f is None or self.raw["workspace"] != encode_workspace(workspace):
                return None
            if not (self._file_fresh(key) and self._scope_fresh(f[4])):
                return None
            return _decode_entry(path, explicit, f)
        except BAD:
            return None

    def _file_fresh(self, key: tuple[str, bool]) -> bool:
        ok = self._fresh.get(key)
        if ok is None:
            packed = self.files[key][3]
            ok = self._fresh[key] = packed is not None and fresh(packed)
        return ok

    def _stale_dirs(self) -> set[int]:
        if self._stale is None:
            self._stale = set(changed(self.raw["dirs"]))
        return self._stale

    def _scope_fresh(self, scope: Json) -> bool:
        ok = self._scopes.get(scope)
        if ok is None:
            nodes = unpack_ints(_str(self.raw["scopes"][scope]))
            ok = self._scopes[scope] = self._stale_dirs().isdisjoint(nodes)
        return ok


def _decode_entry(path: Path, explicit: bool, f: Json) -> Entry:
    from trainops.manifest.load import FileResult

    result = FileResult(
        _str(f[2]),
        tuple(decode_model(m) for m in f[6]),
        tuple((_str(k), _int(line)) for k, line in f[7]),
        tuple(decode_diagnostic(d) for d in f[8]),
        None if f[9] is None else _str(f[9]),
    )
    return Entry(path, explicit, result, packed=f[3], climbs=f[5] is True)


def _str(value: Json) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Json) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def read(path: Path, config: list[object]) -> Json | None:
    """The stored load at `path`, if it is one of this call (`config`) in this format."""
    try:
        with open(path, "rb") as fh:
            raw = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        return None
    return raw if raw.get("config") == config else None


def prune(directory: Path, keep: int) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
