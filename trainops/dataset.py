"""Training files: discovery (paths and globs), format checks, content hashes, captions, and
the fingerprint of a model's training inputs.

Knows nothing about the API or manifests: callers turn `FileProblem` into located diagnostics.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from trainops.desired import SECRET_PARAMETERS, DesiredImage, DesiredPair, ParamValue, SecretRef
from trainops.hashcache import FileFacts, HashCache

__all__ = [
    "AUDIO_FORMATS",
    "IMAGE_FORMATS",
    "MAX_AUDIO_BYTES",
    "MAX_IMAGE_BYTES",
    "FileFacts",
    "FileProblem",
    "HashCache",
    "check_media",
    "expand",
    "fingerprint",
    "read_caption",
]

IMAGE_FORMATS = frozenset({"png", "jpeg", "webp"})
AUDIO_FORMATS = frozenset({"wav", "mp3", "flac", "ogg", "m4a"})
# Files go to the API inline (base64 JSON) under a 60 s timeout: keep each comfortably small.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 50 * 1024 * 1024
FINGERPRINT_VERSION = 1


class FileProblem(Exception):
    """A training file that cannot be used; the caller adds the manifest location."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _is_glob(pattern: str) -> bool:
    return glob.has_magic(pattern)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _checked(path: Path, root: Path, shown: str) -> Path:
    resolved = path.resolve()
    if not _inside(resolved, root):
        raise FileProblem(
            f"{shown} resolves outside the workspace root",
            hint="training files must live inside the repository (no '..' or symlink escape)",
        )
    return resolved


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
    if not _is_glob(pattern):
        path = base / pattern
        if path.is_dir():
            hint = f"use {pattern.rstrip('/')}/* to take every file in it"
            raise FileProblem(f"{pattern} is a directory", hint=hint)
        if not path.is_file():
            raise FileProblem(f"{pattern} does not exist", hint=_nearby(path))
        return [_checked(path, root, pattern)]
    matches = sorted(
        Path(m)
        for m in glob.glob(str(base / pattern), recursive=True)
        if Path(m).is_file() and not m.endswith(".txt")
    )
    if not matches:
        raise FileProblem(
            f"{pattern} matches no files", hint="paths are relative to the manifest's directory"
        )
    return _checked_all(matches, root, pattern)


def _checked_all(paths: Sequence[Path], root: Path, shown: str) -> list[Path]:
    """`_checked` for many files, resolving each directory once rather than every file's full
    path (a glob over thousands of images otherwise spends seconds in realpath)."""
    dirs: dict[Path, Path] = {}
    out = []
    for path in paths:
        if path.is_symlink():
            out.append(_checked(path, root, shown))
            continue
        parent = dirs.get(path.parent)
        if parent is None:
            parent = dirs[path.parent] = _checked(path.parent, root, shown)
        out.append(parent / path.name)
    return out


def check_media(facts: FileFacts, shown: str, *, audio: bool) -> None:
    """Raise FileProblem unless the file is a real image (or audio sample) within the limit."""
    allowed, limit = (AUDIO_FORMATS, MAX_AUDIO_BYTES) if audio else (IMAGE_FORMATS, MAX_IMAGE_BYTES)
    noun = "audio sample" if audio else "image"
    if facts.kind not in allowed:
        found = f"looks like {facts.kind}" if facts.kind else "has an unrecognised format"
        raise FileProblem(
            f"{shown} is not a valid {noun}: its content {found}",
            hint=f"use one of: {', '.join(sorted(allowed)).upper()}",
        )
    if facts.size > limit:
        mib = limit // (1024 * 1024)
        raise FileProblem(
            f"{shown} is {facts.size / 1048576:.1f} MiB, over the {mib} MiB limit per {noun}",
            hint="downscale or re-encode it",
        )


def read_caption(file: Path) -> str | None:
    """The stripped text of `<stem>.txt` beside `file` (the LoRA-dataset convention), if any."""
    sidecar = file.with_suffix(".txt")
    if not sidecar.is_file():
        return None
    text = sidecar.read_text(encoding="utf-8", errors="replace").strip()
    return text or None


def _canonical(value: ParamValue) -> object:
    # 800 and 800.0 (or 1e-4 and 0.0001) are the same training; only the number counts.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def fingerprint(
    model_type: str,
    parameters: Mapping[str, ParamValue],
    images: Sequence[DesiredImage],
    pairs: Sequence[DesiredPair],
) -> str:
    """sha256 hex of everything that changes what a training learns.

    File names and order do not count (only content + caption); secrets never do.
    """
    params = {
        k: _canonical(v)
        for k, v in sorted(parameters.items())
        if k not in SECRET_PARAMETERS and not isinstance(v, SecretRef)
    }
    body = {
        "v": FINGERPRINT_VERSION,
        "type": model_type,
        "parameters": params,
        "images": sorted({(i.sha256, i.caption or "") for i in images}),
        "pairs": sorted({(p.source.sha256, p.target.sha256, p.instruction) for p in pairs}),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
