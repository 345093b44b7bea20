"""Signed URLs are told from their query alone, whichever storage signed them."""

from __future__ import annotations

import pytest

from trainops.links import Signed, check_model_link, lifetime, model_link, signed_url

T = 1_796_212_800.0  # 2026-12-02T12:00:00Z


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://cdn.example/a.png", None),
        ("https://cdn.example/a.png?width=128&sig=", None),
        (
            "https://b.s3.amazonaws.com/a.png?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Date=20261202T120000Z&X-Amz-Expires=3600&X-Amz-Signature=ab12",
            Signed("AWS", T + 3600),
        ),
        (
            "https://b.s3.amazonaws.com/a.png?X-Amz-Signature=ab12",
            Signed("AWS", None),
        ),
        (
            "https://d1.cloudfront.net/a.png?Expires=1796216400&Signature=x~y&Key-Pair-Id=K2",
            Signed("CloudFront", 1_796_216_400),
        ),
        (
            "https://x.example/a.png?Policy=eyJ&Signature=x&Key-Pair-Id=K2",
            Signed("CloudFront", None),
        ),
        (
            "https://x.example/a.png?Expires=1796216400&Signature=x",
            Signed("Expires/Signature", 1_796_216_400),
        ),
        (
            "https://storage.googleapis.com/b/a.png?X-Goog-Date=20261202T120000Z"
            "&X-Goog-Expires=900&X-Goog-Signature=ab",
            Signed("Google Cloud Storage", T + 900),
        ),
        (
            "https://a.blob.core.windows.net/c/a.png?sv=2022-11-02&se=2026-12-02T12:00:00Z&sig=ab",
            Signed("Azure SAS", T),
        ),
    ],
)
def test_signed_url_reads_the_scheme_and_expiry_from_the_query(
    url: str, signed: Signed | None
) -> None:
    assert signed_url(url) == signed


def test_model_link_settings_must_be_https_with_the_model_id() -> None:
    assert check_model_link("https://app.scenario.com/models/{modelId}") is None
    assert check_model_link("http://app/{modelId}") == (
        "must be an https:// URL, got 'http://app/{modelId}'"
    )
    assert check_model_link("https://app/models") == (
        "must contain {modelId} (where the model id goes), got 'https://app/models'"
    )
    assert model_link("https://app/m/{modelId}", "model_x") == "https://app/m/model_x"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(60, "1 minute"), (1800, "30 minutes"), (7200, "about 2 hours"), (604800, "about 7 days")],
)
def test_lifetime_is_rounded_for_a_reader(seconds: float, said: str) -> None:
    assert lifetime(seconds) == said
