"""Git LFS pointer files: what a checkout without LFS content holds in place of an image.

A pointer is `version https://git-lfs.github.com/spec/v1`, `oid sha256:<hex>`, `size <n>`, one
`key value` per line, under 1024 bytes (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
Its oid is the sha256 of the content and its size the content's size: exactly the facts a plan
fingerprints, so a plan needs no LFS download (issue 17). Pure: no git, no git-lfs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 1024  # the spec: "Pointer files are expected to be less than 1024 bytes"
VERSION = b"version https://git-lfs.github.com/spec/v1"
_PREFIX = b"version https://git-lfs.github.com/spec/"
_OID = re.compile(r"sha256:([0-9a-f]{64})")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
# What trainops takes, by extension: a pointer's kind is its path's, its bytes are not here.
KINDS = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
    ".wav": "wav",
    ".mp3": "mp3",
    ".flac": "flac",
    ".ogg": "ogg",
    ".m4a": "m4a",
}


@dataclass(frozen=True)
class Pointer:
    oid: str  # the content's sha256, lowercase hex
    size: int  # the content's size in bytes


class BadPointer(Exception):
    """A file that starts as a pointer but is not a valid one; `reason` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_pointer(data: bytes) -> bool:
    """Whether the whole of a file's `data` claims to be a pointer (its first line does)."""
    return len(data) < MAX_BYTES and data.startswith(_PREFIX)


def parse(data: bytes) -> Pointer:
    """The pointer in `data` (a whole file for which `is_pointer` holds); raises BadPointer."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise BadPointer("it holds bytes that are not ASCII") from None
    lines = text.splitlines()
    if lines[0] != VERSION.decode():
        raise BadPointer(f"its version line is {lines[0]!r}, not {VERSION.decode()!r}")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        fields.setdefault(key, value)
    return Pointer(_oid(fields.get("oid")), _size(fields.get("size")))


def _oid(value: str | None) -> str:
    if value is None:
        raise BadPointer("it has no `oid sha256:<hex>` line")
    found = _OID.fullmatch(value)
    if found is None:
        raise BadPointer(f"its oid {value[:80]!r} is not sha256: and 64 lowercase hex digits")
    return found[1]


def _size(value: str | None) -> int:
    if value is None:
        raise BadPointer("it has no `size <bytes>` line")
    if _SIZE.fullmatch(value) is None:
        raise BadPointer(f"its size {value[:40]!r} is not a whole number of bytes")
    return int(value)


def kind(name: str) -> str | None:
    """The training format a pointer's file name says (png, jpeg, ..., m4a); None for another."""
    dot = name.rfind(".")
    return KINDS.get(name[dot:].lower()) if dot > 0 else None
