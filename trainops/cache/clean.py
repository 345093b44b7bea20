"""`trainops cache clean`: the load cache and the hash cache of a workspace, removed."""

from __future__ import annotations

import shutil
from pathlib import Path

from trainops.cache.hashes import CACHE_FILE
from trainops.cache.load import CACHE_DIR

__all__ = ["remove_caches"]


def remove_caches(root: Path) -> list[Path]:
    """Remove both caches under `root`; returns what was there. The sandbox's state, also in
    `.trainops/`, is no cache and stays."""
    removed: list[Path] = []
    load_cache = root / CACHE_DIR
    if load_cache.is_dir():
        shutil.rmtree(load_cache)
        removed.append(load_cache)
    hash_cache = root / CACHE_FILE
    # A temp file left by a run killed while writing the hash cache goes too.
    for path in [hash_cache, *sorted(hash_cache.parent.glob(".hash-cache.*"))]:
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
