"""`trainops cache clean`: remove the caches of the workspace holding a path."""

from __future__ import annotations

from pathlib import Path

from trainops.cache.clean import remove_caches
from trainops.commands import EXIT_OK
from trainops.errors import ConfigError
from trainops.manifest.workspace import find_root, shown_path


def run_cache_clean(path: Path, *, cwd: Path) -> int:
    if not (cwd / path).exists():
        raise ConfigError(
            f"{path} does not exist",
            hint="name a directory or manifest of the workspace, or run it from inside one",
        )
    root = find_root(path, cwd)
    removed = remove_caches(root)
    for p in removed:
        print(f"removed {shown_path(p, cwd)}")
    if not removed:
        print(f"no cache to remove in {shown_path(root, cwd)}")
    return EXIT_OK
