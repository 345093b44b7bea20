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


def deleted_declarations(root: Path, ref: str) -> tuple[tuple[str, str], ...]:
    """(key, workspace-relative path) of every model a manifest under `root` declared at `ref`,
    in the YAML files changed since then (deleted, or edited to declare other models): the
    caller keeps the keys no manifest declares now, models whose manifests are gone."""
    import git
    import yaml

    repo = git.Repo(root, search_parent_directories=True)  # `changed_since` vouched for it
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        names = repo.git.diff("--name-only", "--no-renames", ref, "--", root).splitlines()
    except git.GitCommandError as exc:
        raise ConfigError(
            f"--changed-since {ref}: git does not know this ref",
            hint="use a branch, tag or commit, e.g. --changed-since origin/main",
        ) from exc
    out: list[tuple[str, str]] = []
    for name in names:
        if not name.endswith((".yaml", ".yml")):
            continue
        try:
            text = repo.git.show(f"{ref}:{name}")
        except git.GitCommandError:
            continue  # added since the ref: it declared nothing then
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # it was no manifest of trainops's either
        path = (top / name).relative_to(root.resolve()).as_posix()
        out += [(key, path) for key in _model_keys(docs)]
    return tuple(sorted(set(out)))


def _model_keys(docs: list[object]) -> list[str]:
    keys = []
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Model":
            continue
        if doc.get("apiVersion") != "trainops/v1":
            continue
        meta = doc.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            keys.append(meta["name"])
    return keys


def path_in_repo(root: Path) -> str | None:
    """`root`'s path inside its git repository, POSIX ("" at the top), or None outside git."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    top = Path(str(repo.working_tree_dir)).resolve()
    rel = root.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel


def files_at(root: Path, ref: str) -> tuple[str, ...]:
    """The repository paths of the files under `root` at `ref` (one `git ls-tree`); empty when
    git does not have that commit (a shallow checkout) or `root` is outside git."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        out = repo.git.ls_tree("-r", "--name-only", "-z", ref, "--", str(root.resolve()))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return ()
    return tuple(p for p in out.split("\0") if p)
