"""Which way a file goes to the API, and the pieces of the multipart upload flow that need no
connection (the requests are `Scenario.upload_asset` and `Scenario.add_training_images`).

Scenario's "Uploading Assets" page (scenario-api.md 10): a base64 data URL in JSON is for images
under 6 MB; larger images and all audio, of any size, go through the multipart flow:
`POST /uploads` -> PUT each part to its URL -> `POST /uploads/{id}/action` complete ->
`GET /uploads/{id}` until it names the asset -> `POST /models/{id}/training-images`
`{"assetIds": [...]}`, at most 10 per call.

The retry kind of each step (see `trainops.scenario.retry`), and why it is safe:

- `POST /uploads` is retried like an idempotent write. It is not idempotent (each call makes an
  upload), but an upload is only a place to put bytes: one left unused holds no asset, is on no
  model and costs no credits, so a second one after a lost reply harms nothing.
- A part PUT is retried like a read: it writes the same bytes to the same URL, and is sent to
  the presigned URL alone, without the API's credentials (the URL is the credential).
- `complete` is a create: after an ambiguous failure the upload is read, and completed again only
  while it still says `pending`, never blindly (a second complete may be refused).
- `GET /uploads/{id}` is a read, polled until the upload names its asset or fails.
- Adding by asset ids is a create: a second add of the same id is refused ("already a training
  image"), so after an ambiguous failure the model is read and only what did not land is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

__all__ = [
    "DATA_URL_LIMIT",
    "MAX_ASSET_IDS",
    "PART_SIZE",
    "UploadState",
    "chunks",
    "data_url",
    "fits_data_url",
    "kind_of",
    "parts_of",
    "poll_delays",
]

T = TypeVar("T")

DATA_URL_LIMIT = 6 * 1000 * 1000  # bytes of the data URL's text: "images under 6 MB"
# Parts of 5 MiB: object stores refuse smaller parts but the last, and a part is one request
# body (the sandbox bounds those at 9 MiB).
PART_SIZE = 5 * 1024 * 1024
MAX_ASSET_IDS = 10  # per add call (Scenario's training guide: more gives 400)
POLL_FIRST = 0.25  # seconds before the second read of a completed upload, doubling ...
POLL_MAX = 5.0  # ... up to this ...
POLL_TOTAL = 600.0  # ... for at most this long in all: validation takes seconds, not minutes


@dataclass(frozen=True)
class UploadState:
    """An upload as the API answers it (scenario-sdk's `Upload`), reduced to what the flow uses."""

    id: str
    status: str  # pending|validating|validated|imported|complete|failed
    part_urls: tuple[str, ...]  # by part number, while pending
    asset_id: str | None  # `entityId`: the asset it made, once named
    error: str | None  # `errorMessage` of a failed upload


def kind_of(mime: str) -> Literal["audio", "image"]:
    return "audio" if mime.lower().startswith("audio/") else "image"


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def fits_data_url(data: bytes, mime: str) -> bool:
    """Whether `data` may go inline as a data URL: an image whose data URL, all of its text, is
    within the documented 6 MB. Never audio, whatever its size."""
    if kind_of(mime) == "audio":
        return False
    base64_length = 4 * -(-len(data) // 3)
    return len(f"data:{mime};base64,") + base64_length <= DATA_URL_LIMIT


def parts_of(data: bytes, part_size: int = PART_SIZE) -> list[bytes]:
    """`data` cut into parts of `part_size` bytes, the last one shorter; one part at least."""
    return [data[i : i + part_size] for i in range(0, len(data), part_size)] or [b""]


def chunks(items: Sequence[T], size: int = MAX_ASSET_IDS) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def poll_delays() -> Iterator[float]:
    """The waits between reads of a completed upload, in all at most `POLL_TOTAL` seconds."""
    delay, total = POLL_FIRST, 0.0
    while total + delay <= POLL_TOTAL:
        yield delay
        total += delay
        delay = min(delay * 2, POLL_MAX)
