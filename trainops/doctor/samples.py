"""The doctor's check on epoch sample URLs (issue 16): are they signed, and for how long do they
work? It reads trained models already there (no training is ever started): the outcome
comment says so when they expire, and points to the report that keeps a copy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trainops.doctor.report import SAMPLE_URLS, Check
from trainops.links import lifetime, signed_url

if TYPE_CHECKING:
    from trainops.live import LiveModel
    from trainops.scenario.client import Scenario

MAX_READS = 5  # trained models read for their epochs, at most: a listing may not carry them


async def check_sample_urls(client: Scenario, listing: Sequence[LiveModel], now: float) -> Check:
    """`now`: epoch seconds, what an expiry is counted from."""
    url = _sample_url(listing)
    if url is None:
        trained = [m for m in listing if m.status == "trained"][:MAX_READS]
        for m in trained:
            if (url := _sample_url([await client.get_model(m.id)])) is not None:
                break
    if url is None:
        return SAMPLE_URLS.result("no model with sample images yet", None)
    signed = signed_url(url)
    if signed is None:
        return SAMPLE_URLS.result("plain URLs: no signature in the query, they last", True)
    if signed.expires_at is None:
        return SAMPLE_URLS.result(f"signed ({signed.scheme}), expiry not readable", True)
    left = signed.expires_at - now
    when = f"expire in {lifetime(left)}" if left > 0 else "already expired"
    return SAMPLE_URLS.result(f"signed ({signed.scheme}), {when}", True)


def _sample_url(models: Sequence[LiveModel]) -> str | None:
    for m in models:
        for e in m.epochs:
            for s in e.samples:
                if s.url:
                    return s.url
    return None
