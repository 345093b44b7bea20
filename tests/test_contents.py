"""The asset-hash cache of `trainops.contents`: a pure optimisation, whatever is on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from trainops.contents import CACHE_FILE, AssetHashes, known_prefixes


def test_hashes_round_trip_by_asset_id(tmp_path: Path) -> None:
    cache = AssetHashes(tmp_path)
    cache.put("asset_a", b"hello")
    cache.save()
    again = AssetHashes(tmp_path)
    assert again.prefix("asset_a") == hashlib.sha256(b"hello").hexdigest()[:16]
    assert again.prefix("asset_b") is None
    assert known_prefixes(tmp_path) == {"asset_a": hashlib.sha256(b"hello").hexdigest()[:16]}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 0, "entries": {"asset_a": "' + "0" * 64 + '"}}',
        '{"version": 1, "entries": {"asset_a": "short", "asset_b": 3}}',
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored(tmp_path: Path, text: str) -> None:
    (tmp_path / CACHE_FILE).parent.mkdir()
    (tmp_path / CACHE_FILE).write_text(text)
    assert AssetHashes(tmp_path).entries == {}
