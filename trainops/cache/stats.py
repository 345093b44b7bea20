"""What a load depended on, as stats: recorded while loading, compared on the next load.

A stat here is (path, inode, size, mtime_ns, ctime_ns). The ctime catches an edit that put the
mtime back (`cp -p`, `rsync -t`, tar); the inode catches a file replaced by another. A directory's
mtime changes when an entry is added, removed or renamed in it, so keeping the stat of every
directory that was listed (walked for manifests, or read by a glob) covers new and deleted files.
"""

from __future__ import annotations

import base64
import glob
import os
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import trainops
from trainops.desired import DesiredImage, DesiredModel
from trainops.manifest.files import caption_file

__all__ = ["Inputs", "Sig", "code_sigs", "fresh", "pack", "racy", "sig", "tree_sigs"]

# (path, inode, size, mtime_ns, ctime_ns); all four -1 when the path does not exist.
Sig = tuple[str, int, int, int, int]
Stat = tuple[int, int, int, int]
_ABSENT = (-1, -1, -1, -1)
# Where the workspace root and its default name come from (trainops.yaml, the git top level).
_ROOT_MARKERS = ("trainops.yaml", ".git", ".git/config")
_PACKAGE = Path(trainops.__file__).parent


def sig(path: str) -> Sig:
    try:
        st = os.stat(path)
    except OSError:
        return (path, *_ABSENT)
    return (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def pack(sigs: Sequence[Sig]) -> dict[str, str]:
    """Paths NUL-joined (the one byte no path holds) and the numbers as one int64 array: the
    stored form of 10,000 stats then parses in about a millisecond instead of tens."""
    numbers = array("q", [n for s in sigs for n in s[1:]])  # OverflowError: not stored
    return {
        "paths": "\0".join(s[0] for s in sigs),
        "stats": base64.b64encode(numbers.tobytes()).decode("ascii"),
    }


def fresh(packed: Mapping[str, str]) -> bool:
    """Every input still has the stat it had: the whole cost of a warm load is this loop."""
    paths = packed["paths"].split("\0") if packed["paths"] else []
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


def racy(sigs: Iterable[Sig], limit_ns: int) -> bool:
    """Whether any input changed after `limit_ns`: a second edit within the same timestamp
    tick would leave its stat unchanged, so such a stat proves nothing yet."""
    return any(max(s[3], s[4]) > limit_ns for s in sigs)


def code_sigs() -> list[Sig]:
    """Every module of trainops, sub-packages included: a changed validation rule must not be
    served an old result, wherever the rule lives."""
    out: list[Sig] = []
    for directory, subdirs, names in os.walk(_PACKAGE):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        out += [sig(os.path.join(directory, n)) for n in names if n.endswith(".py")]
    return out


def tree_sigs(start: Path, walked: Iterable[str]) -> list[Sig]:
    """What decides the root, the workspace name and the set of manifests."""
    markers = [str(d / m) for d in (start, *start.parents) for m in _ROOT_MARKERS]
    return [sig(p) for p in [*markers, *walked]]


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
    """What one manifest file (or, for `directory`, the walk) looked at, recorded as it goes;
    `sigs` stats it all once at the end."""

    def __init__(self) -> None:
        self.files: dict[str, None] = {}  # the manifest, and training files named directly
        self.dirs: dict[str, None] = {}  # directories walked or globbed
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
        self, root: Path, models: Sequence[DesiredModel], known: Mapping[str, Stat]
    ) -> list[Sig]:
        """The manifest, what its entries listed, and its models' files and caption sidecars.
        `known`: stats taken before hashing, by absolute path (safer than a later one)."""
        for base, pattern in self.globs:
            self.dirs.update(dict.fromkeys(_glob_dirs(base, pattern)))
        out = [sig(p) for p in [*self.files, *self.dirs]]
        return out + self._training_sigs(root, models, known)

    def _training_sigs(
        self, root: Path, models: Sequence[DesiredModel], known: Mapping[str, Stat]
    ) -> list[Sig]:
        top = str(root).rstrip("/") + "/"
        files: dict[str, None] = {}
        for m in models:
            images: list[DesiredImage] = [*m.images]
            for p in m.pairs:
                images += [p.source, p.target]
            files.update(dict.fromkeys(top + i.path for i in images))
        out = []
        for name in files:
            stat = known.get(name)
            out.append((name, *stat) if stat else sig(name))
            caption = sig(caption_file(name))
            # An absent caption in a directory whose stat is kept: adding one changes that stat.
            if caption[1] != -1 or not self._listed(name.rpartition("/")[0]):
                out.append(caption)
        return out

    def _listed(self, directory: str) -> bool:
        """Whether the stat of `directory` (a real path) is kept, under this or another name."""
        if directory in self.dirs:
            return True
        if self._real is None:  # only when a symlink is on the way: realpath is slow
            self._real = {os.path.realpath(d) for d in self.dirs}
        return directory in self._real
