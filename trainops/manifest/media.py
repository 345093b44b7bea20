"""What a training file is, from its bytes: sha256, format, pixel size, audio duration.

Sniffed from the first chunk while the whole file is hashed in one pass: no imaging library.
Validation asks a `FactSource` for them: `ReadFacts` reads every file; a cache of them is
another source, passed in by whoever wraps validation.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int
    kind: str | None  # png|jpeg|webp|wav|mp3|flac|ogg|m4a, or None when unrecognised
    width: int | None = None
    height: int | None = None
    seconds: float | None = None  # audio duration, when the header tells (WAV)


def sniff(head: bytes) -> str | None:
    """The file format from its magic bytes (never from its extension)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    return None


def _png_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 24:
        return None
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(head[i + 2 : i + 4], "big")
        if marker in _SOF:
            h, w = struct.unpack(">HH", head[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def image_size(kind: str | None, head: bytes) -> tuple[int, int] | None:
    """(width, height) from the header bytes of a PNG, JPEG or WebP; None if not found."""
    parse = {"png": _png_size, "jpeg": _jpeg_size, "webp": _webp_size}.get(kind or "")
    return parse(head) if parse else None


def wav_seconds(head: bytes) -> float | None:
    """Duration of a PCM WAV from its `fmt ` byte rate and `data` size; None if not found."""
    i, byte_rate = 12, 0
    while i + 8 <= len(head):
        chunk, size = head[i : i + 4], int.from_bytes(head[i + 4 : i + 8], "little")
        if chunk == b"fmt " and i + 20 <= len(head):
            byte_rate = int.from_bytes(head[i + 16 : i + 20], "little")
        elif chunk == b"data":
            return size / byte_rate if byte_rate else None
        i += 8 + size + (size & 1)
    return None


def read_facts(path: Path) -> FileFacts:
    """Stream the file once: hash every byte, sniff the format and size from the first chunk."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            head = head or chunk
            digest.update(chunk)
            size += len(chunk)
    kind = sniff(head)
    dims = image_size(kind, head)
    w, h = dims if dims else (None, None)
    seconds = wav_seconds(head) if kind == "wav" else None
    return FileFacts(digest.hexdigest(), size, kind, w, h, seconds)


class FactSource(Protocol):
    """Where validation gets the content facts of a training file."""

    def facts(self, path: Path) -> FileFacts: ...


class ReadFacts:
    """The facts read from the file itself, every time."""

    def facts(self, path: Path) -> FileFacts:
        return read_facts(path)
