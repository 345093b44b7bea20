from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from tests.support.paths import IMAGES
from trainops.desired import DesiredImage, DesiredPair, SecretRef, fingerprint
from trainops.manifest.files import FileProblem, expand, read_caption
from trainops.manifest.load import load_desired
from trainops.manifest.media import image_size, read_facts, sniff

MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: hero
spec:
  type: flux.1-lora
  trainingImages: [img/*.png]
  parameters:
    rank: {rank}
"""


def make_workspace(root: Path, rank: int = 16) -> Path:
    (root / "img").mkdir(parents=True)
    for i in range(1, 6):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", root / "img" / f"hero-{i}.png")
    (root / "img" / "hero-1.txt").write_text("hero, front view\n")
    (root / "hero.yaml").write_text(MODEL.format(rank=rank))
    return root


def fp(root: Path) -> str:
    desired, _ = load_desired([], cwd=root)
    return desired.models[0].fingerprint


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def test_fingerprint_ignores_file_names(ws: Path) -> None:
    before = fp(ws)
    (ws / "img" / "hero-3.png").rename(ws / "img" / "renamed.png")
    (ws / "img" / "hero-1.png").rename(ws / "img" / "zz-first.png")
    (ws / "img" / "hero-1.txt").rename(ws / "img" / "zz-first.txt")
    assert fp(ws) == before


def test_fingerprint_changes_with_one_byte_of_one_image(ws: Path) -> None:
    before = fp(ws)
    image = ws / "img" / "hero-4.png"
    data = bytearray(image.read_bytes())
    data[-20] ^= 0x01
    image.write_bytes(bytes(data))
    assert fp(ws) != before


def test_fingerprint_changes_with_one_parameter(ws: Path, tmp_path: Path) -> None:
    other = make_workspace(tmp_path / "other", rank=32)
    assert fp(ws) != fp(other)


def test_fingerprint_changes_with_one_caption(ws: Path) -> None:
    before = fp(ws)
    (ws / "img" / "hero-1.txt").write_text("hero, back view\n")
    changed = fp(ws)
    (ws / "img" / "hero-1.txt").unlink()
    assert len({before, changed, fp(ws)}) == 3


def _image(sha: str, caption: str | None = None, path: str = "a.png") -> DesiredImage:
    return DesiredImage(path, path, sha, 1, caption)


def test_fingerprint_excludes_secrets_and_order_and_number_spelling() -> None:
    a = [_image("1" * 64), _image("2" * 64, "cap")]
    base = fingerprint("flux.1-lora", {"rank": 16, "learningRate": 0.0001}, a, [])
    same = fingerprint(
        "flux.1-lora",
        {"learningRate": 1e-4, "rank": 16.0, "wandbKey": SecretRef("WANDB_KEY")},
        list(reversed(a)),
        [],
    )
    assert same == base
    assert fingerprint("flux.1-krea-lora", {"rank": 16, "learningRate": 0.0001}, a, []) != base


def test_fingerprint_counts_pairs_and_their_instructions() -> None:
    src, tgt = _image("1" * 64), _image("2" * 64)
    one = fingerprint("qwen-image-edit-lora", {}, [], [DesiredPair(src, tgt, "make it night")])
    other = fingerprint("qwen-image-edit-lora", {}, [], [DesiredPair(src, tgt, "make it day")])
    swapped = fingerprint("qwen-image-edit-lora", {}, [], [DesiredPair(tgt, src, "make it night")])
    assert len({one, other, swapped}) == 3


def test_expand_globs_skip_caption_files_and_sort(tmp_path: Path) -> None:
    for name in ("b.png", "a.png", "a.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in expand("*", tmp_path, tmp_path)] == ["a.png", "b.png"]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.png").write_bytes(b"x")
    assert [p.name for p in expand("**/*.png", tmp_path, tmp_path)] == ["a.png", "b.png", "c.png"]


def test_expand_names_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    with pytest.raises(FileProblem) as exc:
        expand("dir", tmp_path, tmp_path)
    assert (exc.value.message, exc.value.hint) == (
        "dir is a directory",
        "use dir/* to take every file in it",
    )


def test_read_caption_strips_and_treats_empty_as_none(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("  a hero \n\n")
    (tmp_path / "b.txt").write_text("  \n")
    assert [read_caption(tmp_path / n) for n in ("a.png", "b.png", "c.png")] == [
        "a hero",
        None,
        None,
    ]


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def _webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def _webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f" + bits.to_bytes(4, "little")


@pytest.mark.parametrize(
    ("head", "kind", "size"),
    [
        ((IMAGES / "small.png").read_bytes(), "png", (512, 768)),
        (_jpeg(1280, 720), "jpeg", (1280, 720)),
        (_webp_vp8x(2048, 1024), "webp", (2048, 1024)),
        (_webp_vp8l(300, 200), "webp", (300, 200)),
        (b"RIFF\0\0\0\0WAVEfmt ", "wav", None),
        (b"ID3\x04\0", "mp3", None),
        (b"\xff\xfb\x90\x00", "mp3", None),
        (b"fLaC\0", "flac", None),
        (b"OggS\0", "ogg", None),
        (b"\0\0\0\x20ftypM4A ", "m4a", None),
        (b"GIF89a", None, None),
    ],
)
def test_formats_come_from_magic_bytes(
    head: bytes, kind: str | None, size: tuple[int, int] | None
) -> None:
    assert (sniff(head), image_size(sniff(head), head)) == (kind, size)


def test_wav_duration_comes_from_its_header() -> None:
    facts = read_facts(IMAGES / "voice.wav")
    assert (facts.kind, facts.seconds, facts.width) == ("wav", 2.0, None)
