"""`trainops cache clean`: both caches of the workspace go, the sandbox's state stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.workspace import make_workspace
from trainops.cache.load import CACHE_DIR
from trainops.cli import main


def test_clean_removes_the_load_and_hash_caches_of_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(ws / "alpha")  # inside the workspace, below its root
    assert main(["validate"]) == 0
    sandbox = ws / ".trainops" / "sandbox.db"
    sandbox.write_bytes(b"state")
    (ws / ".trainops" / ".hash-cache.x1y2").write_text("{")  # left by a killed run
    caches = [ws / CACHE_DIR, ws / ".trainops" / "hash-cache.json"]
    assert [p.exists() for p in caches] == [True, True]
    capsys.readouterr()

    assert main(["cache", "clean"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "removed ../.trainops/load-cache",
        "removed ../.trainops/hash-cache.json",
        "removed ../.trainops/.hash-cache.x1y2",
    ]
    assert [p.exists() for p in caches] == [False, False]
    assert sandbox.read_bytes() == b"state"

    assert main(["cache", "clean", str(ws)]) == 0
    assert capsys.readouterr().out == "no cache to remove in ..\n"


def test_clean_of_a_path_that_does_not_exist_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["cache", "clean", "nowhere"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: nowhere does not exist",
        "hint: name a directory or manifest of the workspace, or run it from inside one",
    ]


def test_clean_has_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit):
        main(["cache", "clean", "--help"])
    assert capsys.readouterr().out.splitlines() == [
        "usage: trainops cache clean [-h] [PATH]",
        "",
        "Remove the manifest load cache (.trainops/load-cache/) and the training files' hash cache",
        "(.trainops/hash-cache.json) of the workspace holding PATH. Both are optimisations only: "
        "the next",
        "command rebuilds them. The sandbox's state is kept.",
        "",
        "positional arguments:",
        "  PATH        a directory or manifest of the workspace (default: .)",
        "",
        "options:",
        "  -h, --help  show this help message and exit",
    ]
