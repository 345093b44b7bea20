"""A synthetic trainops repository: N models across several types, M tiny distinct PNGs each.

The PNGs are valid and declare 1024x1024 px (1-bit grayscale, so each file is a few hundred
bytes and the dataset lint stays quiet), and every one carries distinct pixel bytes so no two
files hash alike. Built with zlib and struct only: no imaging library at runtime.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

SIDE = 1024
_ROW = SIDE // 8  # bytes per 1-bit row
# (model type, the parameters its manifests declare); the serial keeps every model distinct.
TYPES: tuple[tuple[str, str], ...] = (
    ("flux.1-lora", "maxTrainSteps: {steps}\n    rank: 16"),
    ("sd-xl-lora", "numUNetTrainSteps: {steps}\n    seed: {n}"),
    ("qwen-image-lora", "maxTrainSteps: {steps}"),
    ("sd-1_5-lora", "seed: {n}"),
)


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


_IHDR = _chunk(b"IHDR", struct.pack(">IIBBBBB", SIDE, SIDE, 1, 0, 0, 0, 0))
_BLANK_ROWS = (b"\x00" * (_ROW + 1)) * (SIDE - 1)


def png(serial: int, variant: int = 0) -> bytes:
    """A valid 1024x1024 1-bit PNG whose first row spells (serial, variant)."""
    first = struct.pack(">QQ", serial, variant).ljust(_ROW, b"\x00")
    raw = b"\x00" + first + _BLANK_ROWS  # filter byte 0 on every row
    idat = zlib.compress(raw, 1)
    return b"\x89PNG\r\n\x1a\n" + _IHDR + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@dataclass(frozen=True)
class Repo:
    root: Path
    models: tuple[str, ...]  # model directory names, relative to root/models
    images: int  # per model

    def model_dir(self, i: int) -> Path:
        return self.root / "models" / self.models[i]

    def image_path(self, i: int, j: int) -> Path:
        return self.model_dir(i) / "images" / f"{j:03d}.png"

    def all_images(self) -> list[Path]:
        return [self.image_path(i, j) for i in range(len(self.models)) for j in range(self.images)]


def _manifest(name: str, n: int) -> str:
    model_type, params = TYPES[n % len(TYPES)]
    return (
        "apiVersion: trainops/v1\n"
        "kind: Model\n"
        "metadata:\n"
        f"  name: {name}\n"
        "spec:\n"
        f"  type: {model_type}\n"
        f"  name: Bench model {n}\n"
        f"  shortDescription: Synthetic model number {n} of the scale benchmark.\n"
        "  tags: [bench]\n"
        "  trainingImages:\n"
        "    - images/*.png\n"
        "  parameters:\n"
        f"    {params.format(steps=500 + n % 100, n=n)}\n"
    )


def generate(root: Path, *, models: int, images: int, parallelism: int) -> Repo:
    """Write the repository under `root` (created): trainops.yaml and models/<name>/..."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\n"
        "kind: Workspace\n"
        "workspace: bench\n"
        f"parallelism: {min(parallelism, 64)}\n",
        encoding="utf-8",
    )
    names = tuple(f"m{i:04d}" for i in range(models))
    repo = Repo(root, names, images)
    for i, name in enumerate(names):
        (repo.model_dir(i) / "images").mkdir(parents=True, exist_ok=True)
        (repo.model_dir(i) / "model.yaml").write_text(_manifest(name, i), encoding="utf-8")
        for j in range(images):
            repo.image_path(i, j).write_bytes(png(i * images + j))
    return repo


def change(repo: Repo, count: int, *, variant: int = 1) -> list[str]:
    """Replace the first image of `count` models spread over the repo (so over every type) with
    new content; returns their names. Each of them then needs one upload and a training."""
    step = max(1, len(repo.models) // count)
    picked = list(range(0, len(repo.models), step))[:count]
    for i in picked:
        repo.image_path(i, 0).write_bytes(png(i * repo.images, variant))
    return [repo.models[i] for i in picked]
