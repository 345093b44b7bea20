# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.paths import FIXTURES, REPO
from trainops.errors import Diagnostic, ManifestError
from trainops.manifest.files import MAX_IMAGE_BYTES
from trainops.manifest.load import (
    combine,
    find_manifest_files,
    find_workspace,
    load_desired,
    load_file,
)
from trainops.manifest.media import FileFacts, ReadFacts
from trainops.manifest.schema import json_schema

EXAMPLES = REPO / "examples"


def render(diags: list[Diagnostic]) -> list[str]:
    lines: list[str] = []
    for d in diags:
        lines += (str(d) if d.severity == "error" else f"warning: {d}").splitlines()
    return lines


def diagnostics(paths: list[str], cwd: Path, *, strict: bool = False) -> list[str]:
    try:
        _, warnings = load_desired(paths, cwd=cwd, strict=strict)
    except ManifestError as exc:
        return render(exc.diagnostics)
    return render(warnings)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tests/manifests (its own trainops.yaml root) plus a file outside it."""
    top = tmp_path_factory.mktemp("fixtures")
    shutil.copytree(FIXTURES, top / "manifests")
    (top / "outside.png").write_bytes((FIXTURES / "images" / "ok-01.png").read_bytes())
    return top / "manifests"


def _fixtures(kind: str) -> list[str]:
    return sorted(p.relative_to(FIXTURES).as_posix() for p in (FIXTURES / kind).glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    prefix = "# expect: "
    return [ln[len(prefix) :] for ln in path.read_text().splitlines() if ln.startswith(prefix)]


@pytest.mark.parametrize("name", _fixtures("invalid") + _fixtures("lint"))
def test_fixture_reports_exactly_its_expected_diagnostics(workspace: Path, name: str) -> None:
    expected = _expected(workspace / name)
    assert expected, f"{name} declares no '# expect:' lines"
    assert diagnostics([name], workspace) == expected


def test_duplicate_model_names_across_files_name_both_places(workspace: Path) -> None:
    assert diagnostics(["duplicate"], workspace) == snapshot(
        [
            "duplicate/b.yaml:5: metadata.name: duplicate model name 'shared-name': also defined at duplicate/a.yaml:4",
            "  hint: metadata.name is the model's identity; make each one unique",
        ]
    )


def test_each_file_loads_alone_and_the_names_meet_when_combined(workspace: Path) -> None:
    given = [Path("duplicate")]
    ws, diags = find_workspace(given, workspace)
    found, missing = find_manifest_files(given, workspace)
    shares = [
        load_file(f, explicit, workspace=ws, cwd=workspace, facts=ReadFacts())
        for f, explicit in found
    ]
    assert [s.claims for s in shares] == [(("shared-name", 4),), (("shared-name", 5),)]
    assert [s.diagnostics for s in shares] == [(), ()]  # the clash is no one file's to know
    with pytest.raises(ManifestError) as exc:
        combine(ws, shares, [*diags, *missing])
    assert render(exc.value.diagnostics) == diagnostics(["duplicate"], workspace)


class Recorded:
    """A FactSource that reads each file and remembers which it was asked about."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def facts(self, path: Path) -> FileFacts:
        self.paths.append(path)
        return ReadFacts().facts(path)


def test_training_files_are_known_through_the_fact_source_alone() -> None:
    source = Recorded()
    desired, _ = load_desired(["examples/hero-character"], cwd=REPO, facts=source)
    (hero,) = desired.models
    assert set(source.paths) == {REPO / "examples" / i.path for i in hero.images}


def test_errors_of_every_file_come_in_one_run(workspace: Path) -> None:
    lines = diagnostics(["invalid", "duplicate"], workspace)
    files = {ln.split(":")[0] for ln in lines if not ln.startswith(("  ", "warning"))}
    assert len(files) == len(_fixtures("invalid")) + 1


def test_symlink_escaping_the_root_is_rejected(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    shutil.copy(workspace.parent / "outside.png", tmp_path / "outside.png")
    (root / "images" / "link.png").symlink_to(tmp_path / "outside.png")
    (root / "m.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Model\nmetadata:\n  name: link\nspec:\n"
        "  type: flux.1-lora\n  trainingImages:\n    - images/ok-*.png\n    - images/link.png\n"
    )
    assert diagnostics(["m.yaml"], root) == snapshot(
        [
            "m.yaml:9: spec.trainingImages[1]: images/link.png resolves outside the workspace root",
            "  hint: training files must live inside the repository (no '..' or symlink escape)",
        ]
    )


def test_oversized_image_is_rejected(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    head = (root / "images" / "ok-01.png").read_bytes()
    (root / "images" / "huge.png").write_bytes(head + b"\0" * (MAX_IMAGE_BYTES - len(head) + 1))
    (root / "m.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Model\nmetadata:\n  name: huge\nspec:\n"
        "  type: flux.1-lora\n  trainingImages: [images/ok-*.png, images/huge.png]\n"
    )
    assert diagnostics(["m.yaml"], root) == snapshot(
        [
            "m.yaml:7: spec.trainingImages[1]: images/huge.png is 50.0 MB, over the 50 MB limit per training file",
            "  hint: trainops uploads images and audio samples up to 50 MB",
        ]
    )


def test_strict_turns_warnings_into_errors(workspace: Path) -> None:
    with pytest.raises(ManifestError) as exc:
        load_desired(["lint/few-images.yaml"], cwd=workspace, strict=True)
    assert [d.severity for d in exc.value.diagnostics] == ["error"]
    assert exc.value.message == "1 error(s) in manifests"


def test_missing_path_is_an_error(workspace: Path) -> None:
    assert diagnostics(["nowhere"], workspace) == snapshot(
        ["nowhere:0: (path): no such file or directory"]
    )


def test_foreign_yaml_is_ignored_even_when_it_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("on: [push]\njobs: {build: {runs-on: ubuntu-latest}}\n")
    (tmp_path / "chart.yaml").write_text("name: {{ .Values.name }}\n")
    desired, warnings = load_desired([], cwd=tmp_path)
    assert (desired.models, warnings) == ((), [])


def test_invalid_workspace_settings_are_located(tmp_path: Path) -> None:
    (tmp_path / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\nparallelism: 0\nbudgte: 10\n"
    )
    assert diagnostics([], tmp_path) == snapshot(
        [
            "trainops.yaml:3: parallelism: input should be greater than or equal to 1",
            "trainops.yaml:4: budgte: unknown field",
            "  hint: did you mean 'budget'?",
        ]
    )


def test_examples_validate_clean_with_every_training_input() -> None:
    desired, warnings = load_desired(["examples"], cwd=REPO)
    assert warnings == []
    ws = desired.workspace
    assert (ws.name, ws.root, ws.parallelism, ws.budget) == ("examples", EXAMPLES, 4, 2000)
    summary = {
        m.key: {
            "type": m.type,
            "source": str(m.source),
            "parameters": m.public_parameters(),
            "files": [f"{i.path} | {i.caption}" for i in m.images],
            "pairs": [f"{p.source.name} -> {p.target.name}: {p.instruction}" for p in m.pairs],
        }
        for m in desired.models
    }
    assert summary == snapshot(
        {
            "day-to-night": {
                "type": "qwen-image-edit-lora",
                "source": "examples/day-to-night/model.yaml:2",
                "parameters": {"maxTrainSteps": 1000, "rank": 32},
                "files": [],
                "pairs": [
                    "street-01-day.png -> street-01-night.png: make it night",
                    "street-02-day.png -> street-02-night.png: make it night",
                    "street-03-day.png -> street-03-night.png: make it night",
                    "street-04-day.png -> street-04-night.png: make it night",
                    "street-05-day.png -> street-05-night.png: make it night",
                ],
            },
            "hero-character": {
                "type": "flux.1-lora",
                "source": "examples/hero-character/model.yaml:2",
                "parameters": {
                    "conceptPrompt": "hero",
                    "learningRate": 5e-05,
                    "maxTrainSteps": 800,
                    "nbEpochs": 4,
                    "rank": 16,
                    "samplePrompts": [
                        "hero running across a rooftop",
                        "hero standing in the rain",
                    ],
                },
                "files": [
                    "hero-character/images/hero-01.png | hero in a red cape, front view, blue background",
                    "hero-character/images/hero-02.png | hero in a red cape, three-quarter view",
                    "hero-character/images/hero-03.png | hero in a red cape, walking to the right",
                    "hero-character/images/hero-04.png | None",
                    "hero-character/images/hero-05.png | hero in a red cape, mid-stride",
                    "hero-character/images/hero-06.png | None",
                    "hero-character/images/hero-07.png | None",
                    "hero-character/images/hero-08.png | hero in a red cape, arms spread, seen from the front",
                ],
                "pairs": [],
            },
            "narrator-voice": {
                "type": "elevenlabs-voice",
                "source": "examples/narrator-voice/model.yaml:2",
                "parameters": {
                    "cloneType": "instant",
                    "language": "en",
                    "removeBackgroundNoise": False,
                    "voiceDescription": "warm and calm, middle-aged, slow pace",
                },
                "files": [
                    "narrator-voice/samples/take-1.wav | None",
                    "narrator-voice/samples/take-2.wav | None",
                    "narrator-voice/samples/take-3.wav | None",
                ],
                "pairs": [],
            },
            "watercolor-style": {
                "type": "flux.1-lora",
                "source": "examples/watercolor-style/model.yaml:2",
                "parameters": {
                    "conceptPrompt": "wtrclr style",
                    "learningRate": 5e-05,
                    "maxTrainSteps": 540,
                    "rank": 16,
                },
                "files": [
                    "watercolor-style/images/wash-01.jpg | None",
                    "watercolor-style/images/wash-02.jpg | None",
                    "watercolor-style/images/wash-03.jpg | None",
                    "watercolor-style/images/wash-04.jpg | None",
                    "watercolor-style/images/wash-05.jpg | None",
                    "watercolor-style/images/wash-06.jpg | None",
                ],
                "pairs": [],
            },
        }
    )


def test_committed_schema_is_up_to_date() -> None:
    committed = json.loads((EXAMPLES / "trainops.schema.json").read_text())
    assert committed == json_schema(), "regenerate: trainops schema > examples/trainops.schema.json"


def test_example_manifests_point_editors_at_the_schema() -> None:
    for manifest in [*EXAMPLES.glob("*/*.yaml"), EXAMPLES / "trainops.yaml"]:
        first = manifest.read_text().splitlines()[0]
        target = first.removeprefix("# yaml-language-server: $schema=")
        assert (manifest.parent / target).resolve() == EXAMPLES / "trainops.schema.json"


def test_validation_imports_no_cache() -> None:
    """The load cache wraps validation from outside; validation never reaches for it."""
    code = (
        "import sys, trainops.manifest.load, trainops.manifest.emit; "
        "print([m for m in sys.modules if m.startswith('trainops.cache')])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
