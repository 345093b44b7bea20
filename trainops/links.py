"""Links the outcome comment and `trainops doctor` give: the model in Scenario's web app, and
whether a URL the API returned is signed and expires (read from its query alone: nothing is
fetched).

The web app's model URL is not documented: `MODEL_LINK` is inferred from the app's own
addresses, and `trainops.yaml` `links: {model: ...}` overrides it.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

MODEL_LINK = "https://app.scenario.com/models/{modelId}"  # inferred, see the module docstring
MODEL_PLACEHOLDER = "{modelId}"

# Query parameters that carry a signature, by scheme: AWS SigV4 / SigV2 (S3 presigned URLs),
# CloudFront (canned or custom policy), Google Cloud Storage V4 / V2, Azure SAS.
_SIGNATURES = ("x-amz-signature", "signature", "x-goog-signature", "sig")


@dataclass(frozen=True)
class Signed:
    """A signed URL: it stops working at `expires_at` (epoch seconds) when the URL says when."""

    scheme: str  # how it is signed: "AWS", "CloudFront", "Google Cloud Storage", "Azure SAS"
    expires_at: float | None


def model_link(template: str, model_id: str) -> str:
    return template.replace(MODEL_PLACEHOLDER, model_id)


def check_model_link(template: str) -> str | None:
    """Why `template` cannot be the web app's model URL, or None when it can."""
    if not template.startswith("https://"):
        return f"must be an https:// URL, got {template!r}"
    if MODEL_PLACEHOLDER not in template:
        return f"must contain {MODEL_PLACEHOLDER} (where the model id goes), got {template!r}"
    return None


def signed_url(url: str) -> Signed | None:
    """How `url` is signed, from its query: None for a plain URL (no known signature)."""
    query = {k.lower(): v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    if not any(query.get(name) for name in _SIGNATURES):
        return None
    if "x-amz-signature" in query:
        return Signed("AWS", _dated_expiry(query, "amz"))
    if "x-goog-signature" in query:
        return Signed("Google Cloud Storage", _dated_expiry(query, "goog"))
    if "sig" in query and "se" in query:
        return Signed("Azure SAS", _iso(query["se"]))
    if "sig" in query:
        return Signed("Azure SAS", None)
    scheme = "CloudFront" if "key-pair-id" in query or "policy" in query else "Expires/Signature"
    return Signed(scheme, _number(query.get("expires")))


def _dated_expiry(query: dict[str, str], vendor: str) -> float | None:
    """AWS (`X-Amz-Date` + `X-Amz-Expires`) and Google (`X-Goog-…`) sign alike: a start and a
    lifetime in seconds."""
    start = _compact(query.get(f"x-{vendor}-date"))
    seconds = _number(query.get(f"x-{vendor}-expires"))
    return None if start is None or seconds is None else start + seconds


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _compact(text: str | None) -> float | None:
    """`20261202T134500Z` (AWS and Google signing dates) as epoch seconds."""
    return _parsed(text, "%Y%m%dT%H%M%SZ")


def _iso(text: str) -> float | None:
    """Azure's `se`: `2026-12-02T13:45:00Z` (or just the date)."""
    return _parsed(text, "%Y-%m-%dT%H:%M:%SZ") or _parsed(text, "%Y-%m-%d")


def _parsed(text: str | None, form: str) -> float | None:
    if text is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(text, form)))
    except ValueError:
        return None


def lifetime(seconds: float) -> str:
    """`about 7 days`, `about 1 hour`, `12 minutes`: how long a link still works."""
    if seconds < 90 * 60:
        minutes = max(round(seconds / 60), 0)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 36 * 3600:
        hours = round(seconds / 3600)
        return f"about {hours} hour{'s' if hours != 1 else ''}"
    days = round(seconds / 86400)
    return f"about {days} day{'s' if days != 1 else ''}"
