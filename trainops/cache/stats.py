"""Stats of what a load depended on, taken when it is stored and compared on the next load.

A stat here is (path, inode, size, mtime_ns, ctime_ns). The ctime catches an edit that put the
mtime back (`cp -p`, `rsync -t`, tar); the inode catches a file replaced by another. Stats are
stored packed: the paths NUL-joined (the one byte no path holds) and the numbers as one int64
array, so thousands of stats parse as two JSON strings rather than as thousands of values.
"""

from __future__ import annotations

import base64
import os
from array import array
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import trainops

__all__ = [
    "Sig",
    "changed",
    "code_sigs",
    "fresh",
    "marker_sigs",
    "pack",
    "pack_ints",
    "racy",
    "sig",
    "unpack_ints",
]

# (path, inode, size, mtime_ns, ctime_ns); all four -1 when the path does not exist.
Sig = tuple[str, int, int, int, int]
Packed = Mapping[str, str]
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
    numbers = array("q", [n for s in sigs for n in s[1:]])  # OverflowError: not stored
    return {"paths": "\0".join(s[0] for s in sigs), "stats": _b64(numbers)}


def pack_ints(numbers: Iterable[int]) -> str:
    return _b64(array("q", numbers))


def unpack_ints(text: str) -> list[int]:
    numbers = array("q")
    numbers.frombytes(base64.b64decode(text, validate=True))
    return numbers.tolist()


def _b64(numbers: array[int]) -> str:
    return base64.b64encode(numbers.tobytes()).decode("ascii")


def _unpack(packed: Packed) -> tuple[list[str], list[int]]:
    paths = packed["paths"].split("\0") if packed["paths"] else []
    numbers = unpack_ints(packed["stats"])
    if len(numbers) != 4 * len(paths):
        raise ValueError("stats: not four numbers a path")
    return paths, numbers


def changed(packed: Packed, *, first: bool = False) -> list[int]:
    """The positions of the inputs whose stat is not the one stored (with `first`: only the
    first found). A warm load's whole cost is this loop: kept flat, `os.stat` held local."""
    paths, numbers = _unpack(packed)
    out: list[int] = []
    stat = os.stat
    it = iter(numbers)
    for i, (path, ino, size, mtime, ctime) in enumerate(zip(paths, it, it, it, it, strict=True)):
        try:
            st = stat(path)
        except OSError:
            if ino == -1:
                continue
        else:
            if (
                st.st_ino == ino
                and st.st_size == size
                and st.st_mtime_ns == mtime
                and st.st_ctime_ns == ctime
            ):
                continue
        out.append(i)
        if first:
            break
    return out


def fresh(packed: Packed) -> bool:
    """Every input still has the stat it had."""
    return not changed(packed, first=True)


def racy(s: Sig, limit_ns: int) -> bool:
    """Whether the input changed after `limit_ns`: a second edit within the same timestamp
    tick would leave its stat unchanged, so such a stat proves nothing yet."""
    return max(s[3], s[4]) > limit_ns


def code_sigs() -> list[Sig]:
    """Every module of trainops, sub-packages included: a changed validation rule must not be
    served an old result, wherever the rule lives."""
    out: list[Sig] = []
    for directory, subdirs, names in os.walk(_PACKAGE):
        subdirs[:] = [d for d in subdirs if d != "__pycache__"]
        out += [sig(os.path.join(directory, n)) for n in names if n.endswith(".py")]
    return out


def marker_sigs(starts: Iterable[Path]) -> list[Sig]:
    """What decides the root and the workspace's default name, in each start's parents."""
    dirs = dict.fromkeys(d for s in starts for d in (s, *s.parents))
    return [sig(str(d / m)) for d in dirs for m in _ROOT_MARKERS]
