"""`.trainops/`, the directory of a workspace's local state (caches, the embedded sandbox's
database): made with a `.gitignore` of `*` the first time, so that nothing in it is ever
committed by a `git add .`, whoever creates it first."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
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


def write_atomically(target: Path, text: str) -> None:
    """Through a temporary file and a rename: a crash never leaves half a cache file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_entries(file: Path, version: int) -> dict[str, object]:
    """The `entries` of a state file `{"version", "entries"}`; empty when the file is missing,
    unreadable, foreign or of another version: such a file is a cache, rebuilt by its next save."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_entries(
    file: Path, version: int, entries: Mapping[str, object], *, sort: bool = False
) -> None:
    """Save what `read_entries` reads, atomically. A read-only checkout still works: the file
    is only a cache, so a failure to write it is no error."""
    body = json.dumps({"version": version, "entries": entries}, sort_keys=sort)
    with contextlib.suppress(OSError):
        make_parent(file)
        write_atomically(file, body)
