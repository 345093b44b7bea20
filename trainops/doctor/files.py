"""The files `trainops doctor` uploads, made on the spot: small PNGs, a PNG over 6 MB, a WAV.

Real, decodable files (the API may check what it is sent), from the standard library alone and
from a seed, so that each run uploads content no earlier run did.
"""

from __future__ import annotations

import io
import math
import random
import struct
import wave
import zlib

LARGE_PNG_BYTES = 6 * 1024 * 1024 + 256 * 1024  # over 6 MB by any reading of "MB"
_LARGE_WIDTH = 1600


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int, height: int, pixels: bytes, *, level: int = 6) -> bytes:
    """An 8-bit RGB PNG of `pixels` (width * height * 3 bytes, row by row)."""
    stride = width * 3
    rows = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, level))
        + _chunk(b"IEND", b"")
    )


def small_png(seed: int, side: int = 256) -> bytes:
    """A small flat-coloured PNG (a few hundred bytes), its colour from `seed`."""
    colour = random.Random(seed).randbytes(3)  # noqa: S311  (test content, not a secret)
    return png(side, side, colour * (side * side))


def large_png(seed: int) -> bytes:
    """A PNG of noise, stored uncompressed (noise does not compress): over LARGE_PNG_BYTES."""
    height = math.ceil(LARGE_PNG_BYTES / (_LARGE_WIDTH * 3))
    noise = random.Random(seed).randbytes(_LARGE_WIDTH * height * 3)  # noqa: S311  (as above)
    return png(_LARGE_WIDTH, height, noise, level=0)


def wav(seed: int, seconds: float = 2.0, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV of a tone whose pitch comes from `seed`."""
    pitch = 220 + seed % 440
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
        for i in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()
