"""What a training file is, from its bytes: sha256, format, pixel size, audio duration, and
whether it is complete (issue 11: a PNG cut after 60 bytes passed validation).

Sniffed from the first chunk while the whole file is hashed in one pass: no imaging library,
no pixel decoded. Complete means: a PNG holds its IEND chunk (or, from writers that omit it,
its chunks end exactly at the end of the file after image data), a JPEG an EOI marker after its
first scan, a RIFF file (WebP, WAV) and an M4A are as long as their own sizes say, an Ogg
stream ends with its end-of-stream page. MP3 and FLAC have no end marker to check. The file is
opened through `guard` (a regular file, bounded by the largest cap).
A Git LFS pointer (`trainops.manifest.lfs`) stands for its content: its oid is the sha256, its
size the size, its kind the path's extension; no pixel size or duration is known (issue 17).
Validation asks a `FactSource` for them: `ReadFacts` reads every file; a cache of them is
another source, passed in by whoever wraps validation.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from trainops.manifest import guard, lfs

_CHUNK = 1024 * 1024
_IEND = b"\0\0\0\0IEND\xaeB`\x82"  # the whole chunk: length 0, type, its constant CRC
_EOI = b"\xff\xd9"


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int
    kind: str | None  # png|jpeg|webp|wav|mp3|flac|ogg|m4a, or None when unrecognised
    width: int | None = None
    height: int | None = None
    seconds: float | None = None  # audio duration, when the header tells (WAV)
    complete: bool = True  # False: the file stops before its format's end (see above)
    lfs: bool = False  # a Git LFS pointer: the facts are its content's, from the pointer


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


def _jpeg_scan(head: bytes) -> int:
    """Where the first scan's data starts (after SOS): no EOI can come before it outside a
    segment (an EXIF thumbnail's EOI lies inside APP1). 2 when the head does not tell."""
    i = 2
    while i + 4 <= len(head) and head[i] == 0xFF:
        marker = head[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = int.from_bytes(head[i + 2 : i + 4], "big")
        if marker == 0xDA:
            return i + 2 + length
        i += 2 + length
    return 2


class _Finder:
    """Whether `needle` occurs at or after `start` in a file streamed chunk by chunk."""

    def __init__(self, needle: bytes, start: int) -> None:
        self.needle = needle
        self.start = start
        self.found = False
        self._carry = b""
        self._at = 0  # the offset of _carry's first byte

    def feed(self, chunk: bytes) -> None:
        if self.found:
            return
        window = self._carry + chunk
        self.found = window.find(self.needle, max(self.start - self._at, 0)) != -1
        keep = len(self.needle) - 1
        self._at += len(window) - keep if len(window) > keep else 0
        self._carry = window[-keep:] if len(window) > keep else window


def _finder(kind: str | None, head: bytes) -> _Finder | None:
    if kind == "png":
        return _Finder(_IEND, 8)
    if kind == "jpeg":
        return _Finder(_EOI, _jpeg_scan(head))
    return None


def _png_chain_ends(fh: BinaryIO, size: int) -> bool:
    """For a PNG without IEND: every chunk whole, the last one ending the file, image data
    among them. Some writers omit IEND and decoders accept that; a cut file has a chunk that
    runs past its end, or no image data."""
    at, seen_data = 8, False
    while at + 12 <= size:
        fh.seek(at)
        header = fh.read(8)
        seen_data = seen_data or header[4:] == b"IDAT"
        at += 12 + int.from_bytes(header[:4], "big")
    return at == size and seen_data


def _riff_complete(head: bytes, size: int) -> bool:
    return len(head) >= 8 and size >= 8 + int.from_bytes(head[4:8], "little")


def _m4a_complete(fh: BinaryIO, size: int) -> bool:
    """The top-level boxes end exactly at the end of the file."""
    at = 0
    while at < size:
        fh.seek(at)
        box = fh.read(16)
        if len(box) < 8:
            return False
        length = int.from_bytes(box[:4], "big")
        if length == 0:  # the last box runs to the end of the file
            return True
        if length == 1:
            length = int.from_bytes(box[8:16], "big") if len(box) == 16 else 0
        if length < 8:
            return False
        at += length
    return at == size


def _ogg_complete(fh: BinaryIO, size: int) -> bool:
    """The last page ends the stream (its flag says so) and ends where the file does."""
    start = max(size - 65536, 0)  # a page is at most 65,307 bytes
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"OggS")
    if at == -1 or at + 27 > len(tail):
        return False
    segments = tail[at + 26]
    table = tail[at + 27 : at + 27 + segments]
    end = at + 27 + segments + sum(table)
    return bool(tail[at + 5] & 0x04) and len(table) == segments and end == len(tail)


def _complete(kind: str | None, head: bytes, size: int, fh: BinaryIO) -> bool:
    if kind in ("webp", "wav"):
        return _riff_complete(head, size)
    if kind == "m4a":
        return _m4a_complete(fh, size)
    if kind == "ogg":
        return _ogg_complete(fh, size)
    return True


def read_facts(path: Path) -> FileFacts:
    """Stream the file once: hash every byte, sniff the format and size from the first chunk,
    look for its end marker on the way. Raises `guard.Refused` for a file the guard refuses."""
    digest = hashlib.sha256()
    size = 0
    with guard.open_regular(path, guard.MEDIA) as fh:
        head = fh.read(_CHUNK)
        if lfs.is_pointer(head):
            return _pointer_facts(path, head)
        kind = sniff(head)
        end = _finder(kind, head)
        chunk = head
        while chunk:
            digest.update(chunk)
            size += len(chunk)
            if end is not None:
                end.feed(chunk)
            if size > guard.MEDIA.max_bytes:  # grown since its stat, or a file of /proc
                raise guard.too_big(None, guard.MEDIA)
            chunk = fh.read(_CHUNK)
        complete = end.found if end is not None else _complete(kind, head, size, fh)
        if kind == "png" and not complete:
            complete = _png_chain_ends(fh, size)
    dims = image_size(kind, head)
    w, h = dims if dims else (None, None)
    seconds = wav_seconds(head) if kind == "wav" else None
    return FileFacts(digest.hexdigest(), size, kind, w, h, seconds, complete)


def _pointer_facts(path: Path, data: bytes) -> FileFacts:
    try:
        pointer = lfs.parse(data)
    except lfs.BadPointer as bad:
        raise guard.Refused(
            f"is a malformed Git LFS pointer: {bad.reason}",
            hint="commit the file through Git LFS again (`git lfs track`, `git add`)",
        ) from None
    return FileFacts(pointer.oid, pointer.size, lfs.kind(path.name), lfs=True)


class FactSource(Protocol):
    """Where validation gets the content facts of a training file."""

    def facts(self, path: Path) -> FileFacts: ...


class ReadFacts:
    """The facts read from the file itself, every time."""

    def facts(self, path: Path) -> FileFacts:
        return read_facts(path)
