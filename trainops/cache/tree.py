"""The directories a load may have listed, as a graph of real directories, each walked once.

A directory's mtime changes when an entry is added to it, removed or renamed, so the stats of
every directory that manifest discovery or a glob could have listed cover the files that
appeared or disappeared without naming them. The walk goes where discovery and `glob` go: it
follows symbolic links and skips dot-entries (`.git`, `.trainops`, `.venv`); a dot-directory is
walked only when a training file lives in it (see `holding`).
"""

from __future__ import annotations

import os
import stat

from trainops.cache.stats import Sig

__all__ = ["Tree"]


class Tree:
    """Nodes are directories by (device, inode); `sigs[n]` is node n's stat, as walked."""

    def __init__(self) -> None:
        self.sigs: list[Sig] = []
        self._nodes: dict[tuple[int, int], int] = {}
        self._children: list[list[int]] = []
        self._reach: dict[int, frozenset[int]] = {}

    def walk(self, path: str) -> int | None:
        """The node of directory `path`, walked with all below it the first time it is seen;
        None when `path` is not a directory."""
        top = self._visit(path)
        if top is None:
            return None
        pending = [top[0]] if top[1] else []
        while pending:
            node = pending.pop()
            for sub in _subdirs(self.sigs[node][0]):
                found = self._visit(sub)
                if found is not None:
                    self._children[node].append(found[0])
                    if found[1]:
                        pending.append(found[0])
        return top[0]

    def _visit(self, path: str) -> tuple[int, bool] | None:
        """(node, first seen) of the directory at `path`."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            return None
        key = (st.st_dev, st.st_ino)
        node = self._nodes.get(key)
        if node is not None:
            return node, False
        node = self._nodes[key] = len(self.sigs)
        self.sigs.append((path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        self._children.append([])
        return node, True

    def reach(self, node: int) -> frozenset[int]:
        """`node` and every directory below it."""
        known = self._reach.get(node)
        if known is not None:
            return known
        out = {node}
        pending = [node]
        while pending:
            for child in self._children[pending.pop()]:
                if child not in out:
                    out.add(child)
                    pending.append(child)
        self._reach[node] = frozenset(out)
        return self._reach[node]

    def holding(self, directory: str, root: str) -> list[int]:
        """The nodes to watch for training files in `directory` (a real path): it, and each
        dot-directory between it and `root`, which no walk from above enters."""
        starts = [directory]
        top = root.rstrip("/") + "/"
        if directory.startswith(top):
            parts = directory[len(top) :].split("/")
            starts += [top + "/".join(parts[: i + 1]) for i, p in enumerate(parts) if p[:1] == "."]
        return [n for n in map(self.walk, starts) if n is not None]


def _subdirs(path: str) -> list[str]:
    try:
        with os.scandir(path) as listing:
            return [e.path for e in listing if e.name[0] != "." and _is_dir(e)]
    except OSError:
        return []  # gone or unreadable since it was listed: its own stat tells


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symbolic link that loops: no directory, and its siblings still count
        return False
