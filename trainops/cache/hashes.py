"""Content facts about training files (sha256, format, pixel size), cached by path, size,
mtime_ns, ctime_ns and inode in `<root>/.trainops/hash-cache.json`, so a re-run over thousands of
images reads none. The ctime catches edits that keep the mtime (`cp -p`, `rsync -t`, tar).

The cache is a pure optimisation: a corrupt or foreign file is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE_VERSION = 3
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


class HashCache:
    """`facts(path)` with a persistent cache; call `save()` once at the end of a run."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.file = self.root / ".trainops" / "hash-cache.json"
        self._prefix = self.root.as_posix().rstrip("/") + "/"
        self.entries = self._load()
        self.dirty = False
        self.reads = 0  # files actually read during this run (for reporting and tests)
        # path -> (inode, size, mtime_ns, ctime_ns) as stat'ed before its facts were known:
        # the load cache keys on these rather than on a later stat that could miss an edit.
        self.stats: dict[str, tuple[int, int, int, int]] = {}

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _key(self, path: Path) -> str:
        # String slicing, not Path.relative_to: called for every file of every run.
        text = path.as_posix()
        return text[len(self._prefix) :] if text.startswith(self._prefix) else text

    def facts(self, path: Path) -> FileFacts:
        st = path.stat()
        self.stats[str(path)] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        key = self._key(path)
        stamp = {"mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}
        hit = self._hit(key, st.st_size, stamp)
        if hit is not None:
            return hit
        facts = read_facts(path)
        self.reads += 1
        self.entries[key] = {**stamp, **vars(facts)}  # not asdict: it deep-copies, ~25 us a file
        self.dirty = True
        return facts

    def _hit(self, key: str, size: int, stamp: dict[str, int]) -> FileFacts | None:
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        if entry.get("size") != size or any(entry.get(k) != v for k, v in stamp.items()):
            return None
        try:
            names = ("sha256", "size", "kind", "width", "height", "seconds")
            fields = {k: entry[k] for k in names}
            return FileFacts(**fields)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return None

    def save(self) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a cache."""
        if not self.dirty:
            return
        # Unsorted: a cache needs no stable order, and sorting 10,000 entries doubled the time.
        body = json.dumps({"version": CACHE_VERSION, "entries": self.entries})
        with contextlib.suppress(OSError):  # a read-only checkout still validates
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".hash-cache.", dir=self.file.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(body)
                os.replace(tmp, self.file)
            except OSError:
                Path(tmp).unlink(missing_ok=True)
                raise
        self.dirty = False
