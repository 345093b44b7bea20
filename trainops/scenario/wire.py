"""The Scenario API on the wire, over plain httpx: the requests `scenario-sdk` 2.4 sends, and
its error for a non-2xx reply, without importing it.

Why not the SDK: `import scenario_sdk` builds over a hundred pydantic modules, most of the time of
a re-plan with nothing to do. `tests/scenario/test_wire.py` keeps the SDK as the ground truth:
every `Scenario` method must send the request the SDK sends for the same call.

What we do not copy: the SDK's `X-Stainless-*` and `x-stainless-retry-count` headers (telemetry),
its `Content-Type` on requests without a body, and its retries (ours are in
`trainops.scenario.retry`).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from trainops import __version__

__all__ = [
    "JOB_FILTERS",
    "JsonObject",
    "StatusError",
    "api_headers",
    "query",
    "request_kind",
    "segment",
    "send",
    "tls",
]

JsonObject = dict[str, Any]

# Path segments following these words are ids, except for the literal sub-resources listed.
_ID_AFTER = {"models", "jobs", "training-images", "assets", "uploads", "files"}
_LITERAL = {"get-bulk", "pairs"}
_DOT_SEGMENT = re.compile(r"^(?:\.|%2[eE]){1,2}$")


class StatusError(Exception):
    """A reply outside 2xx. `body` is its JSON, else its stripped text, like the SDK's
    `APIStatusError.body`; `retry.redacting` may rewrite it. The message holds neither the body
    nor the request: either may carry a secret parameter back."""

    def __init__(self, response: httpx.Response) -> None:
        request = response.request
        super().__init__(f"HTTP {response.status_code} from {request.method} {request.url.path}")
        self.response = response
        self.status_code = response.status_code
        self.body: object = _error_body(response)


def _error_body(response: httpx.Response) -> object:
    text = response.text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


def api_headers(api_key: str, api_secret: str) -> dict[str, str]:
    """Sent with every API request (never with a download: its signed URL is the credential)."""
    # ascii, like the SDK: a key it could not send is refused here too.
    credentials = base64.b64encode(f"{api_key}:{api_secret}".encode("ascii")).decode("ascii")
    return {
        "Accept": "application/json",
        "Authorization": f"Basic {credentials}",
        "User-Agent": f"trainops/{__version__}",
    }


def segment(value: str) -> str:
    """An id as one path segment, percent-encoded like the SDK's `path_template`. Empty and dot
    segments are refused before sending, as the SDK does: they would address another route."""
    if not value:
        raise ValueError(f"Expected a non-empty id but received {value!r}")
    quoted = quote(value, safe="!$&'()*+,;=:@")
    if _DOT_SEGMENT.match(quoted):
        raise ValueError(f"Constructed path {quoted!r} contains dot-segment")
    return quoted


def query(params: Mapping[str, object]) -> dict[str, str]:
    """Query values as the SDK writes them: booleans `true`/`false`, lists comma-joined, and
    None or empty values left out."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, list | tuple):
            text = ",".join(_text(v) for v in value if v is not None)
        else:
            text = _text(value)
        if text:
            out[key] = text
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


async def send(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
    body: object = None,
) -> httpx.Response:
    """One request to `path` under the client's base URL; `StatusError` outside 2xx. Transport
    failures propagate as httpx's own (`httpx.RequestError`): `retry.on_transport` maps them."""
    response = await http.request(method, path, params=params or None, json=body, headers=headers)
    if not response.is_success:
        raise StatusError(response)
    return response


# The filters of the SDK's `jobs.list`, by its argument names (paging is ours).
JOB_FILTERS = {
    "author_id": "authorId",
    "created_after": "createdAfter",
    "hide_results": "hideResults",
    "project_id": "projectId",
    "status": "status",
    "type": "type",
    "types": "types",
    "updated_after": "updatedAfter",
    "workflow_id": "workflowId",
}


def request_kind(method: str, url: httpx.URL) -> str:
    """`PUT /models/{id}/train?dryRun`: the counter key for one request (ids folded away)."""
    parts = [p for p in url.path.split("/") if p]
    if parts and re.fullmatch(r"v\d+", parts[0]):
        parts = parts[1:]
    out: list[str] = []
    for i, part in enumerate(parts):
        prev = parts[i - 1] if i else ""
        out.append("{id}" if prev in _ID_AFTER and part not in _LITERAL else part)
    suffix = "?dryRun" if "dryRun" in url.params else ""
    return f"{method} /{'/'.join(out)}{suffix}"


@functools.cache
def tls() -> ssl.SSLContext:
    # httpx builds a TLS context per client, loading the CA bundle each time; one per process.
    return httpx.create_ssl_context()
