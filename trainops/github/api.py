"""The one way we talk to the GitHub REST API: auth headers, bounded retries, pagination, redaction.

Retried: 5xx, transport errors, and secondary rate limits (403/429 carrying `retry-after` or
`x-ratelimit-remaining: 0`), honouring the headers' wait when it fits in `max_delay`; a longer
wait (a primary rate limit reset an hour away) fails at once with the reset time instead of
hanging the job.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

from trainops import __version__
from trainops.backoff import RetryPolicy, backoff
from trainops.errors import ApiError
from trainops.github.context import GithubContext

MAX_PAGES = 50  # 5000 comments: far past any real PR, bounded so a bad `Link` cannot loop


# GitHub asks clients to back off for as long as a rate limit says, without jitter.
DEFAULT_RETRY = RetryPolicy(base_delay=1.0, max_delay=60.0, max_retry_after=60.0, jitter=False)


class GithubApi:
    """A thin client bound to one context. Owns its httpx.Client only when none was given."""

    def __init__(
        self,
        ctx: GithubContext,
        client: httpx.Client | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self.ctx = ctx
        self._client = client or httpx.Client(timeout=30.0, verify=_tls())
        self._owns_client = client is None
        self._retry = retry

    def __enter__(self) -> GithubApi:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owns_client:
            self._client.close()

    def url(self, path: str) -> str:
        return f"{self.ctx.api_url}{path}"

    def request(
        self, method: str, url: str, *, json: Any = None, replayable: bool = True
    ) -> httpx.Response:
        """One call with retries: the final response, or ApiError if the transport keeps failing.

        `replayable=False` (a POST that creates) retries only refusals (rate limits): after a 5xx
        or a dropped connection the write may have happened, and the caller must look first.
        """
        for attempt in range(1, self._retry.attempts + 1):
            final = attempt == self._retry.attempts
            try:
                response = self._client.request(method, url, json=json, headers=self._headers())
            except httpx.TransportError as exc:
                if final or not replayable:
                    raise self._error(f"{method} {_path(url)}: {type(exc).__name__}") from None
                self._retry.sleep(self._backoff(attempt))
                continue
            wait = self._retry_wait(response, attempt)
            maybe_written = not replayable and response.status_code >= 500
            if wait is None or final or maybe_written:
                return response
            self._retry.sleep(wait)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def call(self, method: str, path: str, *, json: Any = None) -> Any:
        """A call that must succeed; returns the decoded JSON body."""
        response = self.request(method, self.url(path), json=json)
        self.raise_for_status(response)
        return response.json() if response.content else None

    def paginate(self, path: str) -> Iterator[dict[str, Any]]:
        url: str | None = self.url(f"{path}?per_page=100")
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.request("GET", url)
            self.raise_for_status(response)
            yield from (item for item in response.json() if isinstance(item, dict))
            url = self._next_link(response)

    def raise_for_status(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        detail = _github_message(response)
        raise self._error(
            f"GitHub {response.request.method} {_path(str(response.request.url))} failed: "
            f"{response.status_code} {detail}".rstrip(),
            status=response.status_code,
            hint=_hint(response),
        )

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.ctx.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"trainops/{__version__}",
        }

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float | None:
        status = response.status_code
        if status >= 500:
            return self._backoff(attempt)
        if status not in (403, 429):
            return None
        headers = response.headers
        if "retry-after" in headers:
            wait = _seconds(headers["retry-after"])
        elif headers.get("x-ratelimit-remaining") == "0":
            wait = _seconds(headers.get("x-ratelimit-reset", "")) - self._retry.clock()
        else:
            return None  # a plain 403: missing permission, retrying cannot help
        return max(wait, 0.0) if wait <= self._retry.max_retry_after else None

    def _backoff(self, attempt: int) -> float:
        return backoff(self._retry, attempt)

    def _next_link(self, response: httpx.Response) -> str | None:
        nxt = response.links.get("next", {}).get("url")
        # Only follow links to our own API host: the token must never travel elsewhere.
        if nxt and urlsplit(nxt).netloc == urlsplit(self.ctx.api_url).netloc:
            return nxt
        return None

    def _error(
        self, message: str, *, status: int | None = None, hint: str | None = None
    ) -> ApiError:
        return ApiError(self._redact(message), status=status, hint=hint and self._redact(hint))

    def _redact(self, text: str) -> str:
        return text.replace(self.ctx.token, "***") if self.ctx.token else text


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a TLS context loads the CA bundle; one per process is enough for our few calls.
    return ssl.create_default_context(cafile=certifi.where())


def is_rate_limited(response: httpx.Response) -> bool:
    headers = response.headers
    return "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"


def _seconds(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def _path(url: str) -> str:
    return urlsplit(url).path


def _github_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    message = body.get("message") if isinstance(body, dict) else None
    return str(message)[:300] if message else response.reason_phrase


def _hint(response: httpx.Response) -> str | None:
    status = response.status_code
    if status == 429 or is_rate_limited(response):
        reset = response.headers.get("x-ratelimit-reset")
        return f"GitHub rate limit reached; it resets at unix time {reset}" if reset else None
    if status in (401, 403, 404):
        return (
            "check the token: the workflow needs `permissions: pull-requests: write` (and "
            "`contents: read`); fork pull requests only get a read-only token"
        )
    return None
