"""The one gate for every file trainops reads because a manifest names it: training images and
audio samples, pair sides, caption sidecars, and the bytes apply uploads.

A file is read only when, after every symbolic link is resolved, it lies inside the workspace
root; it is a regular file (never a FIFO, a device, a directory or a file of /proc or /sys); it
is no bigger than its kind's cap; and a caption is UTF-8 text without NULs. Reads are bounded by
the cap whatever the stat says: the files of /proc report a size of 0. Issue 11: a caption
symlinked to /proc/self/environ put the runner's credentials into the plan.

`Refused.reason` follows the file's name ("... is not a regular file"): callers name the file
as their user knows it, and never show its content.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "AUDIO",
    "CAPTION",
    "IMAGE",
    "MANIFEST",
    "MEDIA",
    "Kind",
    "Refused",
    "inside",
    "open_regular",
    "read_bytes",
    "read_head",
    "read_text",
    "too_big",
]

_MB = 1000 * 1000


class Refused(Exception):
    """A file the guard will not read."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass(frozen=True)
class Kind:
    noun: str
    max_bytes: int
    hint: str


# scenario-api.md 10: images under 6 MB go inline as data URLs, larger ones through the multipart
# upload flow, for which neither Scenario's docs nor scenario-sdk give a size limit. 50 MB, as
# for audio: trainers work at about 1 megapixel, so an image past tens of MB is an unscaled scan
# or a raw export to downscale; and apply holds the files it uploads in memory (a few at once).
IMAGE = Kind("image", 50 * _MB, "downscale it or re-encode it (PNG or JPEG, about 1024 px)")
AUDIO = Kind("audio sample", 50 * _MB, "re-encode it at a lower bit rate or trim it")
CAPTION = Kind("caption", 4000, "a caption is a sentence or two: shorten it")
MANIFEST = Kind("manifest", 1 * _MB, "split it: one manifest file per model is the convention")
MEDIA = Kind(
    "training file",
    max(IMAGE.max_bytes, AUDIO.max_bytes),
    "trainops uploads images and audio samples up to 50 MB",
)
_PSEUDO = ("/proc/", "/sys/", "/dev/")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)


def _size(n: int) -> str:
    return f"{n / _MB:.1f} MB" if n >= _MB else f"{n / 1000:.1f} KB"


def _cap(n: int) -> str:
    return f"{n / _MB:g} MB" if n >= _MB else f"{n / 1000:g} KB"


def too_big(size: int | None, kind: Kind) -> Refused:
    """Over the cap of `kind` (`size` None: a file whose stat did not tell, read past the cap)."""
    what = "is" if size is None else f"is {_size(size)},"
    return Refused(f"{what} over the {_cap(kind.max_bytes)} limit per {kind.noun}", kind.hint)


def _escapes() -> Refused:
    return Refused(
        "resolves outside the workspace root",
        "training files must live inside the repository (no '..' or symlink escape)",
    )


@functools.lru_cache(maxsize=8)
def _real(root: str) -> str:
    return os.path.realpath(root)


def inside(path: Path, root: Path) -> Path:
    """`path` with every symbolic link resolved, if that is inside `root` (itself resolved)."""
    real = os.path.realpath(path)
    top = _real(str(root))
    if not (real == top or real.startswith(top.rstrip("/") + "/")) or real.startswith(_PSEUDO):
        raise _escapes()
    return Path(real)


def open_regular(path: Path, kind: Kind, *, capped: bool = True) -> BinaryIO:
    """`path` opened for reading, if it is a regular file within the cap (unless not `capped`:
    the caller bounds its read). Never follows a symbolic link (pass a resolved path) and never
    waits on a FIFO."""
    if str(path).startswith(_PSEUDO):
        raise _escapes()
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno is not None and os.path.islink(path):
            raise Refused("is a symbolic link that changed after it was resolved") from exc
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("is not a regular file", "name a file, not a FIFO, device or directory")
        if capped and st.st_size > kind.max_bytes:
            raise too_big(st.st_size, kind)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, root: Path, kind: Kind) -> bytes:
    """The bytes of `path`, through every check of the guard."""
    with open_regular(inside(path, root), kind) as fh:
        data = fh.read(kind.max_bytes + 1)
    if len(data) > kind.max_bytes:
        raise too_big(None, kind)
    return data


def read_head(path: Path, kind: Kind) -> tuple[bytes, bool]:
    """Up to the cap's bytes of `path` (symbolic links followed: no root to keep to), if it is
    a regular file, and whether it holds more."""
    with open_regular(Path(os.path.realpath(path)), kind, capped=False) as fh:
        data = fh.read(kind.max_bytes + 1)
    return data[: kind.max_bytes], len(data) > kind.max_bytes


def read_text(path: Path, root: Path, kind: Kind = CAPTION) -> str:
    """The text of `path`: UTF-8 without NULs, through every check of the guard."""
    data = read_bytes(path, root, kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("is not UTF-8 text", "save it as UTF-8") from None
    if "\0" in text:
        raise Refused("is not text: it holds NUL bytes", "a caption is plain UTF-8 text")
    return text
