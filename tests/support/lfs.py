"""Real Git LFS repositories for tests: a source repository whose PNGs are LFS-tracked, pushed
to a bare remote over file:// (git-lfs transfers to it directly, no server), and clones of it
made with GIT_LFS_SKIP_SMUDGE=1, so their images are pointers until apply fetches them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.workspace import WORKSPACE, write_model

GIT = shutil.which("git") or "git"
WS = "models"  # the workspace lies below the repository's root: paths differ between the two


def git_env(**more: str) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "lfs",
        "GIT_AUTHOR_EMAIL": "lfs@example.invalid",
        "GIT_COMMITTER_NAME": "lfs",
        "GIT_COMMITTER_EMAIL": "lfs@example.invalid",
        "GIT_TERMINAL_PROMPT": "0",
        **more,
    }


def git(cwd: Path, *args: str, **env: str) -> str:
    done = subprocess.run(
        [GIT, *args], cwd=cwd, env=git_env(**env), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def lfs_source(tmp: Path, keys: tuple[str, ...] = ("alpha", "beta")) -> Path:
    """A repository at `tmp/src` with the workspace in `models/`, PNGs in LFS, pushed to
    `tmp/remote.git` (returned: `remote(tmp)`)."""
    src = tmp / "src"
    root = src / WS
    root.mkdir(parents=True)
    (root / "trainops.yaml").write_text(WORKSPACE)
    (src / ".gitignore").write_text(".trainops/\n")
    for n, key in enumerate(keys):
        write_model(root, key, steps=100 * (n + 1), first_shade=10 * n)
    git(tmp, "init", "-q", "--bare", "-b", "main", "remote.git")
    git(src, "init", "-q", "-b", "main")
    git(src, "lfs", "install", "--local")
    git(src, "lfs", "track", "*.png")
    git(src, "remote", "add", "origin", remote(tmp).as_uri())
    push(src, "LFS-tracked images")
    return src


def remote(tmp: Path) -> Path:
    return tmp / "remote.git"


def push(src: Path, message: str, *, objects: bool = True) -> None:
    """Commit everything and push; `objects=False` pushes the commit without its LFS objects
    (the pre-push hook is what uploads them)."""
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", message)
    git(src, "push", "-q", *(() if objects else ("--no-verify",)), "origin", "main")


def pointer_clone(tmp: Path, name: str = "clone") -> Path:
    """A clone of the remote whose LFS files are pointers; returns its workspace root."""
    git(tmp, "clone", "-q", remote(tmp).as_uri(), name, GIT_LFS_SKIP_SMUDGE="1")
    return tmp / name / WS


def fetched(clone_root: Path) -> set[str]:
    """The oids in the clone's LFS object store."""
    store = clone_root.parent / ".git" / "lfs" / "objects"
    return {p.name for p in store.rglob("*") if p.is_file()} if store.exists() else set()


def remote_object(tmp: Path, oid: str) -> Path:
    return remote(tmp) / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
