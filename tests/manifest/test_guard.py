"""Issue 11, item 1: every file read because of a manifest goes through one guard."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli
from tests.support.paths import IMAGES
from tests.support.workspace import big_png
from trainops.desired import DesiredImage
from trainops.errors import StalePlanError
from trainops.manifest import guard
from trainops.manifest.media import read_facts
from trainops.sync import read_file

SECRET = "SECRET=hunter2-do-not-print"
MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: hero
spec:
  type: flux.1-lora
  trainingImages: [img/*.png]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "img").mkdir(parents=True)
    (root / "trainops.yaml").write_text("apiVersion: trainops/v1\nkind: Workspace\nworkspace: ws\n")
    (root / "model.yaml").write_text(MODEL)
    for i in range(1, 6):
        shutil.copy(IMAGES / f"ok-{i:02d}.png", root / "img" / f"{i}.png")
    (tmp_path / "secret.txt").write_text(SECRET)
    return root


def _fails_without_the_secret(cli: Cli, root: Path, *, secret: str = SECRET) -> str:
    out = root.parent / "plan.json"
    assert cli("validate", cwd=root) == 1
    shown = cli.err
    assert cli("plan", "--sandbox", "--out", str(out), cwd=root) == 1
    assert cli.err == shown
    for text in (shown, cli.out, out.read_text() if out.exists() else ""):
        assert secret not in text
        assert "hunter2" not in text
    return shown


def test_a_caption_symlinked_outside_the_root_is_refused(cli: Cli, root: Path) -> None:
    (root / "img" / "1.txt").symlink_to(root.parent / "secret.txt")
    assert _fails_without_the_secret(cli, root) == snapshot("""\
model.yaml:7: spec.trainingImages[0]: caption img/1.txt resolves outside the workspace root
  hint: training files must live inside the repository (no '..' or symlink escape)
error: 1 error(s) in manifests
""")


def test_a_caption_escaping_through_a_directory_component_is_refused(cli: Cli, root: Path) -> None:
    (root.parent / "outside").mkdir()
    (root.parent / "outside" / "c.txt").write_text(SECRET)
    (root / "img" / "link").symlink_to(root.parent / "outside")
    (root / "img" / "1.txt").symlink_to(root / "img" / "link" / "c.txt")
    assert "caption img/1.txt resolves outside the workspace root" in _fails_without_the_secret(
        cli, root
    )


def test_a_caption_of_proc_self_environ_never_shows_the_environment(cli: Cli, root: Path) -> None:
    (root / "img" / "1.txt").symlink_to("/proc/self/environ")
    cli.env["SCENARIO_API_SECRET"] = "hunter2-api-secret"
    shown = _fails_without_the_secret(cli, root, secret="hunter2-api-secret")
    assert "caption img/1.txt resolves outside the workspace root" in shown


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("x" * 4001, "caption img/1.txt is 4.0 KB, over the 4 KB limit per caption"),
        ("café".encode("latin-1"), "caption img/1.txt is not UTF-8 text"),
        (b"a cat\0", "caption img/1.txt is not text: it holds NUL bytes"),
    ],
)
def test_a_caption_must_be_short_utf8_text(
    cli: Cli, root: Path, content: str | bytes, problem: str
) -> None:
    data = content.encode() if isinstance(content, str) else content
    (root / "img" / "1.txt").write_bytes(data)
    assert cli("validate", cwd=root) == 1
    assert cli.err.splitlines()[0] == f"model.yaml:7: spec.trainingImages[0]: {problem}"


def test_a_caption_that_is_a_fifo_is_refused_without_waiting(cli: Cli, root: Path) -> None:
    os.mkfifo(root / "img" / "1.txt")
    done = threading.Event()
    threading.Timer(10, lambda: done.is_set() or _unblock(root / "img" / "1.txt")).start()
    try:
        assert cli("validate", cwd=root) == 1
    finally:
        done.set()
    assert cli.err.splitlines()[0] == (
        "model.yaml:7: spec.trainingImages[0]: caption img/1.txt is not a regular file"
    )


def _unblock(fifo: Path) -> None:
    """Should the guard ever wait on the FIFO, give it a writer so the test fails, not hangs."""
    with open(fifo, "w") as fh:
        fh.write("unblocked")


def test_a_caption_inside_the_root_through_a_symlink_is_read(cli: Cli, root: Path) -> None:
    (root / "captions").mkdir()
    (root / "captions" / "one.txt").write_text("a grey square\n")
    (root / "img" / "1.txt").symlink_to(root / "captions" / "one.txt")
    assert cli("validate", "--format", "json", cwd=root) == 0


def test_a_training_file_that_is_not_regular_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "a.png")
    with pytest.raises(guard.Refused) as exc:
        read_facts(tmp_path / "a.png")
    assert exc.value.reason == "is not a regular file"


def test_reads_are_bounded_whatever_the_stat_says() -> None:
    with pytest.raises(guard.Refused) as exc:
        guard.read_bytes(Path("/dev/zero"), Path("/"), guard.CAPTION)
    assert exc.value.reason == "resolves outside the workspace root"


def test_apply_checks_the_file_again_when_it_reads_it(root: Path) -> None:
    data = (root / "img" / "1.png").read_bytes()
    facts = read_facts(root / "img" / "1.png")
    image = DesiredImage("img/1.png", "1.png", facts.sha256, facts.size, None)
    assert read_file(root, image) == data
    (root.parent / "moved.png").write_bytes(data)
    (root / "img" / "1.png").unlink()
    (root / "img" / "1.png").symlink_to(root.parent / "moved.png")  # same bytes, outside now
    with pytest.raises(StalePlanError) as exc:
        read_file(root, image)
    assert exc.value.message == (
        "img/1.png resolves outside the workspace root: it changed after it was planned"
    )


@pytest.mark.parametrize(
    "pattern", ["../outside/missing.png", "../outside/*.png", "../outside/nothing-*.png"]
)
def test_a_path_outside_the_root_is_refused_whether_or_not_it_exists(
    cli: Cli, root: Path, pattern: str
) -> None:
    (root.parent / "outside").mkdir()
    (root.parent / "outside" / "present.png").write_bytes((IMAGES / "ok-01.png").read_bytes())
    (root / "model.yaml").write_text(MODEL.replace("[img/*.png]", f"[img/*.png, {pattern}]"))
    assert cli("validate", cwd=root) == 1
    assert cli.err.splitlines()[0] == (
        f"model.yaml:7: spec.trainingImages[1]: {pattern} resolves outside the workspace root"
    )


def test_images_through_a_directory_linked_outside_are_refused(cli: Cli, root: Path) -> None:
    (root.parent / "outside").mkdir()
    shutil.copy(IMAGES / "ok-06.png", root.parent / "outside" / "x.png")
    (root / "img" / "link").symlink_to(root.parent / "outside")
    (root / "model.yaml").write_text(MODEL.replace("[img/*.png]", "[img/*.png, img/link/*.png]"))
    assert cli("validate", cwd=root) == 1
    assert cli.err.splitlines()[0] == (
        "model.yaml:7: spec.trainingImages[1]: img/link/*.png resolves outside the workspace root"
    )


def test_a_pair_side_linked_outside_is_refused(cli: Cli, root: Path) -> None:
    shutil.copy(IMAGES / "ok-06.png", root.parent / "night.png")
    (root / "img" / "night.png").symlink_to(root.parent / "night.png")
    (root / "model.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Model\nmetadata:\n  name: edit\nspec:\n"
        "  type: qwen-image-edit-lora\n  trainingImagePairs:\n"
        "    - {source: img/1.png, target: img/night.png, instruction: make it night}\n"
    )
    assert cli("validate", cwd=root) == 1
    assert cli.err.splitlines()[0] == (
        "model.yaml:8: spec.trainingImagePairs[0].target: "
        "img/night.png resolves outside the workspace root"
    )


def test_an_image_over_6_mb_is_read_for_the_multipart_upload(tmp_path: Path) -> None:
    # Issue 12: 6 MB bounds only a data URL; larger images go through the upload flow.
    data = big_png(1, 7_000_000)
    (tmp_path / "big.png").write_bytes(data)
    assert guard.read_bytes(tmp_path / "big.png", tmp_path, guard.IMAGE) == data
    assert read_facts(tmp_path / "big.png").complete


@pytest.mark.parametrize("kind", [guard.IMAGE, guard.AUDIO, guard.MEDIA])
def test_a_training_file_over_50_mb_is_refused(tmp_path: Path, kind: guard.Kind) -> None:
    with open(tmp_path / "huge", "wb") as fh:
        fh.truncate(50 * 1000 * 1000 + 1)  # sparse: the guard refuses it by its size alone
    with pytest.raises(guard.Refused) as exc:
        guard.read_bytes(tmp_path / "huge", tmp_path, kind)
    assert exc.value.reason == f"is 50.0 MB, over the 50 MB limit per {kind.noun}"
