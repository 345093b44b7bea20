"""Thumbnails for the review report (`trainops report`): the only module that touches pixels.

Pillow is an optional dependency (`pip install 'trainops[report]'`) imported inside the functions
here, never at module level: `plan`, `apply` and the rest never load it (issue 16,
tests/test_thumbs.py).
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainops.errors import ConfigError

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

INSTALL = "pip install 'trainops[report]'"
QUALITY = 70  # JPEG: a contact sheet is for recognising pictures, not judging their pixels
# Pillow's own bomb guard warns past ~89 megapixels and refuses past twice that: refuse at the
# warning, a training image that large is a mistake the report should not spend memory on.
MAX_PIXELS = 89_478_485


class ThumbError(Exception):
    """Bytes that make no thumbnail; the message says why, in a few words."""


@dataclass(frozen=True)
class Thumb:
    src: str  # a data: URI
    width: int
    height: int


def require_pillow() -> None:
    """Raise a ConfigError saying what to install when Pillow is missing."""
    try:
        import PIL.Image  # noqa: F401  (only whether it imports)
    except ImportError:
        raise ConfigError(
            "`trainops report` needs Pillow to make thumbnails, and it is not installed",
            hint=f"install it with: {INSTALL}",
        ) from None


def thumbnail(data: bytes, side: int) -> Thumb:
    """`data` (an image file's bytes) as a JPEG data URI at most `side` px on its long side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.draft("RGB", (side, side))  # JPEG decodes straight at a smaller scale
                small = _flat(ImageOps.exif_transpose(img))
                small.thumbnail((side, side), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ThumbError("too many pixels to make a thumbnail of") from None
    except UnidentifiedImageError:
        raise ThumbError("not an image Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt files
        raise ThumbError(f"unreadable image ({exc})") from None
    out = io.BytesIO()
    small.save(out, "JPEG", quality=QUALITY, optimize=True)
    uri = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return Thumb(src=uri, width=small.width, height=small.height)


def _flat(img: Picture) -> Picture:
    """RGB on a white ground: JPEG has no alpha, and transparent pixels are not black."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        ground = Image.new("RGB", rgba.size, (255, 255, 255))
        ground.paste(rgba, mask=rgba.getchannel("A"))
        return ground
    return img.convert("RGB")
