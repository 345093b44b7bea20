"""The load cache: the manifest load of `trainops.manifest.load`, wrapped from outside.

It composes the load's public steps as `load_desired` does, around a memo: the whole result is
reused while nothing it depended on changed (a re-plan with nothing changed only stats files,
and imports no validation); when something did change, each manifest file whose own inputs are
unchanged keeps its share (`FileResult`), and only the others are validated again. Validation
is never asked what it read: the cache derives that from the result.

What one stored result depended on:
- the call: trainops's version, the format's, yaml's, pydantic's and Python's; cwd, the paths,
  strict; the git environment variables; and the stats of every module of trainops;
- the root markers (trainops.yaml, .git, .git/config) in every parent of the first path and cwd;
- every directory under the root and the given directories (`Tree`): it covers new manifests and
  whatever a glob could newly match;
- per manifest file: the file, its models' training files and present caption sidecars, and the
  directories it could have listed: the tree below its own directory (below the root when its
  text has `..` or an escape, as a pattern may then climb) and the directories holding its
  training files. An absent sidecar needs no stat of its own: adding one changes its directory.

No other environment variable goes into a result: secret references are only resolved at apply
time. Stored in `<root>/.trainops/load-cache/<hash of the call>.json` (see `memo`), written
atomically, only for loads without errors. Inputs changed less than `RACY_NS` before the load
started are not trusted (a second edit in the same timestamp tick would look unchanged).
Anything unreadable or of an unexpected shape is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pydantic
import yaml

import trainops
from trainops.cache import memo
from trainops.cache.hashes import HashCache
from trainops.desired import Desired, Workspace
from trainops.errors import ConfigError, Diagnostic
from trainops.statedir import make_parent

__all__ = [
    "CACHE_DIR",
    "ENV",
    "MODES",
    "CachedLoad",
    "LoadStats",
    "Mode",
    "cache_mode",
    "load_manifests",
]

Mode = Literal["off", "on", "verify"]
MODES: tuple[Mode, ...] = ("off", "on", "verify")
ENV = "TRAINOPS_CACHE"
CACHE_DIR = Path(".trainops") / "load-cache"
KEEP = 8  # one file per distinct (paths, cwd, strict): CLI, CI and editor runs each have one
RACY_NS = 2 * 10**9  # covers 2 s timestamp ticks (FAT, some network file systems)
# gitpython reads these when finding the top level, which names the workspace by default.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")
Result = tuple[Desired, list[Diagnostic]]


def cache_mode(environ: Mapping[str, str], *, no_cache: bool = False) -> Mode:
    """`off` with --no-cache, else what TRAINOPS_CACHE says (default `on`)."""
    if no_cache:
        return "off"
    value = environ.get(ENV) or "on"
    for mode in MODES:
        if value == mode:
            return mode
    raise ConfigError(
        f"{ENV}={value!r} is not a cache mode",
        hint=f"set {ENV} to off, on or verify, or unset it",
    )


def load_manifests(
    paths: Sequence[str | Path], *, cwd: Path | None = None, strict: bool = False, mode: Mode = "on"
) -> Result:
    """`load_desired(paths, cwd=cwd, strict=strict)`, through the cache as `mode` says: `off`
    reads every training file and stores nothing (no hash cache either); `verify` also loads
    without any cache and raises `CacheMismatchError` unless both agree."""
    if mode == "off":
        from trainops.manifest.load import load_desired

        return load_desired(paths, cwd=cwd, strict=strict)
    run = CachedLoad(paths, cwd=cwd, strict=strict)
    return run.verified() if mode == "verify" else run.load()


@dataclass
class LoadStats:
    """What the cache did in one load, for callers (tests, benchmarks) that want to know."""

    cache_hit: bool = False  # the whole result was reused
    reused_files: int = 0  # on a miss: manifest files whose share was reused


class CachedLoad:
    """One load of the manifests through the cache: `load()`, `verified()`, or `lookup()`."""

    def __init__(
        self, paths: Sequence[str | Path], *, cwd: Path | None = None, strict: bool = False
    ) -> None:
        self.cwd = (cwd or Path.cwd()).resolve()
        self.given = [Path(p) for p in paths]
        self.strict = strict
        resolved = [(self.cwd / g).resolve() for g in self.given or [Path(".")]]
        self.start = resolved[0] if resolved[0].is_dir() else resolved[0].parent
        self.walked = [r for r in resolved if r.is_dir()]
        self.config: list[object] = [
            trainops.__version__,
            memo.VERSION,
            [yaml.__version__, pydantic.VERSION, sys.version],  # they parse and validate
            str(self.cwd),
            [str(g) for g in self.given],
            [str(r) for r in resolved],
            strict,
            [os.environ.get(k) for k in _GIT_ENV],
        ]
        text = json.dumps(self.config, separators=(",", ":"))
        self.name = hashlib.sha256(text.encode()).hexdigest()[:32] + ".json"
        # The root is not known before loading; it is `start`, one of its parents, or cwd.
        self.candidates = list(dict.fromkeys([self.start, *self.start.parents, self.cwd]))
        self.stats = LoadStats()
        self._stored: memo.Stored | None = None  # the nearest usable cache: per-file reuse

    def lookup(self) -> Result | None:
        """The stored result, if nothing it depended on changed. Imports no validation."""
        for directory in self.candidates:
            raw = memo.read(directory / CACHE_DIR / self.name, self.config)
            if raw is None:
                continue
            try:
                stored = memo.Stored(raw)
                if not stored.usable():
                    continue
                hit = stored.whole()
            except memo.BAD:
                continue
            self._stored = self._stored or stored
            if hit is not None:
                self.stats.cache_hit = True
                return hit
        return None

    def load(self) -> Result:
        """The stored result, else a load reusing each unchanged file's share; stored."""
        started = time.time_ns()
        hit = self.lookup()
        if hit is not None:
            return hit
        from trainops.manifest import load as steps

        workspace, diags = steps.find_workspace(self.given, self.cwd)
        found, missing = steps.find_manifest_files(self.given, self.cwd)
        hashes = HashCache(workspace.root)
        entries = [self._entry(path, explicit, workspace, hashes) for path, explicit in found]
        hashes.save()
        shares = [e.result for e in entries]
        desired, warnings = steps.combine(workspace, shares, [*diags, *missing], strict=self.strict)
        self._store(desired, warnings, entries, started)
        return desired, warnings

    def verified(self) -> Result:
        """`load()`, checked against a load without any cache (see `trainops.cache.verify`)."""
        from trainops.cache.verify import check

        return check(self.load, self.given, cwd=self.cwd, strict=self.strict)

    def _entry(
        self, path: Path, explicit: bool, workspace: Workspace, hashes: HashCache
    ) -> memo.Entry:
        reused = self._stored.reuse(path, explicit, workspace) if self._stored else None
        if reused is not None:
            self.stats.reused_files += 1
            return reused
        from trainops.manifest.load import load_file

        result = load_file(path, explicit, workspace=workspace, cwd=self.cwd, facts=hashes)
        return memo.Entry(path, explicit, result)

    def _store(
        self, desired: Desired, warnings: list[Diagnostic], entries: list[memo.Entry], started: int
    ) -> None:
        """Keep this result for the next identical call; never fails the load."""
        root = desired.workspace.root
        target = root / CACHE_DIR / self.name
        with contextlib.suppress(OSError, OverflowError):  # a read-only checkout still loads
            make_parent(target)  # first, so the stats include it
            body = memo.encode(
                self.config,
                desired,
                warnings,
                entries,
                starts=[self.start, self.cwd],
                walked=self.walked,
                limit=started - RACY_NS,
            )
            if body is not None:
                memo.write_atomically(target, json.dumps(body, separators=(",", ":")))
                memo.prune(target.parent, KEEP)
