"""`.trainops/`, the directory of a workspace's local state (caches, the embedded sandbox's
database): made with a `.gitignore` of `*` the first time, so that nothing in it is ever
committed by a `git add .`, whoever creates it first."""

from __future__ import annotations

import contextlib
from pathlib import Path

STATE_DIR = ".trainops"
IGNORE_ALL = "# local state of trainops (caches, the sandbox's database): never committed\n*\n"


def make_parent(path: Path) -> None:
    """Create `path`'s directory; when that creates a `.trainops/` directory, write its
    `.gitignore`. Raises OSError as `Path.mkdir` does."""
    parent = path.parent
    state = next((d for d in (parent, *parent.parents) if d.name == STATE_DIR), None)
    created = state is not None and not state.exists()
    parent.mkdir(parents=True, exist_ok=True)
    if state is not None and created:
        # Best effort: the state itself matters more than the ignore file beside it.
        with contextlib.suppress(OSError):
            (state / ".gitignore").write_text(IGNORE_ALL, encoding="utf-8")
