"""Switches for behaviour no document settles, so that tests can run the client against each
plausible variant of the real API. Every switch is off by default: off, the sandbox does what
the documents say, or the most literal reading of them.

Set them with `create_app(deviations=Deviations(...))`, `trainops sandbox serve --deviate NAME`
(repeatable) or, on a running server, `POST /v1/_sandbox/deviations {"NAME": true}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from trainops.sandbox.rules import default_value

IMAGE_PREVIEW = 3  # "the first 3": what list endpoints and get-bulk without allTrainingImages show


@dataclass(frozen=True)
class Deviations:
    """Which switches are on; each field's docstring says which document leaves it open."""

    truncate_images: bool = False
    """`GET /models/{id}` (and every other single-model reply) shows at most 3
    `trainingImages`, `trainingImagesNumber` still the true count. The SDK documents "the first
    3" for list and get-bulk, and says nothing of the single read; get-bulk with
    `allTrainingImages` still returns them all."""

    lowercase_tags: bool = False
    """Tags are stored lowercased; the `PUT /models/{id}/tags` reply's `added` shows what was
    stored. Nothing documents that tags are kept verbatim (scenario-api.md 10)."""

    no_job_id: bool = False
    """The model object has no `jobId`: the SDK documents it as optional, "returned to the model
    owner only". The train reply still carries `job.jobId`."""

    list_deleted: bool = False
    """`GET /models` without a `status` filter lists soft-deleted models too, with `deletedAt`.
    The SDK documents `deletedAt` on the `status=deleted` listing and does not say that the
    default listing leaves deleted models out."""

    repeat_token: bool = False
    """`GET /models` and `GET /jobs` answer a page that has items with a `nextPaginationToken`,
    and a request that carries a token with that same token, forever. The SDK documents the
    token as the way to the next page, not that it changes or ends."""

    quota_in_details: bool = False
    """Team-limit 429 bodies carry `actionName`, `actionLimit` and `remainingSeconds` inside
    `details` instead of at the top level. The SDK does not describe error bodies; Scenario's
    training guide names the fields inside `details` (scenario-api.md 6 and 9)."""

    quota_details_list: bool = False
    """As quota-in-details, with `details` a list of one object: the guide says to accept
    either shape."""

    normalise_parameters: bool = False
    """A model's echoed `parameters` omit values equal to the documented default and give every
    number as a float (1e-4 as 0.0001, 200 as 200.0); with nothing left, no `parameters` at all.
    The SDK types the echo as the same object as the request and does not say it is verbatim."""

    unsigned_samples: bool = False
    """Epoch sample URLs are plain and last (no `Expires`/`Signature`). The SDK types them as a
    bare `url`; the sandbox signs them by default, as private assets fetched without
    credentials must be (trainops/sandbox/samples.py says why)."""

    @classmethod
    def names(cls) -> list[str]:
        """Every switch as the CLI and the admin API spell it (`truncate-images`, ...)."""
        return [f.name.replace("_", "-") for f in fields(cls)]

    @classmethod
    def of(cls, names: Iterable[str]) -> Deviations:
        """These switches on, the others off; ValueError for an unknown name."""
        return cls().merged(dict.fromkeys(names, True))

    def on(self) -> list[str]:
        return [n for n in self.names() if getattr(self, n.replace("-", "_"))]

    def as_json(self) -> dict[str, bool]:
        return {n: getattr(self, n.replace("-", "_")) for n in self.names()}

    def merged(self, changes: dict[str, Any]) -> Deviations:
        """A copy with `changes` ({name: bool}) applied; ValueError for unknown names or values."""
        known = self.names()
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown deviation {name!r} (known: {', '.join(known)})")
            if not isinstance(value, bool):
                raise ValueError(f"deviation {name} must be true or false")
        return replace(self, **{n.replace("-", "_"): v for n, v in changes.items()})

    # What each switch changes, applied where the sandbox renders or stores the value.

    def model(self, out: dict[str, Any], *, every_image: bool = False) -> dict[str, Any]:
        """A rendered model object as these switches show it (`every_image`: get-bulk with
        `allTrainingImages`, which truncate-images leaves whole)."""
        if self.truncate_images and not every_image:
            out["trainingImages"] = out["trainingImages"][:IMAGE_PREVIEW]
        if self.no_job_id:
            out.pop("jobId", None)
        if self.unsigned_samples:
            for epoch in out.get("epochs", ()):
                for sample in epoch.get("assets", ()):
                    sample["url"] = sample["url"].split("?", 1)[0]
        if self.normalise_parameters:
            params = normalised(
                out["type"], out.get("parameters") or {}, out["trainingImagesNumber"]
            )
            out.pop("parameters", None)
            if params:
                out["parameters"] = params
        return out

    def tags(self, names: list[str]) -> list[str]:
        return [t.lower() for t in names] if self.lowercase_tags else names

    def quota_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """An error body (`{"apiError", "message", ...}`) as these switches show it."""
        moved = {
            "action": "actionName",
            "actionLimit": "actionLimit",
            "remainingSeconds": "remainingSeconds",
        }
        inside = self.quota_in_details or self.quota_details_list
        if not inside or not set(body) & set(moved):
            return body
        out = {k: v for k, v in body.items() if k not in moved}
        details = {moved[k]: v for k, v in body.items() if k in moved}
        out["details"] = [details] if self.quota_details_list else details
        return out


def normalised(model_type: str, params: dict[str, Any], image_count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value == default_value(model_type, name, image_count):
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        out[name] = float(value) if number else value
    return out
