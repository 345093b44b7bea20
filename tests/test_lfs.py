"""Issue 17: with the real git-lfs and a bare remote over file://, a clone whose images are LFS
pointers plans without fetching anything, and apply fetches exactly the objects it uploads,
checked against their oids. CI installs git-lfs (.ci/run): these tests never skip."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.lfs import (
    fetched,
    git,
    lfs_source,
    pointer_clone,
    push,
    remote_object,
)
from tests.support.workspace import actions, app_for, client_for, plan, plan_and_apply, png, results
from trainops import lfs
from trainops.manifest import lfs as pointers
from trainops.sandbox.client import SANDBOX_DB
from trainops.watch import wait_for_trainings


def oid_of(file: Path) -> str:
    return pointers.parse(file.read_bytes()).oid


def uploaded(root: Path) -> set[str]:
    """The sha256 of every file the sandbox received."""
    with sqlite3.connect(root / SANDBOX_DB) as db:
        return {
            hashlib.sha256(data).hexdigest() for (data,) in db.execute("SELECT data FROM assets")
        }


def test_git_lfs_is_installed() -> None:
    assert lfs.shutil.which("git-lfs"), "install git-lfs: `apt-get install git-lfs`"


@synchronous
async def test_plan_fetches_nothing_and_apply_only_what_it_uploads(tmp_path: Path) -> None:
    src = lfs_source(tmp_path)
    root = pointer_clone(tmp_path)
    app = app_for(root)
    async with client_for(app, root) as client:
        _, first = await plan(root, client)
        assert actions(first) == {"alpha": "create", "beta": "create"}
        assert fetched(root) == set()  # the plan read pointers: no object came down
        oids = {oid_of(f) for f in root.glob("*/images/*.png")}
        outcome = await plan_and_apply(root, client)
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        assert fetched(root) == oids
        assert uploaded(root) == oids  # the images themselves, never their pointers

    new = src / "models" / "beta" / "images" / "beta-6.png"
    new.write_bytes(png(99))
    push(src, "one more image for beta")
    git(root.parent, "pull", "-q", "--ff-only", GIT_LFS_SKIP_SMUDGE="1")
    added = oid_of(root / "beta" / "images" / "beta-6.png")
    async with client_for(app, root) as client:
        outcome = await plan_and_apply(root, client)
        assert actions(outcome) == {"alpha": "none", "beta": "train"}
        assert results(outcome) == {"alpha": "skipped", "beta": "done"}
        assert fetched(root) == {*oids, added}  # beta's new image alone
        assert added in uploaded(root)
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, again = await plan(root, client)
        assert actions(again) == {"alpha": "none", "beta": "none"}


@synchronous
async def test_a_missing_object_fails_its_model_alone(tmp_path: Path) -> None:
    lfs_source(tmp_path)
    root = pointer_clone(tmp_path)
    gone = root / "beta" / "images" / "beta-2.png"
    oid = oid_of(gone)
    remote_object(tmp_path, oid).unlink()
    alpha = {oid_of(f) for f in root.glob("alpha/images/*.png")}
    async with client_for(app_for(root), root) as client:
        outcome = await plan_and_apply(root, client)
    assert results(outcome) == {"alpha": "done", "beta": "failed"}
    (beta,) = (m for m in outcome.models if m.key == "beta")
    assert beta.detail.startswith(
        f"beta/images/beta-2.png is a Git LFS pointer whose object {oid} is missing: "
        "`git lfs pull` failed: "
    )
    assert pointers.is_pointer(gone.read_bytes())
    assert uploaded(root) == alpha


@synchronous
async def test_a_corrupt_object_fails_its_model_and_is_not_uploaded(tmp_path: Path) -> None:
    lfs_source(tmp_path)
    root = pointer_clone(tmp_path)
    bad = root / "alpha" / "images" / "alpha-3.png"
    oid, size = oid_of(bad), pointers.parse(bad.read_bytes()).size
    # Of the right size in the clone's own store: git-lfs checks it out as it is.
    local = root.parent / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(b"\0" * size)
    async with client_for(app_for(root), root) as client:
        outcome = await plan_and_apply(root, client)
    assert results(outcome) == {"alpha": "failed", "beta": "done"}
    (alpha,) = (m for m in outcome.models if m.key == "alpha")
    zero = hashlib.sha256(b"\0" * size).hexdigest()
    assert alpha.detail.startswith(
        f"alpha/images/alpha-3.png: its Git LFS object {oid} is corrupt (its content's sha256 "
        f"is {zero})"
    )
    assert zero not in uploaded(root)


def test_without_git_lfs_apply_says_what_to_install(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    lfs_source(tmp_path, keys=("alpha",))
    root = pointer_clone(tmp_path)
    bin_dir = tmp_path / "bin"  # git alone, without git-lfs beside it
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(lfs.shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(bin_dir))
    assert cli("apply", "--sandbox", "--yes", cwd=root) == 1
    assert (
        "alpha: create failed — alpha/images/alpha-1.png is a Git LFS pointer and git-lfs is not "
        "installed: apply cannot fetch what it uploads (hint: install git-lfs (`apt-get install "
        "git-lfs`, `brew install git-lfs`, https://git-lfs.com))"
    ) in cli.out + cli.err
    assert fetched(root) == set()


@pytest.mark.parametrize("name", ["a,b.png", "x[1].png", "s p.png", "#h.png", "!e.png", "q?.png"])
def test_a_path_with_pattern_characters_fetches_that_file(tmp_path: Path, name: str) -> None:
    src = lfs_source(tmp_path, keys=("alpha",))
    images = src / "models" / "alpha" / "images"
    (images / name).write_bytes(png(50))
    (images / "sibling.png").write_bytes(png(51))
    push(src, "odd names")
    root = pointer_clone(tmp_path)
    target = root / "alpha" / "images" / name
    oid = oid_of(target)
    lfs.fetch(root, [(f"alpha/images/{name}", oid)], environ=os.environ)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == oid
    assert fetched(root) == {oid}


def test_the_child_environment_holds_no_credentials() -> None:
    env = {"PATH": "/bin", "SCENARIO_API_SECRET": "s", "WANDB_KEY": "w", "MY_API_KEY": "k"}
    assert lfs.child_env(env) == {"PATH": "/bin"}


def test_the_report_fetches_the_objects_it_shows_and_marks_one_it_cannot_have(
    tmp_path: Path, cli: Cli
) -> None:
    lfs_source(tmp_path)
    root = pointer_clone(tmp_path)
    gone = root / "beta" / "images" / "beta-2.png"
    remote_object(tmp_path, oid_of(gone)).unlink()
    oids = {oid_of(f) for f in root.glob("*/images/*.png")} - {oid_of(gone)}
    assert cli("report", "--sandbox", "--out", "report.html", cwd=root) == 0
    page = (root / "report.html").read_text()
    assert fetched(root) == oids  # every picture it shows, and nothing else
    assert page.count("a Git LFS pointer whose object could not be fetched") == 1
    assert page.count('src="data:image/') == len(oids)
    assert "beta/images/beta-2.png is a Git LFS pointer whose object" in cli.err
