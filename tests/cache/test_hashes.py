"""The hash cache: content facts of training files, reused while their stat is unchanged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import git

from tests.support.manifests import FLUX_MODEL
from tests.support.paths import IMAGES
from trainops.cache.hashes import HashCache
from trainops.cache.load import load_manifests


def write_model(directory: Path, name: str) -> None:
    (directory / "img").mkdir(parents=True, exist_ok=True)
    for i in range(1, 6):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", directory / "img" / f"ok-{i:02d}.png")
    (directory / f"{name}.yaml").write_text(FLUX_MODEL.format(images="img/*.png", name=name))


def test_cache_trusts_an_unchanged_stat_and_rehashes_an_edit_that_kept_the_mtime(
    tmp_path: Path,
) -> None:
    image = tmp_path / "a.png"
    shutil.copy(IMAGES / "ok-01.png", image)
    first = HashCache(tmp_path)
    original = first.facts(image)
    first.save()
    assert first.reads == 1

    cached = HashCache(tmp_path)
    assert cached.facts(image) == original
    assert cached.reads == 0  # proof the bytes were not read again

    st = image.stat()
    data = bytearray(image.read_bytes())
    data[-20] ^= 0x01  # same size, different content, and the mtime put back (as `cp -p` does)
    image.write_bytes(bytes(data))
    os.utime(image, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert image.stat().st_mtime_ns == st.st_mtime_ns

    touched = HashCache(tmp_path)
    rehashed = touched.facts(image)
    assert (touched.reads, rehashed.sha256 != original.sha256) == (1, True)
    assert (rehashed.kind, rehashed.width, rehashed.height) == ("png", 1024, 1024)


def test_cache_survives_a_foreign_or_corrupt_file(tmp_path: Path) -> None:
    cache_file = tmp_path / ".trainops" / "hash-cache.json"
    cache_file.parent.mkdir()
    shutil.copy(IMAGES / "ok-02.png", tmp_path / "b.png")
    for junk in (
        "{broken",
        '{"version": 99, "entries": {}}',
        '{"version": 1, "entries": {"b.png": 3}}',
    ):
        cache_file.write_text(junk)
        cache = HashCache(tmp_path)
        assert cache.facts(tmp_path / "b.png").kind == "png"
        cache.save()
    assert not list(cache_file.parent.glob(".hash-cache.*"))  # no temp files left behind


def test_a_cached_load_keeps_the_hash_cache_at_the_workspace_root(tmp_path: Path) -> None:
    top = tmp_path / "game-assets"
    write_model(top / "models" / "hero", "hero")
    git.Repo.init(top)
    load_manifests(["models/hero"], cwd=top)
    assert (top / ".trainops" / "hash-cache.json").is_file()
    assert not (top / "models" / "hero" / ".trainops").exists()


def test_corrupt_hash_cache_is_rebuilt(tmp_path: Path) -> None:
    write_model(tmp_path, "m")
    (tmp_path / ".trainops").mkdir()
    cache = tmp_path / ".trainops" / "hash-cache.json"
    cache.write_text("{not json")
    first, _ = load_manifests([], cwd=tmp_path)
    assert "ok-01.png" in cache.read_text()
    again, _ = load_manifests([], cwd=tmp_path)
    assert again.models[0].fingerprint == first.models[0].fingerprint
