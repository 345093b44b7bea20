"""Epoch sample images: each a distinct small PNG (a colour from its asset id), served at its own
URL, signed and expiring like the real API's asset URLs.

Signed by default: the API's assets are private to the team (`privacy: private`), yet their URLs
are fetched without credentials (a browser shows them), so the URL itself must carry the right
to read; Scenario's other object URLs (upload parts) are documented with an expiry. The URL reads
`?Expires=<epoch s>&Signature=<hmac>`, CloudFront's shape, and the file route answers 403 after
the expiry or for a bad signature. The `unsigned-samples` deviation serves plain, lasting URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib

SAMPLE_TTL_S = 7 * 86400  # how long a sample URL works
_WINDOW_S = 3600  # one URL per hour: reads within it answer the same URL, as a CDN cache would
SIZE = 64


def sample_url(base_url: str, asset_id: str, key: str, now: float, *, signed: bool = True) -> str:
    plain = f"{base_url}files/samples/{asset_id}.png"
    if not signed:
        return plain
    expires = int(now // _WINDOW_S * _WINDOW_S + SAMPLE_TTL_S)
    return f"{plain}?Expires={expires}&Signature={signature(asset_id, expires, key)}"


def signature(asset_id: str, expires: int, key: str) -> str:
    message = f"{asset_id}:{expires}".encode()
    return hmac.new(f"samples:{key}".encode(), message, hashlib.sha256).hexdigest()[:32]


def refusal(
    asset_id: str, expires: str | None, given: str | None, key: str, now: float
) -> str | None:
    """Why this signed request is refused (403), or None when it may read the sample."""
    if expires is None or given is None:
        return "this sample URL must be signed (Expires and Signature)"
    try:
        at = int(expires)
    except ValueError:
        return "Expires must be epoch seconds"
    if not hmac.compare_digest(given.encode(), signature(asset_id, at, key).encode()):
        return "bad signature"
    if now > at:
        return "this sample URL has expired"
    return None


def sample_png(asset_id: str) -> bytes:
    """A SIZE x SIZE PNG of one colour taken from the asset id's hash, framed in a darker
    shade so that it is visible on white and on black."""
    r, g, b = hashlib.sha256(asset_id.encode()).digest()[:3]
    fill, frame = bytes((r, g, b)), bytes((r // 3, g // 3, b // 3))
    edge = b"\x00" + frame * SIZE
    middle = b"\x00" + frame * 4 + fill * (SIZE - 8) + frame * 4
    rows = [edge] * 4 + [middle] * (SIZE - 8) + [edge] * 4
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
