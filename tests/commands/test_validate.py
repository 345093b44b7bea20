# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli
from tests.support.paths import EXAMPLES, FIXTURES
from trainops.manifest.schema import json_schema


@pytest.fixture
def cli(tmp_path: Path, cli: Cli) -> Cli:
    """`trainops ...` in a copy of tests/fixtures (a workspace named `fixtures`)."""
    cli.cwd = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, cli.cwd)
    return cli


def test_validate_examples_exits_zero(tmp_path: Path, cli: Cli) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns(".trainops"))
    assert cli("validate", "examples", cwd=tmp_path) == 0
    assert (cli.out, cli.err) == (snapshot("ok: 4 models valid in workspace examples\n"), "")


def test_validate_prints_every_error_and_exits_one(cli: Cli) -> None:
    code = cli("validate", "invalid/parameter-range.yaml", "invalid/unknown-field.yaml")
    assert (code, cli.out) == (1, "")
    assert cli.err == snapshot("""\
invalid/parameter-range.yaml:9: spec.parameters.maxTrainSteps: must be at most 10000 for Flux LoRA, got 20000
invalid/parameter-range.yaml:10: spec.parameters.rank: must be at most 64 for Flux LoRA, got 128
invalid/parameter-range.yaml:11: spec.parameters.learningRate: must be greater than 0, got 0
invalid/parameter-range.yaml:12: spec.parameters.batchSize: must be at most 4, got 5
invalid/unknown-field.yaml:7: spec.tagz: unknown field
  hint: did you mean 'tags'?
invalid/unknown-field.yaml:10: spec.trainingImages[0].captoin: unknown field
  hint: did you mean 'caption'?
error: 6 error(s) in manifests
""")


def test_validate_prints_warnings_and_still_passes(cli: Cli) -> None:
    assert cli("validate", "lint/few-images.yaml") == 0
    assert (cli.out, cli.err) == snapshot(
        (
            "ok: 1 model valid in workspace fixtures\n",
            "warning: lint/few-images.yaml:7: spec.trainingImages: only 2 training images: too few to generalise; 5-15 images is the sweet spot (styles up to about 20)\n",
        )
    )


def test_validate_strict_fails_on_warnings(cli: Cli) -> None:
    assert cli("validate", "--strict", "lint/few-images.yaml") == 1
    assert cli.err == snapshot("""\
lint/few-images.yaml:7: spec.trainingImages: only 2 training images: too few to generalise; 5-15 images is the sweet spot (styles up to about 20)
error: 1 error(s) in manifests
""")


def test_validate_json_reports_diagnostics(cli: Cli) -> None:
    assert cli("validate", "--format", "json", "invalid/unknown-type.yaml") == 1
    assert json.loads(cli.out) == snapshot(
        {
            "diagnostics": [
                {
                    "field": "spec.type",
                    "file": "invalid/unknown-type.yaml",
                    "hint": "did you mean 'flux.1-lora'?",
                    "line": 6,
                    "message": "'flux-1-lora' is not a trainable model type",
                    "severity": "error",
                }
            ],
            "command": "validate",
            "format_version": "1.0",
            "valid": False,
        }
    )


def test_validate_json_when_valid(cli: Cli) -> None:
    assert cli("validate", "--format", "json", "lint/learning-rate.yaml") == 0
    assert json.loads(cli.out) == snapshot(
        {
            "diagnostics": [
                {
                    "field": "spec.parameters.learningRate",
                    "file": "lint/learning-rate.yaml",
                    "hint": None,
                    "line": 9,
                    "message": "learningRate 0.001 is far from the guidance of 5e-05 for 6 training examples (5-10: 5e-05, 10-25: 0.0001, 25-50: 0.0002): too high overfits, too low underfits",
                    "severity": "warning",
                }
            ],
            "command": "validate",
            "format_version": "1.0",
            "models": ["lint-lr"],
            "valid": True,
            "workspace": "fixtures",
            "workspace_named": True,
        }
    )


def test_schema_prints_the_json_schema(cli: Cli) -> None:
    assert cli("schema") == 0
    assert json.loads(cli.out) == json_schema()
