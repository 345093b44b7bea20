"""What a user sees never carries a credential or a bidi control character.

One process-wide set of secrets, registered where they are read: the API key and secret by the
client (`Scenario`), with their `Basic` encoding; secret training parameters by the client
calls that send them; GITHUB_TOKEN and the credential variables by the command handler, from the
environment. `redact` is applied where messages are made (`TrainopsError`, apply's outcome
details) and where text is shown (`commands.handler.err`, `render.phrases.clean`, the PR
comment bodies), so a secret echoed back by an API error never reaches a terminal, a log or a
pull request.

`strip_bidi` removes the characters that reorder text when displayed (Trojan Source, CVE-2021-
42574): the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069, and the implicit
marks U+200E, U+200F and U+061C. The marks are removed too: they are invisible, no name or
message needs them, and they still reorder neutral characters such as `.` and `/` around them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

__all__ = [
    "MASK",
    "bounded",
    "forget",
    "redact",
    "register",
    "register_credentials",
    "register_environ",
    "strip_bidi",
]

MASK = "***"
# Shorter values are not treated as secrets: masking every `abc` would mangle the messages.
MIN_SECRET = 6
# The variables whose values are secrets whenever they are set (TRAINOPS_SANDBOX_* are the
# sandbox server's credentials).
SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "SCENARIO_API_KEY",
    "SCENARIO_API_SECRET",
    "SCENARIO_SDK_API_KEY",
    "SCENARIO_SDK_API_SECRET",
    "TRAINOPS_SANDBOX_API_KEY",
    "TRAINOPS_SANDBOX_API_SECRET",
)
_PAIRS = (
    ("SCENARIO_API_KEY", "SCENARIO_API_SECRET"),
    ("SCENARIO_SDK_API_KEY", "SCENARIO_SDK_API_SECRET"),
    ("TRAINOPS_SANDBOX_API_KEY", "TRAINOPS_SANDBOX_API_SECRET"),
)
# Any `Basic`/`Bearer` credential, registered or not (an echoed Authorization header): a token of
# 16 or more characters with a capital, a digit or a base64 sign, so prose is left alone.
_SCHEME = re.compile(
    r"\b((?i:basic|bearer))(\s+|%20|\+)(?=[\w+/.~-]*[A-Z0-9+/])[A-Za-z0-9+/._~-]{16,}=*"
)
_BIDI = dict.fromkeys(
    [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None
)

_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None


def register(*values: str) -> None:
    """Mask these values (and their percent-encoded form) in every message from now on."""
    global _pattern
    new = {v for value in values if len(value) >= MIN_SECRET for v in _forms(value)} - _secrets
    if not new:
        return
    _secrets.update(new)
    # Longest first: a secret that contains another is masked whole.
    alternatives = sorted(_secrets, key=len, reverse=True)
    _pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def forget() -> None:
    """Start over: each command registers its own secrets (`commands.handler.handle`)."""
    global _pattern
    _secrets.clear()
    _pattern = None


def register_credentials(api_key: str, api_secret: str) -> None:
    """The API key, the secret, and `key:secret` as sent: base64 (with and without padding)."""
    pair = f"{api_key}:{api_secret}"
    encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    register(api_key, api_secret, pair, encoded, encoded.rstrip("="))


def register_environ(environ: Mapping[str, str]) -> None:
    register(*(environ[name] for name in SECRET_VARIABLES if environ.get(name)))
    for key, secret in _PAIRS:
        if environ.get(key) and environ.get(secret):
            register_credentials(environ[key], environ[secret])


def redact(text: str) -> str:
    """`text` with every registered secret and every `Basic`/`Bearer` credential masked."""
    if _pattern is not None:
        text = _pattern.sub(MASK, text)
    return _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def strip_bidi(text: str) -> str:
    return text.translate(_BIDI)


def bounded(text: str, limit: int) -> str:
    """At most `limit` characters, on one line: a quoted reply never floods a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _forms(value: str) -> Iterable[str]:
    yield value
    if (encoded := quote(value, safe="")) != value:
        yield encoded
