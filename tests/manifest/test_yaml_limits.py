"""Issue 11, item 3: hostile YAML ends in `file:line` errors within a memory and time budget,
and another tool's YAML is skipped unread past its header, even when it is a bomb."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.yaml_bombs import BOMBS, HEADER, billion_laughs
from trainops.errors import ManifestError
from trainops.manifest.load import load_desired

MEMORY = 64 * 1024 * 1024  # bytes allocated at the peak of one load
SECONDS = 5.0


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\nworkspace: ws\n"
    )
    return tmp_path


@pytest.fixture
def budget() -> Iterator[None]:
    """The test's body stays under MEMORY (Python allocations) and SECONDS."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY
    assert time.perf_counter() - started < SECONDS


def _errors(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as exc:
        load_desired([], cwd=root)
    return [str(d) for d in exc.value.diagnostics]


HINT = "  hint: a manifest is a few levels and a few hundred values; this file looks generated"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("laughs", "m.yaml:8: (yaml): more than 50,000 values once aliases are expanded"),
        ("recursive", "m.yaml:4: (yaml): alias *a is inside its own anchor &a (a recursive value)"),
        ("deep_flow", "m.yaml:4: (yaml): nested deeper than 50 levels"),
        ("deep_block", "m.yaml:54: (yaml): nested deeper than 50 levels"),
        ("deep_aliases", "m.yaml:53: (yaml): nested deeper than 50 levels"),
        ("many_values", "m.yaml:4: (yaml): more than 50,000 values once aliases are expanded"),
    ],
)
@pytest.mark.usefixtures("budget")
def test_a_hostile_manifest_is_a_located_error(root: Path, name: str, expected: str) -> None:
    (root / "m.yaml").write_text(HEADER + BOMBS[name])
    assert _errors(root) == [f"{expected}\n{HINT}"]


@pytest.mark.parametrize("name", sorted(BOMBS))
@pytest.mark.usefixtures("budget")
def test_another_tools_bomb_is_skipped(root: Path, name: str) -> None:
    (root / ".ci.yaml").write_text("x")  # dot-files are never read: this one is a control
    (root / "ci.yaml").write_text("on: push\n" + BOMBS[name])
    desired, warnings = load_desired([], cwd=root)
    assert (desired.models, warnings) == ((), [])


def test_a_manifest_over_the_size_cap_is_an_error(root: Path) -> None:
    (root / "m.yaml").write_text(HEADER + "spec:\n" + "  # padding\n" * 100_000)
    assert _errors(root) == [
        "m.yaml:0: (file): is over the 1 MB limit per manifest\n"
        "  hint: split it: one manifest file per model is the convention"
    ]


def test_a_big_file_of_another_tool_is_skipped(root: Path) -> None:
    (root / "data.yaml").write_text("rows:\n" + "  - 1\n" * 300_000)
    assert load_desired([], cwd=root)[0].models == ()


@pytest.mark.usefixtures("budget")
def test_the_cli_reports_a_bomb_with_exit_1(cli: Cli, root: Path) -> None:
    (root / "m.yaml").write_text(billion_laughs(HEADER))
    assert cli("validate", cwd=root) == 1
    assert cli.err.splitlines()[0] == (
        "m.yaml:8: (yaml): more than 50,000 values once aliases are expanded"
    )
    assert cli("plan", "--sandbox", cwd=root) == 1
