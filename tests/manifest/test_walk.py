"""Finding the manifests survives what a pull request can put under the paths (issue 11): links
that loop, links to an ancestor, FIFOs named like manifests. Found by the fuzz test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.manifests import FLUX_MODEL
from tests.support.paths import IMAGES


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "img").mkdir()
    for i in range(1, 6):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", tmp_path / "img")
    (tmp_path / "m.yaml").write_text(FLUX_MODEL.format(name="hero", images="img/*.png"))
    return tmp_path


@pytest.mark.parametrize(
    "make",
    [
        lambda root: (root / "img" / "self.png").symlink_to(root / "img" / "self.png"),
        lambda root: (root / "img" / "up").symlink_to(root),
        lambda root: os.mkfifo(root / "pipe.yaml"),
        lambda root: os.mkfifo(root / "img" / "ok-01.txt"),
    ],
    ids=["self-link", "link-to-ancestor", "fifo-manifest", "fifo-caption"],
)
def test_the_load_ends_without_a_traceback(cli: Cli, root: Path, make: object) -> None:
    make(root)  # type: ignore[operator]
    assert cli("validate", cwd=root) in (0, 1)
    assert "Traceback" not in cli.err
    assert cli("validate", cwd=root) == cli.code  # and again, through the load cache


def test_a_link_to_an_ancestor_is_walked_once(cli: Cli, root: Path) -> None:
    (root / "img" / "up").symlink_to(root)
    assert cli("validate", cwd=root) == 0
    assert cli.out == "ok: 1 model valid in workspace " + root.name + "\n"
