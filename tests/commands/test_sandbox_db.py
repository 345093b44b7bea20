"""`--sandbox` keeps its state at the workspace root, whatever the current directory, and
`.trainops/` is made with a `.gitignore` that keeps all of it out of git."""

from __future__ import annotations

from pathlib import Path

import git

from tests.support.cli import Cli
from tests.support.workspace import write_model
from trainops.statedir import IGNORE_ALL, make_parent


def test_a_subdirectory_sees_the_sandbox_of_its_workspace(root: Path, cli: Cli) -> None:
    write_model(root, "hero")
    assert cli("apply", "--sandbox", "--yes", cwd=root) == 0, cli.err
    assert (root / ".trainops" / "sandbox.db").is_file()

    assert cli("status", "--sandbox", cwd=root / "hero") == 0, cli.err
    assert "not created" not in cli.out
    assert "hero" in cli.out
    assert not (root / "hero" / ".trainops").exists()

    # The same from outside the workspace, naming it.
    assert cli("status", "--sandbox", "shop/hero", cwd=root.parent) == 0, cli.err
    assert "not created" not in cli.out
    assert not (root.parent / ".trainops").exists()


def test_the_sandbox_of_a_git_workspace_without_settings_is_at_its_top(
    tmp_path: Path, cli: Cli
) -> None:
    repo = tmp_path / "repo"
    write_model(repo, "hero")
    git.Repo.init(repo)
    assert cli("apply", "--sandbox", "--yes", cwd=repo) == 0, cli.err
    assert cli("status", "--sandbox", cwd=repo / "hero" / "images") == 0, cli.err
    assert "not created" not in cli.out
    assert (repo / ".trainops" / "sandbox.db").is_file()
    assert not (repo / "hero" / "images" / ".trainops").exists()


def test_trainops_keeps_its_state_out_of_git(tmp_path: Path, cli: Cli) -> None:
    repo = tmp_path / "repo"
    write_model(repo, "hero")
    (repo / "trainops.yaml").write_text("apiVersion: trainops/v1\nkind: Workspace\nworkspace: r\n")
    git.Repo.init(repo)
    assert cli("plan", "--sandbox", cwd=repo) == 0, cli.err
    state = repo / ".trainops"
    assert (state / "sandbox.db").is_file()
    assert (state / ".gitignore").read_text() == IGNORE_ALL
    untracked = git.Repo(repo).untracked_files
    assert not [f for f in untracked if f.startswith(".trainops")]
    assert "hero/model.yaml" in untracked


def test_the_caches_make_it_with_its_gitignore_too(root: Path, cli: Cli) -> None:
    write_model(root, "hero")
    assert cli("validate", cwd=root) == 0, cli.err  # the load cache and the hash cache
    assert (root / ".trainops" / ".gitignore").read_text() == IGNORE_ALL


def test_an_existing_directory_is_left_as_it_is(tmp_path: Path) -> None:
    state = tmp_path / ".trainops"
    state.mkdir()
    make_parent(state / "load-cache" / "x.json")
    assert (state / "load-cache").is_dir()
    assert not (state / ".gitignore").exists()
    make_parent(tmp_path / "elsewhere" / "f.json")  # not a .trainops directory: no ignore file
    assert not (tmp_path / "elsewhere" / ".gitignore").exists()
