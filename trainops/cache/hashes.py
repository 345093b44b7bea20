"""Content facts about training files (sha256, format, pixel size), cached by path, size,
mtime_ns, ctime_ns and inode in `<root>/.trainops/hash-cache.json`, so a re-run over thousands of
images reads none. The ctime catches edits that keep the mtime (`cp -p`, `rsync -t`, tar).

The cache is a pure optimisation: a corrupt or foreign file is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from trainops.cache.memo import write_atomically
from trainops.manifest.media import FileFacts, read_facts
from trainops.statedir import make_parent

CACHE_VERSION = 4  # 4: FileFacts.complete
CACHE_FILE = Path(".trainops") / "hash-cache.json"


class HashCache:
    """`facts(path)` with a persistent cache (a `FactSource`); call `save()` once at the end
    of a run."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.file = self.root / CACHE_FILE
        self._prefix = self.root.as_posix().rstrip("/") + "/"
        self.entries = self._load()
        self.dirty = False
        self.reads = 0  # files actually read during this run (for reporting and tests)

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _key(self, path: Path) -> str:
        # String slicing, not Path.relative_to: called for every file of every run.
        text = path.as_posix()
        return text[len(self._prefix) :] if text.startswith(self._prefix) else text

    def facts(self, path: Path) -> FileFacts:
        st = path.stat()
        key = self._key(path)
        stamp = {"mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "ino": st.st_ino}
        hit = self._hit(key, st.st_size, stamp)
        if hit is not None:
            return hit
        facts = read_facts(path)
        self.reads += 1
        self.entries[key] = {**stamp, **vars(facts)}  # not asdict: it deep-copies
        self.dirty = True
        return facts

    def _hit(self, key: str, size: int, stamp: dict[str, int]) -> FileFacts | None:
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        if entry.get("size") != size or any(entry.get(k) != v for k, v in stamp.items()):
            return None
        try:
            names = ("sha256", "size", "kind", "width", "height", "seconds", "complete")
            fields = {k: entry[k] for k in names}
            return FileFacts(**fields)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return None

    def save(self) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a cache."""
        if not self.dirty:
            return
        # Unsorted: a cache needs no stable order, and sorting thousands of entries is not free.
        body = json.dumps({"version": CACHE_VERSION, "entries": self.entries})
        with contextlib.suppress(OSError):  # a read-only checkout still validates
            make_parent(self.file)
            write_atomically(self.file, body)
        self.dirty = False
