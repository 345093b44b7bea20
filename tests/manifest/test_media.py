# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
"""Issue 11, item 9: a file cut short (valid header, missing end) is not a training file."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.paths import IMAGES
from trainops.manifest.media import read_facts

PNG = (IMAGES / "ok-01.png").read_bytes()
WAV = (IMAGES / "voice.wav").read_bytes()


def _jpeg(*, thumbnail: bool = False, trailer: bytes = b"") -> bytes:
    """A structurally whole JPEG: SOI, (an APP1 holding a thumbnail's EOI), SOF, SOS, scan, EOI."""
    app1 = b""
    if thumbnail:
        body = b"Exif\0\0" + b"\xff\xd8\xff\xd9"
        app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 64, 64, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    scan = b"\x12\x34\xff\x00\x56" * 20  # entropy data: an 0xFF is always stuffed
    return b"\xff\xd8" + app1 + sof + sos + scan + b"\xff\xd9" + trailer


def _riff(form: bytes, body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", len(body) + 4) + form + body


def _ogg_page(flags: int, body: bytes) -> bytes:
    return b"OggS\0" + bytes([flags]) + b"\0" * 20 + bytes([1, len(body)]) + body


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + kind + body


M4A = _box(b"ftyp", b"M4A \0\0\0\0") + _box(b"mdat", b"\0" * 100)
OGG = _ogg_page(0x02, b"head") + _ogg_page(0x04, b"last")


@pytest.mark.parametrize(
    ("data", "complete"),
    [
        (PNG, True),
        (PNG + b"\0", True),  # bytes after IEND: still a whole image
        (PNG[:60], False),
        (PNG[:-12], True),  # no IEND, but every chunk whole: some writers omit IEND
        (PNG[:-13], False),
        (_jpeg(), True),
        (_jpeg(trailer=b"motion photo video"), True),
        (_jpeg(thumbnail=True)[:-2], False),  # the thumbnail's EOI does not count
        (_riff(b"WEBP", b"VP8L" + b"\0" * 20), True),
        (_riff(b"WEBP", b"VP8L" + b"\0" * 20)[:-5], False),
        (WAV, True),
        (WAV[:4000], False),
        (M4A, True),
        (M4A[:-10], False),
        (OGG, True),
        (OGG[:-1], False),
        (_ogg_page(0x02, b"head"), False),  # no end-of-stream page
    ],
)
def test_a_file_is_complete_when_its_format_says_it_ends(
    tmp_path: Path, data: bytes, complete: bool
) -> None:
    (tmp_path / "f").write_bytes(data)
    assert read_facts(tmp_path / "f").complete is complete


def test_a_png_end_split_across_read_chunks_is_found(tmp_path: Path) -> None:
    from trainops.manifest import media

    body = b"\x89PNG\r\n\x1a\n" + b"\0" * (media._CHUNK - 14)
    (tmp_path / "f").write_bytes(body + media._IEND + b"tail")
    assert read_facts(tmp_path / "f").complete


def test_a_truncated_image_fails_validation(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    for i in range(1, 7):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", tmp_path / "img")
    (tmp_path / "img" / "ok-03.png").write_bytes(PNG[:60])
    (tmp_path / "m.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Model\nmetadata:\n  name: m\nspec:\n"
        "  type: flux.1-lora\n  trainingImages: [img/*.png]\n"
    )
    assert cli("validate", cwd=tmp_path) == 1
    assert cli.err == (
        "m.yaml:7: spec.trainingImages[0]: img/ok-03.png is truncated: its PNG data stops before its end\n"
        "  hint: copy or export the file again; a partial download or copy looks like this\n"
        "error: 1 error(s) in manifests\n"
    )
