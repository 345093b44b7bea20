"""The retry policy per call kind, and how API failures become trainops errors.

Call kinds (see `trainops.scenario.client`):

- `read`        GET, dryRun: retried on transient 429, 408, 5xx, timeouts and connection errors.
- `idempotent`  writes that set values (PUT model, PUT tags strict=false, PUT pairs, PUT asset,
                DELETE): retried like reads, because sending them twice ends in the same state.
- `create`      writes that create or train (POST model, POST image, PUT train, cancel): a
                timeout, connection error or 5xx is *ambiguous* (the server may have acted), so it
                raises `AmbiguousWriteError` and the caller must re-read before trying again.
                A transient 429 is a refusal before acting (the server says "not now"), so it is
                retried like a read.

A 2xx reply that cannot be read (not JSON, or JSON of the wrong shape: `wire.BadReply`, e.g. an
HTML page from a proxy) is a reply lost on the way: retried for reads and idempotent writes,
ambiguous for a create (the API may have acted before the proxy answered).

A 429 naming a team limit (`actionName` or `action`, `actionLimit`) or a cooldown
(`remainingSeconds`) raises `QuotaError` at once, whatever the kind: a quick retry cannot lift
it. Time lifts a cooldown or the cap on parallel trainings (`QuotaError.waitable`: apply defers
or queues the training, `trainops.schedule`), never a dataset ceiling. The fields are read at
the top level and inside `details`, an object or a list of objects (Scenario's training guide
names them there).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

import httpx

from trainops.backoff import RetryPolicy, backoff
from trainops.desired import SECRET_PARAMETERS
from trainops.errors import (
    DATASET_IMAGES,
    PARALLEL_TRAINING,
    AmbiguousWriteError,
    ApiError,
    ConfigError,
    QuotaError,
)
from trainops.redact import bounded, redact, register
from trainops.scenario.parse import number
from trainops.scenario.replies import BadReply
from trainops.scenario.wire import StatusError

T = TypeVar("T")
CallKind = Literal["read", "idempotent", "create"]


@dataclass
class Failure:
    """How one failed attempt should be handled: raise `error`, or sleep `delay` and retry."""

    error: Exception
    delay: float | None


DEFAULT_POLICY = RetryPolicy()
MAX_QUOTED = 300  # characters of an API error's message quoted in ours


def on_status(
    policy: RetryPolicy, kind: CallKind, what: str, exc: StatusError, attempt: int
) -> Failure:
    """Raise or retry after an error reply, by call kind."""
    error = status_error(what, exc)
    transient = exc.status_code in (408, 429) or exc.status_code >= 500
    if not transient or isinstance(error, QuotaError):
        return Failure(error, None)
    if kind == "create" and exc.status_code != 429:
        return Failure(ambiguous(what, f"the API answered {exc.status_code}"), None)
    wait = retry_after(exc.response, policy.clock)
    if wait is not None and wait > policy.max_retry_after:
        message = api_message(exc.body) or exc.response.reason_phrase
        return Failure(not_now(what, exc.status_code, wait, message), None)
    if attempt >= policy.attempts:
        return Failure(error, None)
    return Failure(error, wait if wait is not None else backoff(policy, attempt))


def on_transport(
    policy: RetryPolicy, kind: CallKind, what: str, exc: httpx.RequestError, attempt: int
) -> Failure:
    """Raise or retry after a timeout or a connection failure (no reply: ambiguous)."""
    reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not connect"
    if kind == "create":
        return Failure(ambiguous(what, f"the request {reason}"), None)
    error = ApiError(
        f"{what}: the request {reason} after {attempt} attempt(s)",
        hint="check the network and SCENARIO_BASE_URL, then run again",
    )
    if attempt >= policy.attempts:
        return Failure(error, None)
    return Failure(error, backoff(policy, attempt))


def on_bad_reply(
    policy: RetryPolicy, kind: CallKind, what: str, exc: BadReply, attempt: int
) -> Failure:
    """Raise or retry after a 2xx reply that cannot be read: whether the API acted is unknown."""
    reason = f"the API's reply could not be read ({exc})"
    if kind == "create":
        return Failure(ambiguous(what, reason), None)
    if attempt < policy.attempts:
        return Failure(exc, backoff(policy, attempt))
    if kind == "idempotent":
        return Failure(ambiguous(what, f"{reason} after {attempt} attempt(s)"), None)
    error = ApiError(
        f"{what}: {reason} after {attempt} attempt(s)",
        hint="something between trainops and the API (a proxy, a captive portal) may be "
        "answering in its place: check the network and SCENARIO_BASE_URL, then run again",
    )
    return Failure(error, None)


def on_download_transport(
    policy: RetryPolicy, shown: str, exc: httpx.TransportError, attempt: int
) -> Failure:
    """A file download (a read without credentials) that got no reply."""
    error = ApiError(f"download {shown}: {type(exc).__name__}", hint="run again")
    return Failure(error, None if attempt >= policy.attempts else backoff(policy, attempt))


def on_download_status(
    policy: RetryPolicy, shown: str, response: httpx.Response, attempt: int
) -> Failure:
    """A file download refused: retried like a read when the refusal is transient."""
    status = response.status_code
    error = ApiError(
        f"download {shown}: HTTP {status}",
        status=status,
        hint="run again; if it persists, the file is gone from the API",
    )
    if attempt >= policy.attempts or not (status in (408, 429) or status >= 500):
        return Failure(error, None)
    wait = retry_after(response, policy.clock)
    if wait is not None and wait > policy.max_retry_after:
        return Failure(not_now(f"download {shown}", status, wait, None), None)
    return Failure(error, wait if wait is not None else backoff(policy, attempt))


def not_now(what: str, status: int, wait: float, message: str | None) -> ApiError:
    """A refusal whose Retry-After is longer than we wait: say how long."""
    said = duration_text(wait)
    refused = "rate limited by the API" if status == 429 else f"the API is unavailable ({status})"
    return ApiError(
        f"{what}: {refused}: retry after {said}" + (f" ({message})" if message else ""),
        status=status,
        hint=f"wait {said}, then run again",
    )


def duration_text(seconds: float) -> str:
    """`61 s`, `5 min`, `2 h 30 min`."""
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


# --- error mapping -----------------------------------------------------------------------------


def status_error(what: str, exc: StatusError) -> Exception:
    """The trainops error for one API refusal (never includes credentials)."""
    status = exc.status_code
    message = api_message(exc.body) or exc.response.reason_phrase or "no message"
    if status == 401:
        return ConfigError(
            f"{what}: the API refused the credentials (401)",
            hint="check SCENARIO_API_KEY and SCENARIO_API_SECRET (and SCENARIO_BASE_URL)",
        )
    if status == 429 and (quota := _quota(what, message, exc.body)) is not None:
        return quota
    hints = {
        403: "the credentials cannot access this resource: check the key's project",
        404: "it may have been deleted outside trainops: run plan again",
        429: "the API is rate limiting: lower --parallelism or try again later",
    }
    hint = hints.get(status) or (
        "the API failed: try again later" if status >= 500 else "fix the manifest and run again"
    )
    return ApiError(f"{what}: {message} ({status})", status=status, hint=hint)


def _quota(what: str, message: str, body: object) -> QuotaError | None:
    fields = _flatten(body)
    action = fields.get("actionName") or fields.get("action")
    limit = number(fields.get("actionLimit"))
    remaining = number(fields.get("remainingSeconds"))
    if remaining is not None:
        return QuotaError(
            f"{what}: cooldown, {remaining:g}s remaining: {message}",
            action=str(action) if action else None,
            remaining_seconds=remaining,
            hint=f"wait {remaining:g} seconds, then run apply again",
        )
    if action is not None or limit is not None:
        ceiling = f" (limit {limit:g})" if limit is not None else ""
        error = QuotaError(
            f"{what}: team limit reached for {action or 'this action'}{ceiling}: {message}",
            action=str(action) if action else None,
            limit=limit,
        )
        error.hint = redact(_quota_hint(error))  # as TrainopsError does: `action` is the API's
        return error
    return None


def _quota_hint(error: QuotaError) -> str:
    """What lifts the limit: time for the cap on parallel trainings, the team's plan or its
    data for the others (waiting does not lift a dataset ceiling)."""
    if error.waitable:
        return (
            f"{error.limit_text} is reached: the training starts once one of the team's running "
            "trainings ends (apply again then, or apply --wait to queue behind it)"
        )
    if error.action == PARALLEL_TRAINING:
        return "the team's plan allows no parallel training: raise the plan"
    if error.action == DATASET_IMAGES:
        return (
            f"{error.limit_text} is reached and waiting does not lift it: remove training "
            "images from the team's models, or raise the plan"
        )
    return "free capacity (finish or cancel trainings, remove images) or raise the plan"


def _flatten(body: object) -> dict[str, object]:
    """Top-level keys plus those of nested objects, and of the objects of nested lists (`details`
    may be either): the error body's shape is undocumented. An outer key wins."""
    if not isinstance(body, dict):
        return {}
    out: dict[str, object] = {str(k): v for k, v in body.items()}
    for value in body.values():
        for inner in value if isinstance(value, list) else [value]:
            for k, v in _flatten(inner).items():
                out.setdefault(k, v)
    return out


def api_message(body: object) -> str | None:
    """What the API said, on one line and bounded: a proxy's page or an echo of the request
    must not flood the message (nor, redacted later, carry a credential)."""
    if isinstance(body, str):
        return bounded(body, MAX_QUOTED) or None
    fields = _flatten(body)
    for key in ("message", "error", "detail", "reason"):
        if isinstance(fields.get(key), str):
            return bounded(str(fields[key]), MAX_QUOTED)
    return None


def retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """The wait the reply asks for, in seconds: `retry-after-ms`, else `Retry-After` (seconds or
    an HTTP date); None when absent or unreadable (our backoff applies)."""
    try:
        if (ms := response.headers.get("retry-after-ms")) is not None:
            return max(float(ms) / 1000.0, 0.0)
        if (s := response.headers.get("retry-after")) is not None:
            return max(float(s), 0.0)
    except ValueError:
        return _until(response.headers.get("retry-after"), now)
    return None


def _until(date: str | None, now: Callable[[], float]) -> float | None:
    try:
        when = parsedate_to_datetime(date or "")
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now(), 0.0) if when.tzinfo else None


def ambiguous(what: str, reason: str) -> AmbiguousWriteError:
    return AmbiguousWriteError(
        f"{what}: {reason}; the API may or may not have done it",
        reason=reason,
        hint="run apply again: it re-reads the model and does only what is missing",
    )


def secret_values(parameters: Mapping[str, object] | None) -> tuple[str, ...]:
    if not parameters:
        return ()
    return tuple(str(parameters[k]) for k in SECRET_PARAMETERS if parameters.get(k))


def redacting(
    secrets: tuple[str, ...], fn: Callable[[], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    """Wrap a call so an API error echoing a secret parameter never carries its value (and
    register the values: a message made elsewhere never carries them either)."""
    if not secrets:
        return fn
    register(*secrets)

    async def call() -> T:
        try:
            return await fn()
        except StatusError as exc:
            exc.body = _redact(exc.body, secrets)
            raise

    return call


def _redact(value: object, secrets: tuple[str, ...]) -> object:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {k: _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


def gone_ok(
    fn: Callable[[], Awaitable[httpx.Response]],
) -> Callable[[], Awaitable[httpx.Response]]:
    """A DELETE answering 404 reached the desired state (e.g. a retried DELETE that had landed)."""

    async def call() -> httpx.Response:
        try:
            return await fn()
        except StatusError as exc:
            if exc.status_code == 404:
                return exc.response
            raise

    return call
