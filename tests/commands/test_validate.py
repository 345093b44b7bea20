# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.paths import FIXTURES, REPO
from trainops.cli import main
from trainops.manifest.schema import json_schema


@pytest.fixture
def fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "manifests"
    shutil.copytree(FIXTURES, root)
    monkeypatch.chdir(root)
    return root


def test_validate_examples_exits_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["validate", "examples"]) == 0
    assert capsys.readouterr() == (
        snapshot("ok: 4 models valid in workspace examples\n"),
        "",
    )


def test_validate_prints_every_error_and_exits_one(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", "invalid/parameter-range.yaml", "invalid/unknown-field.yaml"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == snapshot("""\
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


def test_validate_prints_warnings_and_still_passes(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "lint/few-images.yaml"]) == 0
    assert capsys.readouterr() == snapshot(
        (
            "ok: 1 model valid in workspace fixtures\n",
            "warning: lint/few-images.yaml:7: spec.trainingImages: only 2 training images: too few to generalise; 5-15 images is the sweet spot (styles up to about 20)\n",
        )
    )


def test_validate_strict_fails_on_warnings(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--strict", "lint/few-images.yaml"]) == 1
    assert capsys.readouterr().err.endswith("error: 1 error(s) in manifests\n")


def test_validate_json_reports_diagnostics(
    fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--format", "json", "invalid/unknown-type.yaml"]) == 1
    assert json.loads(capsys.readouterr().out) == snapshot(
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
            "valid": False,
        }
    )


def test_validate_json_when_valid(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--format", "json", "lint/learning-rate.yaml"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["valid"], doc["workspace"], doc["models"]) == (True, "fixtures", ["lint-lr"])
    assert [d["severity"] for d in doc["diagnostics"]] == ["warning"]


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
