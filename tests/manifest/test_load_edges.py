# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.paths import IMAGES
from trainops.errors import ManifestError
from trainops.manifest.load import load_desired
from trainops.manifest.yamlmarks import YamlSyntaxError, load_documents

HEAD = "apiVersion: trainops/v1\nkind: Model\nmetadata:\n  name: m\nspec:\n"


def errors(root: Path, paths: list[str] | None = None) -> list[str]:
    with pytest.raises(ManifestError) as exc:
        load_desired(paths or [], cwd=root)
    return [str(d) for d in exc.value.diagnostics]


def test_marks_point_at_keys_and_list_items() -> None:
    (doc,) = load_documents("a: 1\nb:\n  - x\n  -\n    c: 2\n")
    assert doc.marks == {("a",): 1, ("b",): 2, ("b", 0): 3, ("b", 1): 5, ("b", 1, "c"): 5}
    assert doc.line_of(("b", 1, "c", "missing")) == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!int abc\n", (1, 4, "invalid tag:yaml.org,2002:int value 'abc'")),
        (
            "a:\n  b: !foo x\n",
            (2, 1, "YAML error: could not determine a constructor for the tag '!foo'"),
        ),
        (
            "a: [1\n",
            (2, 1, "YAML syntax error at column 1: expected ',' or ']', but got '<stream end>'"),
        ),
    ],
)
def test_bad_yaml_is_located(text: str, expected: tuple[int, int, str]) -> None:
    with pytest.raises(YamlSyntaxError) as exc:
        list(load_documents(text))
    assert (exc.value.line, exc.value.column, exc.value.message) == expected


def test_settings_file_with_two_workspaces_or_bad_yaml(tmp_path: Path) -> None:
    settings = tmp_path / "trainops.yaml"
    settings.write_text(
        "apiVersion: trainops/v1\nkind: Workspace\n---\napiVersion: trainops/v1\nkind: Workspace\n"
    )
    assert errors(tmp_path) == snapshot(
        [
            "trainops.yaml:4: kind: trainops.yaml must hold exactly one `kind: Workspace` document\n  hint: put models in their own manifest files; keep only workspace settings here"
        ]
    )
    settings.write_text("workspace: [\n")
    assert errors(tmp_path) == snapshot(
        [
            "trainops.yaml:2: (yaml): YAML syntax error at column 1: expected the node content, but found '<stream end>'"
        ]
    )


def test_too_many_images_warns(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    png = (IMAGES / "ok-01.png").read_bytes()
    for i in range(21):  # bytes after IEND keep a valid 1024 px PNG with distinct content
        (tmp_path / "img" / f"{i:02d}.png").write_bytes(png + bytes([i]))
    (tmp_path / "m.yaml").write_text(HEAD + "  type: flux.1-lora\n  trainingImages: [img/*.png]\n")
    _, warnings = load_desired([], cwd=tmp_path)
    assert [str(w) for w in warnings] == snapshot(
        [
            "m.yaml:7: spec.trainingImages: 21 training images: more than the sweet spot costs more and dilutes it; 5-15 images is the sweet spot (styles up to about 20)"
        ]
    )


def test_an_explicit_unreadable_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe not utf-8")
    assert errors(tmp_path, ["bad.yaml"])[0].startswith("bad.yaml:0: (file): cannot read:")


def test_inline_caption_wins_whatever_the_entry_order(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    for i in range(1, 6):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", tmp_path / "img")
    (tmp_path / "img" / "ok-01.txt").write_text("from the file")
    (tmp_path / "m.yaml").write_text(
        HEAD + "  type: flux.1-lora\n  trainingImages:\n"
        "    - {path: img/ok-01.png, caption: inline}\n    - img/*.png\n"
    )
    desired, _ = load_desired([], cwd=tmp_path)
    assert [i.caption for i in desired.models[0].images] == ["inline", None, None, None, None]
