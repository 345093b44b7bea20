# ruff: noqa: E501  (snapshots hold whole warning lines)
"""Each per-item lint message is read back by exactly one kind of `lintgroups`, and no other
warning is: the fixtures' expected warnings (tests/fixtures/lint) hold the lint's own words."""

from __future__ import annotations

import shutil
from pathlib import Path

from inline_snapshot import snapshot

from tests.support.cli import Cli
from tests.support.paths import FIXTURES
from trainops.errors import Diagnostic
from trainops.manifest.lint import LFS_NOTE
from trainops.manifest.lintgroups import KINDS, grouped, is_advice

PER_ITEM = {"duplicate-image", "small-image", "tag-case", "fractional-count"}


def _expected() -> list[tuple[str, str]]:
    out = []
    for path in sorted((FIXTURES / "lint").glob("*.yaml")):
        for line in path.read_text().splitlines():
            if line.startswith("# expect: warning: "):
                message = line.split(": ", 4)[4]
                out.append((path.stem, message))
    return out


def test_each_per_item_message_is_read_by_one_kind_and_no_other_warning_is() -> None:
    expected = _expected()
    assert {stem for stem, _ in expected} >= PER_ITEM
    for stem, message in expected:
        readers = [k for k in KINDS if k.read(message) is not None]
        assert len(readers) == (1 if stem in PER_ITEM else 0), (stem, message)


def test_the_lint_is_advice_and_a_legacy_type_is_not() -> None:
    """A legacy type may be refused by the API: every command says it, `--quiet` or not."""
    for stem, message in _expected():
        legacy = "is a legacy type" in message
        d = Diagnostic("f.yaml", 1, "spec", message, severity="warning")
        assert is_advice(d) is not legacy, (stem, message)


def test_two_tags_of_one_model_are_one_line_with_the_hint(tmp_path: Path, cli: Cli) -> None:
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    assert cli("validate", "lint/tag-case.yaml", cwd=tmp_path / "fixtures") == 0
    assert cli.err.splitlines()[:2] == snapshot(
        [
            "warning: lint/tag-case.yaml:7: lint-tag-case: 2 tags of more than lower-case letters, digits and :._@/- or over 64 characters: 'Watercolor', 'two words': an API that normalises tags would store them otherwise and apply would stop this model",
            "  hint: `trainops doctor` shows whether this account keeps tags verbatim",
        ]
    )


def test_git_lfs_pointers_of_every_model_are_one_line() -> None:
    def note(file: str, message: str) -> Diagnostic:
        return Diagnostic(file, 8, "spec.trainingImages", message, severity="warning")

    warnings = [
        note(
            "a/model.yaml",
            f"3 training files are Git LFS pointers (a/0.png, a/1.png, +1 more): {LFS_NOTE}",
        ),
        note("b/model.yaml", f"1 training file is a Git LFS pointer (b/0.png): {LFS_NOTE}"),
    ]
    assert all(is_advice(w) for w in warnings)
    assert grouped(warnings) == snapshot(
        [
            "4 files are Git LFS pointers: a/0.png, a/1.png, +2 more: pixel checks skipped; `git lfs pull` runs them"
        ]
    )
    assert grouped(warnings[1:]) == [f"b/model.yaml:8: spec.trainingImages: {warnings[1].message}"]
