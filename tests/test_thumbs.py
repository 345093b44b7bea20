"""Thumbnails (`trainops.thumbs`), and Pillow staying out of every command but `report`."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.workspace import make_workspace, png
from trainops.thumbs import ThumbError, thumbnail


def _decoded(src: str) -> Image.Image:
    head, _, body = src.partition(",")
    assert head == "data:image/jpeg;base64"
    return Image.open(io.BytesIO(base64.b64decode(body)))


def test_a_thumbnail_is_a_small_jpeg_keeping_the_aspect_ratio() -> None:
    wide = io.BytesIO()
    Image.new("RGB", (1200, 600), (200, 30, 30)).save(wide, "PNG")
    t = thumbnail(wide.getvalue(), 256)
    assert (t.width, t.height) == (256, 128)
    img = _decoded(t.src)
    assert (img.format, img.size) == ("JPEG", (256, 128))


def test_transparent_pixels_become_white() -> None:
    clear = io.BytesIO()
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear, "PNG")
    img = _decoded(thumbnail(clear.getvalue(), 256).src).convert("RGB")
    r, g, b = img.getpixel((1, 1))  # type: ignore[misc]
    assert min(r, g, b) > 240


def test_bytes_that_are_no_image_raise_a_short_reason() -> None:
    with pytest.raises(ThumbError, match=r"^not an image Pillow can read$"):
        thumbnail(b"GIF89a? no", 64)
    with pytest.raises(ThumbError, match=r"^unreadable image \("):
        thumbnail(png(1)[:100], 64)


def test_plan_never_imports_pillow(tmp_path: Path) -> None:
    """Issue 16: Pillow is the report's alone; `trainops plan` runs without importing it."""
    ws = make_workspace(tmp_path / "ws")
    code = (
        "import sys\n"
        "from trainops.cli import main\n"
        "code = main(['plan', '--sandbox'])\n"
        "assert code == 0, code\n"
        "import trainops.commands.report, trainops.render.report, trainops.thumbs\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'PIL'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ws, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_report_without_pillow_says_what_to_install(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    code = (
        "import sys\n"
        "sys.modules['PIL'] = None  # as if not installed: importing it raises ImportError\n"
        "from trainops.cli import main\n"
        "sys.exit(main(['report', '--sandbox']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ws, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "error: `trainops report` needs Pillow to make thumbnails, and it is not installed",
        "hint: install it with: pip install 'trainops[report]'",
    ]
    assert not (ws / "report.html").exists()
