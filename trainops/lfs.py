"""Git LFS objects for apply: fetch exactly the files a model uploads (issue 17).

A plan reads pointers and downloads nothing (`trainops.manifest.lfs`). Apply, for each model with
files to upload, runs one `git lfs pull --include=<those paths>` for the ones still pointers on
disk; the caller then checks every file's sha256 against its oid before uploading it. The only
module that runs git-lfs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from trainops.errors import TrainopsError
from trainops.manifest import guard, lfs

TIMEOUT = 1800.0  # seconds for one model's objects: gigabytes over a slow link
INSTALL = "install git-lfs (`apt-get install git-lfs`, `brew install git-lfs`, https://git-lfs.com)"
# `git -c` for this run only: a clone where `git lfs install` never ran has no LFS filter, and
# `git lfs pull` would fetch the objects but leave the pointers in place.
_FILTER = (
    "filter.lfs.process=git-lfs filter-process",
    "filter.lfs.smudge=git-lfs smudge -- %f",
    "filter.lfs.clean=git-lfs clean -- %f",
    "filter.lfs.required=true",
)
# Never handed to git or git-lfs: ours, and what commonly holds a token a hook could read.
_SECRET_WORDS = ("SCENARIO", "SECRET", "PASSWORD", "API_KEY", "APIKEY", "WANDB")
_GLOB = frozenset("*?[]\\!#")


class LfsError(TrainopsError):
    """A Git LFS object apply needs could not be had: git-lfs missing, a fetch that failed, an
    object that is not what its pointer says."""


def is_pointer(path: Path) -> bool:
    """Whether the file on disk is (still) a pointer rather than its content. A file the guard
    refuses is none: reading it for upload refuses it with the reason (`sync.read_file`)."""
    try:
        with guard.open_regular(path.resolve(), guard.MEDIA, capped=False) as fh:
            return lfs.is_pointer(fh.read(lfs.MAX_BYTES))
    except guard.Refused:
        return False


def pattern(path: str) -> str:
    """`path` as a git-lfs --include pattern matching it alone: gitignore rules, where a
    backslash makes the next character literal. A comma cannot be escaped (git-lfs splits the
    list on it: https://github.com/git-lfs/git-lfs/issues/2264), so it becomes `?`, which may
    fetch a sibling too; never less."""
    return "".join("?" if c == "," else f"\\{c}" if c in _GLOB else c for c in path)


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for git: this one without our credentials or anything named like one."""
    return {k: v for k, v in environ.items() if not any(w in k.upper() for w in _SECRET_WORDS)}


def fetch(root: Path, files: Sequence[tuple[str, str]], *, environ: Mapping[str, str]) -> None:
    """Make every `(path, oid)` of `files` (paths relative to `root`) hold its content: one
    `git lfs pull` for those still pointers, then each checked against its oid. Raises LfsError
    naming the first file that is missing or corrupt; never leaves a pointer to be uploaded."""
    wanted = [(p, oid) for p, oid in files if is_pointer(root / p)]
    if not wanted:
        return
    failure = pull(root, [p for p, _ in wanted], environ)
    for path, oid in wanted:
        _check(root / path, path, oid, failure)


def _check(file: Path, path: str, oid: str, failure: str) -> None:
    if is_pointer(file):
        why = f"`git lfs pull` failed: {failure}" if failure else "`git lfs pull` did not fetch it"
        raise LfsError(
            f"{path} is a Git LFS pointer whose object {oid} is missing: {why}",
            hint="push the object from a clone that has it (`git lfs push --all origin`), "
            "or restore the file, then apply again",
        )
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    if digest.hexdigest() != oid:
        raise LfsError(
            f"{path}: its Git LFS object {oid} is corrupt (its content's sha256 is "
            f"{digest.hexdigest()})",
            hint="delete it from .git/lfs/objects and the LFS remote, push it again from a "
            "clone that has it intact, then apply again",
        )


def pull(root: Path, paths: Sequence[str], environ: Mapping[str, str]) -> str:
    """One `git lfs pull` of `paths` (relative to `root`): fetch their objects and check them
    out. Returns why it failed ("" when it did not); raises LfsError when it cannot run."""
    env = child_env(environ)
    if shutil.which("git-lfs", path=env.get("PATH", os.defpath)) is None:
        raise LfsError(
            f"{paths[0]} is a Git LFS pointer and git-lfs is not installed: apply cannot "
            "fetch what it uploads",
            hint=INSTALL,
        )
    top = _toplevel(root, env)
    rel = [os.path.relpath(root / p, top).replace(os.sep, "/") for p in paths]
    include = ",".join(pattern(p) for p in rel)
    config = [arg for c in _FILTER for arg in ("-c", c)]
    # --exclude="": a `lfs.fetchexclude` in the repository must not skip a file we upload.
    return _run([*config, "lfs", "pull", f"--include={include}", "--exclude="], top, env)


def _toplevel(root: Path, env: dict[str, str]) -> Path:
    try:
        done = _git(["rev-parse", "--show-toplevel"], root, env, 60)
    except subprocess.TimeoutExpired:
        hint = "check the clone, then apply again"
        raise LfsError(f"git did not answer in {root}", hint=hint) from None
    if done.returncode != 0:
        raise LfsError(
            f"{root} holds Git LFS pointers but is not in a git repository: {done.stderr.strip()}",
            hint="run apply in the clone the manifests come from",
        )
    return Path(done.stdout.strip())


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    try:
        done = _git(args, cwd, env, TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"it took over {TIMEOUT:g} s"
    if done.returncode == 0:
        return ""
    return " ".join(done.stderr.strip().splitlines()[-3:])[-400:] or f"exit {done.returncode}"


def _git(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git", path=env.get("PATH", os.defpath))
    if git is None:
        raise LfsError("git is not installed: apply cannot fetch Git LFS objects", hint=INSTALL)
    try:
        # No shell: every path is one argument of its own.
        return subprocess.run(  # noqa: S603  (argv is git and our own arguments)
            [git, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except OSError as exc:
        raise LfsError(f"git could not start: {exc.strerror}", hint=INSTALL) from None
