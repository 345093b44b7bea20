"""What a command imports before it does anything: start-up is part of every re-plan.

Each command runs the way a user runs it, `python -X importtime -m trainops ...`, in a copy of
the examples against the embedded sandbox, and what it imported is read from the importtime
lines on stderr. Those lines show `import` statements only (not importlib.import_module), so
only modules trainops imports by statement are pinned here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Set
from pathlib import Path

import pytest

from tests.support.paths import EXAMPLES
from tests.support.workspace import init_repo, train_all
from trainops.cache.load import RACY_NS

# Needed only off the common path: the manifest validation (pydantic models) when a manifest
# changed.
VALIDATION = ("trainops.manifest.load", "trainops.manifest.schema")
# The official SDK is the tests' reference for the wire format; trainops talks plain httpx.
SDK = ("scenario_sdk",)


def imported(root: Path, *argv: str) -> frozenset[str]:
    """The modules `trainops ARGV...` imported, run in a fresh interpreter in `root`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "trainops", *argv],
        cwd=root,
        capture_output=True,
        text=True,
    )
    timings = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert done.returncode == 0, "\n".join(set(done.stderr.splitlines()) - set(timings))
    return frozenset(line.rsplit("|", 1)[1].strip() for line in timings[1:])  # [0]: header


def among(modules: Set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages or m in packages)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, frozenset[str]]:
    root = tmp_path_factory.mktemp("startup") / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".trainops"))
    # A workspace planned before has its state folder; the first plan creating it changes the
    # listing of the root, so the plan after it is cold again.
    (root / ".trainops").mkdir()
    init_repo(root)
    time.sleep(RACY_NS / 1e9)  # copied files are new: a load trusts their stat once older
    cold = imported(root, "plan", "--sandbox")
    assert train_all(root) == {
        "Day to Night": 1,
        "Hero Character": 1,
        "Narrator": 1,
        "Soft Watercolor": 1,
    }
    return {
        "cold plan": cold,
        # --detailed-exitcode: 0 only if the plan is empty, the re-plan of an unchanged repo
        "warm plan": imported(root, "plan", "--sandbox", "--detailed-exitcode"),
        "warm apply": imported(root, "apply", "--sandbox", "--yes"),
    }


def test_a_cold_plan_validates_every_manifest(runs: dict[str, frozenset[str]]) -> None:
    assert among(runs["cold plan"], VALIDATION) == list(VALIDATION)


@pytest.mark.parametrize("command", ["warm plan", "warm apply"])
def test_a_warm_command_with_nothing_to_do_neither_validates_nor_diffs_in_detail(
    runs: dict[str, frozenset[str]], command: str
) -> None:
    assert among(runs[command], VALIDATION) == []


def test_no_command_imports_the_official_sdk(runs: dict[str, frozenset[str]]) -> None:
    assert {name: among(modules, SDK) for name, modules in runs.items()} == {
        "cold plan": [],
        "warm plan": [],
        "warm apply": [],
    }
