"""Training files: discovery (paths and globs), format checks, content hashes, captions, and
the fingerprint of a model's training inputs.

Knows nothing about the API or manifests: callers turn `FileProblem` into located diagnostics.
"""

from __future__ import annotations

import difflib
import glob
import itertools
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from trainops.desired import (
    AUDIO_FORMATS,
    IMAGE_FORMATS,
)
from trainops.manifest import guard
from trainops.manifest.media import FileFacts

__all__ = [
    "MAX_AUDIO_BYTES",
    "MAX_IMAGE_BYTES",
    "FileFacts",
    "FileProblem",
    "caption_file",
    "check_media",
    "expand",
    "read_caption",
]

MAX_IMAGE_BYTES = guard.IMAGE.max_bytes
MAX_AUDIO_BYTES = guard.AUDIO.max_bytes


class FileProblem(Exception):
    """A training file that cannot be used; the caller adds the manifest location."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _is_glob(pattern: str) -> bool:
    return glob.has_magic(pattern)


def _checked(path: Path, root: Path, shown: str) -> Path:
    try:
        return guard.inside(path, root)
    except guard.Refused as r:
        raise FileProblem(f"{shown} {r.reason}", r.hint) from None


def _nearby(path: Path) -> str | None:
    """A 'did you mean' for a mistyped file name, from the files beside where it should be."""
    try:
        names = [p.name for p in path.parent.iterdir() if p.is_file()]
    except OSError:
        return None
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.7)
    return f"did you mean {close[0]}?" if close else None


def expand(pattern: str, base: Path, root: Path) -> list[Path]:
    """The files `pattern` (a path or glob relative to `base`) names, resolved and sorted.

    Globs skip `.txt` files: those are caption files beside the images, not training files.
    """
    root = root.resolve()
    if Path(pattern).is_absolute():
        raise FileProblem(
            f"{pattern} is an absolute path", hint="write it relative to the manifest's directory"
        )
    # Where a path points is checked before whether anything is there: a manifest must not
    # learn which files exist outside the root (nor list their names in a "did you mean").
    if not _is_glob(pattern):
        path = _checked(base / pattern, root, pattern)
        if path.is_dir():
            hint = f"use {pattern.rstrip('/')}/* to take every file in it"
            raise FileProblem(f"{pattern} is a directory", hint=hint)
        if not path.is_file():
            raise FileProblem(f"{pattern} does not exist", hint=_nearby(base / pattern))
        return [path]
    _checked(base / _static_prefix(pattern), root, pattern)
    names = [m for m in glob.glob(str(base / pattern), recursive=True) if not m.endswith(".txt")]
    matches = _files_checked(names, root, pattern)
    if not matches:
        raise FileProblem(
            f"{pattern} matches no files", hint="paths are relative to the manifest's directory"
        )
    return matches


def _static_prefix(pattern: str) -> str:
    """The directories a glob names before its first wildcard."""
    parts = pattern.split("/")
    fixed = itertools.takewhile(lambda p: not _is_glob(p), parts[:-1])
    return "/".join(fixed) or "."


def _files_checked(names: Sequence[str], root: Path, shown: str) -> list[Path]:
    """The regular files among `names`, sorted and `_checked`. One lstat per file and one
    realpath per directory: a glob over thousands of images otherwise spends seconds in
    pathlib and realpath."""
    dirs: dict[str, Path] = {}
    out = []
    for name in sorted(names, key=lambda n: n.split(os.sep)):  # the order of sorted Paths
        try:
            mode = os.lstat(name).st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode):
            if os.path.isfile(name):
                out.append(_checked(Path(name), root, shown))  # may point anywhere: resolve all
            continue
        if not stat.S_ISREG(mode):
            continue
        head, tail = os.path.split(name)
        parent = dirs.get(head)
        if parent is None:
            parent = dirs[head] = _checked(Path(head), root, shown)
        out.append(parent / tail)
    return out


def check_media(facts: FileFacts, shown: str, *, audio: bool) -> None:
    """Raise FileProblem unless the file is a real image (or audio sample) within the limit."""
    allowed, kind = (AUDIO_FORMATS, guard.AUDIO) if audio else (IMAGE_FORMATS, guard.IMAGE)
    if facts.kind not in allowed:
        found = (
            f"its content looks like {facts.kind}"
            if facts.kind
            else "its content has an unrecognised format"
        )
        if facts.lfs:  # no content here to look at: the extension is all there is
            found = f"it is a Git LFS pointer to a {Path(shown).suffix or 'file'} file"
        raise FileProblem(
            f"{shown} is not a valid {kind.noun}: {found}",
            hint=f"use one of: {', '.join(sorted(allowed)).upper()}",
        )
    if facts.size > kind.max_bytes:
        big = guard.too_big(facts.size, kind)
        raise FileProblem(f"{shown} {big.reason}", big.hint)
    if not facts.complete:
        raise FileProblem(
            f"{shown} is truncated: its {facts.kind.upper()} data stops before its end",
            hint="copy or export the file again; a partial download or copy looks like this",
        )


def caption_file(path: str) -> str:
    """`<stem>.txt` beside `path`: `Path.with_suffix(".txt")` in string operations, as the load
    cache computes it for 10,000 files."""
    head, sep, name = path.rpartition("/")
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name
    return f"{head}{sep}{stem}.txt"


def read_caption(file: Path, root: Path | None = None) -> str | None:
    """The stripped text of `<stem>.txt` beside `file` (the LoRA-dataset convention), if any,
    through the guard: inside `root` (default: `file`'s own directory), a regular file, UTF-8
    text of at most a few KB. Raises FileProblem naming the sidecar, never its content."""
    name = caption_file(file.as_posix())  # a string until it exists: most images have none
    if not os.path.lexists(name):
        return None
    sidecar = Path(name)
    try:
        text = guard.read_text(sidecar, file.parent if root is None else root)
    except guard.Refused as r:
        raise FileProblem(f"caption {_shown(sidecar, root)} {r.reason}", r.hint) from None
    except OSError as exc:
        raise FileProblem(
            f"caption {_shown(sidecar, root)} cannot be read: {exc.strerror}"
        ) from None
    return text.strip() or None


def _shown(path: Path, root: Path | None) -> str:
    top = "" if root is None else root.as_posix().rstrip("/") + "/"
    text = path.as_posix()
    return text[len(top) :] if top and text.startswith(top) else path.name
