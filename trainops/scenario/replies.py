"""A 2xx reply of the API as values, or `BadReply` when it cannot be read: not JSON (an HTML
page from a proxy, a body cut short), or JSON of the wrong shape (no `model` object, a job
without its id). Whether the API did the request is then unknown, and `retry.on_bad_reply`
decides, by call kind, as for a reply lost on the way: a crash half-way through apply never.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx

from trainops.live import DryRun, LiveImage, LiveJob, LiveModel, TagsReply
from trainops.scenario.parse import (
    parse_dry_run,
    parse_image,
    parse_job,
    parse_listing,
    parse_model,
)
from trainops.scenario.uploads import UploadState
from trainops.scenario.wire import JsonObject

T = TypeVar("T")
DRY_RUN_STATUS = 269


class BadReply(Exception):
    """A 2xx reply that is not the API's JSON of the shape the call returns: an HTML page from a
    proxy, a body cut short, an object without its member. Whether the API did the request is
    unknown: the retry rules treat it like a reply lost on the way (`retry.on_bad_reply`).
    `problem` says what was wrong, in words, never quoting the body."""

    def __init__(self, response: httpx.Response, problem: str) -> None:
        super().__init__(f"{problem}, status {response.status_code}")
        self.response = response
        self.problem = problem


def json_object(response: httpx.Response) -> JsonObject:
    """The reply's JSON object; `BadReply` for anything else (not JSON, or not an object)."""
    try:
        body = response.json()
    except ValueError:
        raise BadReply(response, _not_json(response)) from None
    if not isinstance(body, dict):
        shape = f"a {type(body).__name__}, not an object"
        raise BadReply(response, f"JSON of the wrong shape ({shape})")
    return body


def member(response: httpx.Response, key: str) -> JsonObject:
    """`reply[key]`, the object a write or a read returns; `BadReply` when it is missing: its
    absence breaks the contract, so it is never passed on as an empty object."""
    value = json_object(response).get(key)
    if not isinstance(value, dict):
        raise BadReply(response, f"JSON of the wrong shape (no {key!r} object)")
    return value


def _decoded(build: Callable[[httpx.Response], T]) -> Callable[[httpx.Response], T]:
    """`build` (the reply to values), with a reply of the wrong shape as `BadReply`: a missing
    id, a list where an object belongs (the parse functions index the JSON as documented)."""

    def read(response: httpx.Response) -> T:
        try:
            return build(response)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadReply(response, f"JSON of the wrong shape ({type(exc).__name__})") from exc

    return read


def undecoded(response: httpx.Response) -> httpx.Response:
    """A reply whose content is not needed (a write's echo of the model) is still checked to be
    the API's: an HTML page in its place means the request may never have reached the API."""
    kind = response.headers.get("content-type", "")
    if "json" not in kind.lower() and response.content.strip():
        raise BadReply(response, _not_json(response))
    return response


def _not_json(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "text/html" or response.text.lstrip()[:1] == "<":
        return "an HTML page"
    if not response.content.strip():
        return "an empty body"
    return f"not JSON ({kind or 'no content type'})"


# --- each call's reply ------------------------------------------------------------------------


@_decoded
def model_reply(response: httpx.Response) -> LiveModel:
    return parse_model(member(response, "model"), complete=True)


@_decoded
def image_reply(response: httpx.Response) -> LiveImage:
    return parse_image(member(response, "trainingImage"))


@_decoded
def job_reply(response: httpx.Response) -> LiveJob:
    return parse_job(member(response, "job"))


@_decoded
def job_id_reply(response: httpx.Response) -> str:
    job_id = member(response, "job").get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise BadReply(response, "JSON of the wrong shape (a job without its id)")
    return job_id


@_decoded
def model_page(response: httpx.Response) -> tuple[list[LiveModel], str | None]:
    page = json_object(response)
    return parse_listing(page), page.get("nextPaginationToken") or None


def models_reply(*, complete: bool) -> Callable[[httpx.Response], list[LiveModel]]:
    """The models of a get-bulk reply; `complete` when it was asked for all their images."""

    @_decoded
    def read(response: httpx.Response) -> list[LiveModel]:
        models = json_object(response).get("models")
        if not isinstance(models, list):
            raise BadReply(response, "JSON of the wrong shape (no 'models' list)")
        return [parse_model(m, complete=complete) for m in models if isinstance(m, dict)]

    return read


@_decoded
def job_page(response: httpx.Response) -> tuple[list[LiveJob], str | None]:
    page = json_object(response)
    jobs = [parse_job(j) for j in page.get("jobs") or [] if isinstance(j, dict)]
    return jobs, page.get("nextPaginationToken") or None


@_decoded
def dry_run_reply(response: httpx.Response) -> DryRun | int:
    """The price of a dry run; the status instead when it is not the dry run's (269)."""
    body = json_object(response)
    if response.status_code != DRY_RUN_STATUS:
        return response.status_code
    return parse_dry_run(body)


@_decoded
def tags_reply(response: httpx.Response) -> TagsReply:
    """`{added, deleted}` (the SDK's `ModelUpdateTagsResponse`): what the API stored."""
    body = json_object(response)
    lists = [body.get(k) for k in ("added", "deleted")]
    if not all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in lists):
        raise BadReply(response, "JSON of the wrong shape (no 'added' and 'deleted' lists)")
    added, deleted = (tuple(str(t) for t in v or ()) for v in lists)
    return TagsReply(added=added, deleted=deleted)


# --- uploads (issue 12: the multipart flow, trainops.scenario.uploads) --------------------------


@_decoded
def upload_reply(response: httpx.Response) -> UploadState:
    """`{upload: Upload}` of `POST /uploads`, its `complete` action and `GET /uploads/{id}`."""
    raw = member(response, "upload")
    parts = sorted(
        (p for p in raw.get("parts") or () if isinstance(p, dict)), key=lambda p: p["number"]
    )
    entity, error = raw.get("entityId"), raw.get("errorMessage")
    return UploadState(
        id=str(raw["id"]),
        status=str(raw.get("status") or ""),
        part_urls=tuple(str(p["url"]) for p in parts),
        asset_id=entity if isinstance(entity, str) and entity else None,
        error=error if isinstance(error, str) and error else None,
    )


@_decoded
def optional_image_reply(response: httpx.Response) -> LiveImage | None:
    """The `trainingImage` of an add by asset ids: one object even for a batch (scenario-sdk's
    `TrainingImageAddResponse`), and the batch's other images are not in it."""
    raw = json_object(response).get("trainingImage")
    return parse_image(raw) if isinstance(raw, dict) else None
