"""Issue 11, item 5: a manifest that cannot be decoded is an error, an empty one a warning, and
`Desired.unloaded_files` names the files that declared nothing (through the load cache too)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.workspace import make_workspace
from trainops.cache.load import RACY_NS, CachedLoad
from trainops.manifest.load import load_desired


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


def test_a_latin1_manifest_is_an_error_naming_it(cli: Cli, ws: Path) -> None:
    model = ws / "alpha" / "model.yaml"
    model.write_bytes(
        model.read_text().replace("name: Alpha", "name: Alpha café").encode("latin-1")
    )
    assert cli("validate", cwd=ws) == 1
    assert cli.err == (
        "alpha/model.yaml:0: (file): cannot read: not UTF-8 text (byte 0xe9 on line 7)\n"
        "  hint: save the file as UTF-8\n"
        "error: 1 error(s) in manifests\n"
    )


def test_another_tools_latin1_yaml_is_skipped(cli: Cli, ws: Path) -> None:
    (ws / "notes.yaml").write_bytes("title: café\n".encode("latin-1"))
    assert cli("validate", cwd=ws) == 0


@pytest.mark.parametrize("text", ["", "\n  \n", "# nothing yet\n---\n# still nothing\n"])
def test_an_empty_manifest_is_a_warning_naming_it(cli: Cli, ws: Path, text: str) -> None:
    (ws / "alpha" / "model.yaml").write_text(text)
    assert cli("validate", cwd=ws) == 0
    assert cli.err == (
        "warning: alpha/model.yaml:1: (file): is empty: no model is declared in it\n"
        "  hint: restore its manifest, or delete the file if its models are meant to go\n"
    )
    desired, _ = load_desired([], cwd=ws)
    assert ([m.key for m in desired.models], desired.unloaded_files) == (
        ["beta"],
        ("alpha/model.yaml",),
    )


def test_unloaded_files_are_relative_to_the_workspace_root(ws: Path) -> None:
    (ws / "alpha" / "model.yaml").write_text("")
    desired, _ = load_desired(["../alpha"], cwd=ws / "beta")
    assert desired.unloaded_files == ("alpha/model.yaml",)
    assert load_desired([], cwd=ws / "beta")[0].unloaded_files == ()  # alpha not under the path


def test_unloaded_files_survive_the_load_cache(ws: Path) -> None:
    (ws / "alpha" / "model.yaml").write_text("# emptied\n")
    CachedLoad([], cwd=ws).load()  # creates .trainops/ in the root
    time.sleep(RACY_NS / 1e9 + 0.1)  # inputs this fresh are never trusted by the cache
    expected = CachedLoad([], cwd=ws).load()
    again = CachedLoad([], cwd=ws)
    assert again.load() == expected
    assert again.stats.cache_hit
    assert expected[0].unloaded_files == ("alpha/model.yaml",)
    (ws / "beta" / "model.yaml").write_text("")  # a miss now: alpha's share is reused
    third = CachedLoad([], cwd=ws)
    assert third.load()[0].unloaded_files == ("alpha/model.yaml", "beta/model.yaml")
    assert third.stats.reused_files == 1


def test_a_latin1_trainops_yaml_is_an_error_naming_it(cli: Cli, ws: Path) -> None:
    (ws / "trainops.yaml").write_bytes(
        b"apiVersion: trainops/v1\nkind: Workspace\nworkspace: caf\xe9\n"
    )
    assert cli("validate", cwd=ws) == 1
    assert cli.err == (
        "trainops.yaml:0: (file): cannot read: not UTF-8 text (byte 0xe9)\n"
        "error: 1 error(s) in manifests\n"
    )


def test_a_utf16_manifest_is_an_error_naming_it(cli: Cli, ws: Path) -> None:
    model = ws / "alpha" / "model.yaml"
    model.write_bytes(model.read_text().encode("utf-16"))
    assert cli("validate", cwd=ws) == 1
    assert cli.err.splitlines()[0] == (
        "alpha/model.yaml:0: (file): cannot read: not UTF-8 text (byte 0xff on line 1)"
    )
