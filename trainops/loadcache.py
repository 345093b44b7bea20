"""A memo of `load_desired`: the validated desired state and its warnings, reused while none of
the inputs it was computed from has changed, so a re-plan with nothing changed only stats files.

The key of one call is its arguments (resolved paths, cwd, strict), trainops's version and code,
and the stat (inode, size, mtime, ctime) of every input: the manifests, every training file and
caption sidecar, trainops.yaml and the `.git` entries that decide the workspace root and name, and
every directory that was walked or globbed (a file added to or removed from one changes its
mtime). A warm load stats exactly those, compares, and decodes the stored result.

Stored in `<root>/.trainops/load-cache/<hash of the arguments>.json`, written atomically, only
for a load without errors. Inputs changed within the last `RACY_NS` are not trusted (a second
edit in the same timestamp tick would look unchanged), so such a load is not stored. Like the
hash cache it is a pure optimisation: anything unreadable or unexpected is a miss.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import json
import os
import tempfile
import time
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydantic
import yaml

import trainops
from trainops import loadcodec
from trainops.dataset import caption_file
from trainops.desired import Desired, DesiredImage
from trainops.errors import Diagnostic

__all__ = ["CACHE_DIR", "Inputs", "LoadStats", "Memo"]

CACHE_VERSION = 1
CACHE_DIR = Path(".trainops") / "load-cache"
KEEP = 8  # one file per distinct (paths, cwd, strict): CLI, CI and editor runs each have one
RACY_NS = 2 * 10**9  # covers 2 s timestamp ticks (FAT, some network file systems)
# gitpython reads these when finding the top level, which names the workspace by default.
_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")
_ROOT_MARKERS = ("trainops.yaml", ".git", ".git/config")
_PACKAGE = Path(trainops.__file__).parent

# (path, inode, size, mtime_ns, ctime_ns); all four -1 when the path does not exist.
Sig = tuple[str, int, int, int, int]
_ABSENT = (-1, -1, -1, -1)


@dataclass
class LoadStats:
    """Filled in by `load_desired` for callers (tests, benchmarks) that want to know."""

    cache_hit: bool = False


def _sig(path: str) -> Sig:
    try:
        st = os.stat(path)
    except OSError:
        return (path, *_ABSENT)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _pack(sigs: list[Sig]) -> dict[str, str]:
    """Paths NUL-joined (the one byte no path holds) and the numbers as one int64 array: the
    stored form of 10,000 stats then parses in about a millisecond instead of tens."""
    numbers = array("q", [n for s in sigs for n in s[1:]])  # OverflowError: not stored
    return {
        "paths": "\0".join(s[0] for s in sigs),
        "stats": base64.b64encode(numbers.tobytes()).decode("ascii"),
    }


def _fresh(packed: dict[str, str]) -> bool:
    """Every input still has the stat it had: the whole cost of a warm load is this loop."""
    paths = packed["paths"].split("\0")
    numbers = array("q")
    numbers.frombytes(base64.b64decode(packed["stats"]))
    if len(numbers) != 4 * len(paths):
        return False
    stat = os.stat
    it = iter(numbers)
    for path, ino, size, mtime, ctime in zip(paths, it, it, it, it, strict=False):
        try:
            st = stat(path)
        except OSError:
            if ino == -1:
                continue
            return False
        if (
            st.st_ino != ino
            or st.st_size != size
            or st.st_mtime_ns != mtime
            or st.st_ctime_ns != ctime
        ):
            return False
    return True


def _racy(sigs: Iterable[Sig], now_ns: int) -> bool:
    limit = now_ns - RACY_NS
    return any(max(s[3], s[4]) > limit for s in sigs)


def _glob_dirs(base: str, pattern: str) -> list[str]:
    """Every directory `glob(base/pattern)` may list (a superset): below the pattern's fixed
    prefix, as deep as its magic parts reach (any depth for `**`)."""
    parts = Path(pattern).parts
    fixed = 0
    while fixed < len(parts) - 1 and not glob.has_magic(parts[fixed]):
        fixed += 1
    rest = parts[fixed:]
    depth = None if "**" in rest else len(rest) - 1
    hidden = any(p.startswith(".") for p in rest)  # glob skips dot entries unless asked
    out: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack = [(os.path.join(base, *parts[:fixed]), 0)]
    while stack:
        directory, level = stack.pop()
        out.append(directory)
        if depth is not None and level >= depth:
            continue
        try:
            st = os.stat(directory)
            if (st.st_dev, st.st_ino) in seen:  # a symlink loop
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(directory) as listing:
                subs = [e.path for e in listing if e.is_dir() and (hidden or e.name[0] != ".")]
        except OSError:
            continue
        stack += [(s, level + 1) for s in subs]
    return out


class Inputs:
    """What one load looked at, recorded as it goes; `sigs` stats it all once at the end."""

    def __init__(self) -> None:
        self.files: dict[str, None] = {}  # manifests, and training files named without a glob
        self.dirs: dict[str, None] = {}  # directories walked for manifests or globbed
        self.globs: dict[tuple[str, str], None] = {}
        self._real: set[str] | None = None

    def file(self, path: Path | str) -> None:
        self.files[os.fspath(path)] = None

    def directory(self, path: Path | str) -> None:
        self.dirs[os.fspath(path)] = None

    def pattern(self, pattern: str, base: Path) -> None:
        """A training-file entry of a manifest in `base`: a path, or a glob."""
        if glob.has_magic(pattern):
            self.globs[(os.fspath(base), pattern)] = None
        else:
            self.files[os.path.join(base, pattern)] = None

    def sigs(
        self, desired: Desired, start: Path, known: Mapping[str, tuple[int, int, int, int]]
    ) -> list[Sig]:
        """The stat of everything the load depended on, cheap-to-change inputs first."""
        for base, pattern in self.globs:
            self.dirs.update(dict.fromkeys(_glob_dirs(base, pattern)))
        paths = [str(d / m) for d in (start, *start.parents) for m in _ROOT_MARKERS]
        paths += [e.path for e in os.scandir(_PACKAGE) if e.name.endswith(".py")]
        out = [_sig(p) for p in [*paths, *self.files, *self.dirs]]
        return out + self._training_sigs(desired, known)

    def _training_sigs(
        self, desired: Desired, known: Mapping[str, tuple[int, int, int, int]]
    ) -> list[Sig]:
        top = str(desired.workspace.root).rstrip("/") + "/"
        files: dict[str, None] = {}
        for m in desired.models:
            images: list[DesiredImage] = [*m.images]
            for p in m.pairs:
                images += [p.source, p.target]
            files.update(dict.fromkeys(top + i.path for i in images))
        out = []
        for name in files:
            stat = known.get(name)  # taken before the file was hashed: the safer one to keep
            out.append((name, *stat) if stat else _sig(name))
            sig = _sig(caption_file(name))
            # An absent caption in a directory whose stat is kept: adding one changes that stat.
            if sig[1] != -1 or not self._listed(name.rpartition("/")[0]):
                out.append(sig)
        return out

    def _listed(self, directory: str) -> bool:
        """Whether the stat of `directory` (a real path) is kept, under this or another name."""
        if directory in self.dirs:
            return True
        if self._real is None:  # only when a symlink is on the way: realpath is slow
            self._real = {os.path.realpath(d) for d in self.dirs}
        return directory in self._real


class Memo:
    """One `load_desired` call's cache entry: `lookup` before loading, `store` after."""

    def __init__(self, given: Sequence[Path], cwd: Path, strict: bool) -> None:
        resolved = [(cwd / g).resolve() for g in given]
        start = resolved[0] if resolved[0].is_dir() else resolved[0].parent
        self.start = start
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
        self.candidates = list(dict.fromkeys([start, *start.parents, cwd]))
        self.inputs = Inputs()

    def lookup(self) -> tuple[Desired, list[Diagnostic]] | None:
        for directory in self.candidates:
            try:
                with open(directory / CACHE_DIR / self.name, "rb") as fh:
                    raw = json.loads(fh.read())
                if raw["version"] != CACHE_VERSION or raw["config"] != self.config:
                    continue
                if _fresh(raw["inputs"]):
                    return loadcodec.decode(raw["value"])
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                continue
        return None

    def store(
        self,
        desired: Desired,
        warnings: list[Diagnostic],
        known: Mapping[str, tuple[int, int, int, int]],
    ) -> None:
        """Keep this result for the next identical call; never fails the load. `known`: the
        stats the hash cache took of training files, by absolute path."""
        directory = desired.workspace.root / CACHE_DIR
        target = directory / self.name
        with contextlib.suppress(OSError, OverflowError):  # a read-only checkout still loads
            directory.mkdir(parents=True, exist_ok=True)  # first, so the stats include it
            sigs = self.inputs.sigs(desired, self.start, known)
            if _racy(sigs, time.time_ns()):
                target.unlink(missing_ok=True)
                return
            body = {
                "version": CACHE_VERSION,
                "config": self.config,
                "inputs": _pack(sigs),
                "value": loadcodec.encode(desired, warnings),
            }
            _write(target, json.dumps(body, separators=(",", ":")))
            _prune(directory)


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
