"""Fault injection: added latency, transient 429s, 500s and slow replies on chosen routes.

`latency` waits before the request is handled; `slow` handles it (the change is made) and then
waits before replying, which is what a client timeout after a successful write looks like.

`pathRegex` runs on the event loop for every request, and Python's `re` cannot be interrupted,
so a pattern must be cheap by construction: `check_pattern` refuses what can backtrack
catastrophically (a repeat of something repeated or alternative, backreferences, more than two
repeats), and a path over `MAX_MATCHED_PATH` characters (no API route is that long) is never
matched, which bounds what a pattern that passes can cost.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["latency", "429", "500", "slow"]
KINDS: tuple[str, ...] = ("latency", "429", "500", "slow")
MAX_FAULTS = 50
MAX_PATTERN_LENGTH = 200
MAX_MATCHED_PATH = 200
MAX_REPEATS = 2  # each repeat multiplies the backtracking on a path by its length

# The parser `re` compiles with; `sre_parse` warns from Python 3.11, where it moved.
_parser = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_GROUP_REFS = {"GROUPREF", "GROUPREF_EXISTS"}


def check_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled `pattern`, or ValueError if it is invalid or could backtrack without bound."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pathRegex is over {MAX_PATTERN_LENGTH} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pathRegex is not a valid regular expression: {exc}") from None
    repeats = _count_repeats(_parser.parse(pattern), inside_repeat=False)
    if repeats > MAX_REPEATS:
        raise ValueError(
            f"pathRegex has {repeats} repeats (*, +, {{m,n}}): at most {MAX_REPEATS} are allowed"
        )
    return compiled


def _count_repeats(items: Any, *, inside_repeat: bool) -> int:
    """The repeats in a parsed pattern (`sre_parse` items); raises ValueError for a repeat or an
    alternation inside a repeat (star height over one: exponential backtracking)."""
    count = 0
    for op, arg in items:
        name = str(op)
        if name in _GROUP_REFS:
            raise ValueError("pathRegex cannot use backreferences or conditional groups")
        if inside_repeat and (name in _REPEATS or name == "BRANCH"):
            raise ValueError(
                "pathRegex repeats a repeated or alternative part, which can take exponential time"
            )
        if name in _REPEATS:
            multiple = arg[1] > 1
            count += multiple + _count_repeats(arg[2], inside_repeat=multiple)
        elif name == "BRANCH":
            count += sum(_count_repeats(branch, inside_repeat=False) for branch in arg[1])
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            # The group's items are the last of its arguments (all of them for an atomic group).
            inner = arg if name == "ATOMIC_GROUP" else arg[-1]
            count += _count_repeats(inner, inside_repeat=inside_repeat)
    return count


@dataclass
class Fault:
    method: str | None  # None matches every method
    path_regex: str  # searched in the request path, e.g. r"/models/[^/]+/train$"
    kind: FaultKind
    times: int | None = None  # how many matching requests it hits; None = always
    seconds: float = 0.0  # latency / slow delay
    retry_after: float | None = None  # 429: the Retry-After header, in seconds
    hits: int = field(default=0, compare=False)
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._pattern = check_pattern(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return len(path) <= MAX_MATCHED_PATH and self._pattern.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "pathRegex": self.path_regex,
            "kind": self.kind,
            "times": self.times,
            "seconds": self.seconds,
            "retryAfter": self.retry_after,
            "hits": self.hits,
        }


def faults_from_json(items: object) -> list[Fault]:
    """Parse the `faults` array of `POST /_sandbox/faults`; raises ValueError naming the problem."""
    if not isinstance(items, list):
        raise ValueError("faults must be an array")
    if len(items) > MAX_FAULTS:
        raise ValueError(f"at most {MAX_FAULTS} faults")
    return [fault_from_json(item) for item in items]


def fault_from_json(data: object) -> Fault:
    """Parse one fault of `POST /_sandbox/faults`; raises ValueError naming the bad field."""
    if not isinstance(data, dict):
        raise ValueError("each fault must be an object")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    path = data.get("pathRegex", data.get("path_regex"))
    if not isinstance(path, str):
        raise ValueError("pathRegex must be a string (a regular expression)")
    method, times = data.get("method"), data.get("times")
    seconds = data.get("seconds", 0.0)
    retry_after = data.get("retryAfter", data.get("retry_after"))
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string or null")
    if times is not None and (not isinstance(times, int) or times < 0):
        raise ValueError("times must be a non-negative integer or null")
    if not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("seconds must be a non-negative number")
    if retry_after is not None and not isinstance(retry_after, int | float):
        raise ValueError("retryAfter must be a number or null")
    return Fault(method, path, kind, times, float(seconds), retry_after)


class FaultBox:
    """The server's current faults; shared by concurrent requests, so guarded by a lock."""

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults = list(faults)

    def replace(self, faults: Sequence[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request, counting the hit against `times`."""
        # Matching happens outside the lock: the lock only guards the hit counts.
        matching = [f for f in self.snapshot() if f.matches(method, path)]
        fired: list[Fault] = []
        with self._lock:
            for f in matching:
                if f.times is None or f.hits < f.times:
                    f.hits += 1
                    fired.append(f)
        return fired


def _error_response(fault: Fault) -> Response:
    if fault.kind == "500":
        body = {"apiError": "internal-error", "message": "Injected sandbox fault: internal error"}
        return JSONResponse(body, status_code=500)
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    body = {"apiError": "too-many-requests", "message": "Injected sandbox fault: rate limited"}
    return JSONResponse(body, status_code=429, headers=headers)


class FaultMiddleware:
    """Applies the box's faults to every request under the API prefix."""

    def __init__(self, app: ASGIApp, box: FaultBox, prefix: str) -> None:
        self.app, self.box, self.prefix = app, box, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or "/_sandbox/" in path:
            await self.app(scope, receive, send)
            return
        fired = self.box.take(scope["method"], path)
        for f in fired:
            if f.kind == "latency":
                await asyncio.sleep(f.seconds)
            elif f.kind in ("429", "500"):
                await _error_response(f)(scope, receive, send)
                return
        slow = sum(f.seconds for f in fired if f.kind == "slow")
        if not slow:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(slow)
        for message in held:
            await send(message)
