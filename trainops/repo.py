"""The git repository the manifests live in: the commit a training is recorded with, and which
files changed since a ref (for `plan --changed-since`)."""

from __future__ import annotations

from pathlib import Path

from trainops.errors import ConfigError


def head_commit(root: Path) -> str | None:
    """HEAD's sha of the repository holding `root`, or None outside git (or before a commit)."""
    import git  # deferred: slow to import, and only plan/apply need it

    try:
        return str(git.Repo(root, search_parent_directories=True).head.commit.hexsha)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None


def changed_since(root: Path, ref: str) -> frozenset[Path]:
    """Absolute paths of files changed between `ref` and the working tree, untracked included."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ConfigError(
            f"--changed-since needs a git repository, and {root} is not in one",
            hint="drop --changed-since to plan every manifest",
        ) from exc
    try:
        names = repo.git.diff("--name-only", ref).splitlines()
    except git.GitCommandError as exc:
        raise ConfigError(
            f"--changed-since {ref}: git does not know this ref",
            hint="use a branch, tag or commit, e.g. --changed-since origin/main",
        ) from exc
    top = Path(str(repo.working_tree_dir)).resolve()
    return frozenset(top / n for n in [*names, *repo.untracked_files])
