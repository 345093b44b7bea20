"""Content facts about training files (sha256, format, pixel size), cached by path, size,
mtime_ns, ctime_ns and inode in `<root>/.trainops/hash-cache.json`, so a re-run over thousands of
images reads none. The ctime catches edits that keep the mtime (`cp -p`, `rsync -t`, tar).

The cache is a pure optimisation: a corrupt or foreign file is ignored and rebuilt.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from trainops.manifest.media import FileFacts, read_facts
from trainops.statedir import read_entries, write_entries

CACHE_VERSION = 5  # 4: FileFacts.complete; 5: FileFacts.lfs and the bytes on disk
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
        # Not checked entry by entry (a warm plan reads thousands): `get` refuses a bad one.
        return cast("dict[str, dict[str, object]]", read_entries(self.file, CACHE_VERSION))

    def _key(self, path: Path) -> str:
        # String slicing, not Path.relative_to: called for every file of every run.
        text = path.as_posix()
        return text[len(self._prefix) :] if text.startswith(self._prefix) else text

    def facts(self, path: Path) -> FileFacts:
        st = path.stat()
        key = self._key(path)
        # `bytes` is the file's own size: a Git LFS pointer's facts hold its content's.
        stamp = {
            "bytes": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns,
            "ino": st.st_ino,
        }
        hit = self._hit(key, stamp)
        if hit is not None:
            return hit
        facts = read_facts(path)
        self.reads += 1
        self.entries[key] = {**stamp, **vars(facts)}  # not asdict: it deep-copies
        self.dirty = True
        return facts

    def _hit(self, key: str, stamp: dict[str, int]) -> FileFacts | None:
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        if any(entry.get(k) != v for k, v in stamp.items()):
            return None
        try:
            names = ("sha256", "size", "kind", "width", "height", "seconds", "complete", "lfs")
            fields = {k: entry[k] for k in names}
            return FileFacts(**fields)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return None

    def save(self) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a cache."""
        if not self.dirty:
            return
        # Unsorted: a cache needs no stable order, and sorting thousands of entries is not free.
        write_entries(self.file, CACHE_VERSION, self.entries)
        self.dirty = False
