"""The load cache: a warm load reuses the validated result, and every input change is seen.

Inputs changed in the last `RACY_NS` are never trusted, so the workspaces are all built first,
aged once by sleeping (one sleep for the whole module), and only then stored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import git
import pytest

import trainops
from tests.support.manifests import FLUX_MODEL
from tests.support.paths import IMAGES
from tests.support.workspace import make_workspace
from trainops.cache.load import CACHE_DIR, RACY_NS, CachedLoad, LoadStats, load_manifests
from trainops.cli import main
from trainops.commands import EXIT_BUG, EXIT_ERROR
from trainops.desired import Desired
from trainops.errors import Diagnostic, ManifestError
from trainops.manifest.load import load_desired


@dataclass(frozen=True)
class Call:
    paths: tuple[str, ...] = (".",)  # "{ws}" stands for the workspace's absolute path
    cwd: str = "."  # relative to the workspace
    strict: bool = False


Result = tuple[Desired, list[Diagnostic]]
WALKED = Call()
HERO = Call(("models/hero/hero.yaml",))  # named files: no directory walk records anything
VILLAIN = Call(("models/villain/villain.yaml",))
SIDEKICK = Call(("models/sidekick/sidekick.yaml",))
ABSOLUTE = Call(("{ws}",))


def cached(ws: Path, call: Call) -> CachedLoad:
    paths = [p.format(ws=ws) for p in call.paths]
    return CachedLoad(paths, cwd=ws / call.cwd, strict=call.strict)


def load(ws: Path, call: Call, *, cache: bool = True) -> Result:
    if cache:
        return cached(ws, call).load()
    paths = [p.format(ws=ws) for p in call.paths]
    return load_desired(paths, cwd=ws / call.cwd, strict=call.strict)


def with_stats(ws: Path, call: Call) -> tuple[LoadStats, Result]:
    run = cached(ws, call)
    result = run.load()
    return run.stats, result


def hit(ws: Path, call: Call) -> tuple[bool, Result]:
    stats, result = with_stats(ws, call)
    return stats.cache_hit, result


def copy(name: str, to: Path) -> None:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(IMAGES / name, to)


def build(ws: Path) -> None:
    """hero: a flat glob with one caption sidecar; villain: a `**` glob, a file named
    directly (a small image: one lint warning, so warnings are cached too) and a `**` glob in a
    dot-directory; sidekick: a glob through a symlink to hero's images."""
    (ws / "trainops.yaml").parent.mkdir(parents=True)
    (ws / "trainops.yaml").write_text("apiVersion: trainops/v1\nkind: Workspace\nparallelism: 4\n")
    hero, villain = ws / "models" / "hero", ws / "models" / "villain"
    for i in range(1, 6):
        copy(f"ok-{i:02d}.png", hero / "img" / f"ok-{i:02d}.png")
        copy(f"ok-{i:02d}.png", villain / "art" / ("a" if i < 4 else "b") / f"ok-{i:02d}.png")
    copy("ok-01.txt", hero / "img" / "ok-01.txt")
    copy("small.png", villain / "extra" / "small.png")
    copy("ok-01.png", stashed := villain / ".stash" / "a" / "kept.png")
    flip_byte(stashed)  # content of its own: not a duplicate of art/a/ok-01.png
    (hero / "hero.yaml").write_text(FLUX_MODEL.format(name="hero", images="img/*.png"))
    (villain / "villain.yaml").write_text(
        FLUX_MODEL.format(
            name="villain", images='"art/**/*.png", extra/small.png, ".stash/**/*.png"'
        )
    )
    sidekick = ws / "models" / "sidekick"
    sidekick.mkdir()
    (sidekick / "pics").symlink_to("../hero/img", target_is_directory=True)
    (sidekick / "sidekick.yaml").write_text(FLUX_MODEL.format(name="sidekick", images="pics/*.png"))
    (ws / ".trainops").mkdir()  # created by the first load otherwise, changing the root's stat


def same_mtime(path: Path, write: Callable[[], None]) -> None:
    """Change a file in place but put its mtime back (what `cp -p`, rsync -t or tar do)."""
    before = path.stat()
    write()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # inside the image data: still a PNG, same size, other content
    with path.open("r+b") as fh:
        fh.write(data)


def git_init_above(ws: Path) -> Call:
    git.Repo.init(ws.parent)  # the workspace is now named after the git top level
    return WALKED


def retarget(ws: Path) -> Call:
    copy("ok-06.png", ws / "models/other/ok-06.png")
    link = ws / "models/sidekick/pics"
    link.unlink()
    link.symlink_to("../other", target_is_directory=True)
    return SIDEKICK


def climbing_glob(ws: Path) -> None:
    """hero also takes `../*/pool/*.png`: a glob whose listing starts above its directory."""
    (ws / "models/hero/hero.yaml").write_text(
        FLUX_MODEL.format(name="hero", images='img/*.png, "../*/pool/*.png"')
    )
    copy("ok-06.png", ws / "models/hero/pool/ok-06.png")


def third_model(ws: Path) -> Call:
    third = ws / "models" / "third" / "third.yaml"
    third.parent.mkdir()
    third.write_text(FLUX_MODEL.format(name="third", images="../hero/img/*.png"))
    return WALKED


# name -> (the call that was cached, the change; it returns the call to make afterwards)
SCENARIOS: dict[str, tuple[Call, Callable[[Path], Call]]] = {
    "edit a manifest": (
        WALKED,
        lambda ws: (
            (ws / "models/hero/hero.yaml").open("a").write("  shortDescription: edited\n"),
            WALKED,
        )[1],
    ),
    "add a manifest in a walked directory": (WALKED, third_model),
    "add an image to a globbed directory": (
        HERO,
        lambda ws: (copy("ok-06.png", ws / "models/hero/img/ok-06.png"), HERO)[1],
    ),
    "remove an image from a globbed directory": (
        HERO,
        lambda ws: ((ws / "models/hero/img/ok-05.png").unlink(), HERO)[1],
    ),
    "add an image in a new directory under **": (
        VILLAIN,
        lambda ws: (copy("ok-06.png", ws / "models/villain/art/c/ok-06.png"), VILLAIN)[1],
    ),
    "add an image two new directories deep under ** (walked)": (
        WALKED,
        lambda ws: (copy("ok-06.png", ws / "models/villain/art/c/d/ok-06.png"), WALKED)[1],
    ),
    "add an image in a new directory of a globbed dot-directory": (
        WALKED,
        lambda ws: (copy("ok-06.png", ws / "models/villain/.stash/b/ok-06.png"), WALKED)[1],
    ),
    "add an image where a glob climbing out of its directory looks": (
        WALKED,
        lambda ws: (copy("ok-01.png", ws / "models/villain/pool/ok-01.png"), WALKED)[1],
    ),
    "change an image's bytes, same size and mtime": (
        HERO,
        lambda ws: (
            same_mtime(p := ws / "models/hero/img/ok-02.png", lambda: flip_byte(p)),
            HERO,
        )[1],
    ),
    "change an image's size": (
        HERO,
        lambda ws: ((ws / "models/hero/img/ok-03.png").open("ab").write(b"\0"), HERO)[1],
    ),
    "add a caption beside a globbed image": (
        HERO,
        lambda ws: ((ws / "models/hero/img/ok-02.txt").write_text("a second square"), HERO)[1],
    ),
    "add a caption beside a globbed image (walked)": (
        WALKED,
        lambda ws: ((ws / "models/hero/img/ok-02.txt").write_text("a second square"), WALKED)[1],
    ),
    "add a caption beside a file named directly": (
        VILLAIN,
        lambda ws: ((ws / "models/villain/extra/small.txt").write_text("tiny"), VILLAIN)[1],
    ),
    "add a caption in a directory globbed through a symlink": (
        SIDEKICK,
        lambda ws: ((ws / "models/hero/img/ok-03.txt").write_text("a third square"), SIDEKICK)[1],
    ),
    "point a globbed symlink elsewhere": (SIDEKICK, retarget),
    "remove a caption": (
        HERO,
        lambda ws: ((ws / "models/hero/img/ok-01.txt").unlink(), HERO)[1],
    ),
    "remove a caption (walked)": (
        WALKED,
        lambda ws: ((ws / "models/hero/img/ok-01.txt").unlink(), WALKED)[1],
    ),
    "edit a caption, same size and mtime": (
        HERO,
        lambda ws: (
            same_mtime(
                p := ws / "models/hero/img/ok-01.txt", lambda: p.write_text("a gray square\n")
            ),
            HERO,
        )[1],
    ),
    "edit trainops.yaml": (
        WALKED,
        lambda ws: (
            (ws / "trainops.yaml").write_text(
                "apiVersion: trainops/v1\nkind: Workspace\nparallelism: 5\n"
            ),
            WALKED,
        )[1],
    ),
    "a git repository above the root": (WALKED, git_init_above),
    "another cwd": (ABSOLUTE, lambda ws: Call(("{ws}",), cwd="models")),
    "other paths": (WALKED, lambda ws: Call(("models/hero",))),
}
# Built differently from `build` alone, before the workspace is aged and its load stored.
SETUP: dict[str, Callable[[Path], None]] = {
    "add an image where a glob climbing out of its directory looks": climbing_glob,
}
PLAIN = ("pristine", "no hashing on a hit", "corrupt cache", "partial reuse", "clash hero")
PLAIN += ("clash villain", "reuse beside a new image", "tampered", "no cache")
BROKEN = "broken"
RULE_CHANGE = "rule change"  # loaded by another process, from a copy of the package


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name in [*SCENARIOS, *PLAIN, BROKEN, RULE_CHANGE]:
        out[name] = tmp_path_factory.mktemp("cache") / "ws"
        build(out[name])
        SETUP.get(name, lambda _: None)(out[name])
    (out[BROKEN] / "models/hero/hero.yaml").write_text(
        FLUX_MODEL.format(name="hero", images="img/*.png") + "  parameters: {rank: 0}\n"
    )
    rule_change_setup(out[RULE_CHANGE])
    time.sleep(RACY_NS / 1e9 + 0.2)  # everything is now old enough to be trusted
    for name, ws in out.items():
        call = SCENARIOS[name][0] if name in SCENARIOS else WALKED
        if name == BROKEN:
            with pytest.raises(ManifestError):
                load(ws, call)
        elif name != RULE_CHANGE:
            assert hit(ws, call)[0] is False  # computed and stored
    return out


def test_a_warm_load_reuses_an_equal_result(workspaces: dict[str, Path]) -> None:
    ws = workspaces["pristine"]
    fresh = load(ws, WALKED, cache=False)
    assert [str(d) for d in fresh[1]] == [
        "models/villain/villain.yaml:7: spec.trainingImages[1]: models/villain/extra/small.png "
        "is 512x768 px, under 1024 px on a side: the trainer upscales it and the model learns "
        "blur; use a larger source"
    ]
    for _ in range(2):
        assert hit(ws, WALKED) == (True, fresh)
    assert len(list((ws / CACHE_DIR).iterdir())) == 1


def test_a_hit_reads_no_training_file(workspaces: dict[str, Path]) -> None:
    ws = workspaces["no hashing on a hit"]
    hashes = ws / ".trainops" / "hash-cache.json"
    hashes.unlink()
    assert hit(ws, WALKED)[0] is True
    assert not hashes.exists()  # the normal path would have hashed every image and saved it


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_changed_input_is_a_miss(workspaces: dict[str, Path], name: str) -> None:
    ws = workspaces[name]
    cached, change = SCENARIOS[name]
    was_hit, before = hit(ws, cached)
    assert was_hit
    call = change(ws)
    was_hit, after = hit(ws, call)
    assert not was_hit
    assert after == load(ws, call, cache=False)
    assert after != before  # so a stale hit would have been wrong


def test_strict_is_not_served_a_lenient_result(workspaces: dict[str, Path]) -> None:
    ws = workspaces["pristine"]
    assert hit(ws, WALKED)[0] is True
    with pytest.raises(ManifestError) as exc:
        load(ws, Call(strict=True))
    assert [d.severity for d in exc.value.diagnostics] == ["error"]  # the warning, as an error


def test_errors_are_never_cached(workspaces: dict[str, Path]) -> None:
    ws = workspaces[BROKEN]
    for _ in range(2):
        with pytest.raises(ManifestError):
            load(ws, WALKED)
    assert not list((ws / CACHE_DIR).glob("*.json"))


def test_a_corrupt_cache_is_a_miss_and_rewritten(workspaces: dict[str, Path]) -> None:
    ws = workspaces["corrupt cache"]
    (stored,) = (ws / CACHE_DIR).glob("*.json")
    stored.write_text('{"version": 1, "config": [')
    was_hit, result = hit(ws, WALKED)
    assert not was_hit
    assert result == load(ws, WALKED, cache=False)
    assert hit(ws, WALKED) == (True, result)


def test_inputs_changed_just_now_are_not_trusted(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    build(ws)
    for _ in range(2):  # an edit within the same timestamp tick would hide: nothing is reused
        stats, _ = with_stats(ws, WALKED)
        assert (stats.cache_hit, stats.reused_files) == (False, 0)


def test_after_a_change_the_unchanged_files_are_reused(workspaces: dict[str, Path]) -> None:
    ws = workspaces["partial reuse"]
    image = ws / "models/hero/img/ok-02.png"
    same_mtime(image, lambda: flip_byte(image))
    stats, result = with_stats(ws, WALKED)
    assert (stats.cache_hit, stats.reused_files) == (False, 1)  # villain (sidekick uses ok-02)
    assert result == load(ws, WALKED, cache=False)


@pytest.mark.parametrize(
    ("new_file", "name"),
    [("models/zzz/late.yaml", "hero"), ("models/aaa/early.yaml", "villain")],
)
def test_a_reused_file_still_clashes_with_a_new_one(
    workspaces: dict[str, Path], new_file: str, name: str
) -> None:
    ws = workspaces[f"clash {name}"]
    (ws / new_file).parent.mkdir()
    (ws / new_file).write_text(FLUX_MODEL.format(name=name, images="../hero/img/*.png"))
    with pytest.raises(ManifestError) as fresh:
        load(ws, WALKED, cache=False)
    run = cached(ws, WALKED)
    with pytest.raises(ManifestError) as again:
        run.load()
    assert run.stats.reused_files == 3  # every file but the new one
    assert [str(d) for d in again.value.diagnostics] == [str(d) for d in fresh.value.diagnostics]
    (error,) = [d for d in again.value.diagnostics if d.severity == "error"]
    assert error.message.startswith(f"duplicate model name {name!r}: also defined at")


def test_a_new_image_revalidates_only_the_files_that_could_see_it(
    workspaces: dict[str, Path],
) -> None:
    ws = workspaces["reuse beside a new image"]
    copy("ok-06.png", ws / "models/villain/art/a/ok-06.png")
    stats, result = with_stats(ws, WALKED)
    assert (stats.cache_hit, stats.reused_files) == (False, 2)  # hero and sidekick
    assert result == load(ws, WALKED, cache=False)


def tamper(ws: Path, name: str) -> Path:
    """Rename the workspace in the stored result: a hit then returns a wrong desired state."""
    (stored,) = (ws / CACHE_DIR).glob("*.json")
    body = json.loads(stored.read_text())
    body["workspace"][0] = name
    stored.write_text(json.dumps(body))
    return stored


def test_verify_mode_fails_on_a_stale_cache_naming_the_difference(
    workspaces: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ws = workspaces["tampered"]
    monkeypatch.chdir(ws)
    tamper(ws, "stale-name")
    desired, _ = load_manifests(["."], mode="on")
    assert desired.workspace.name == "stale-name"  # what a plan would have been built on
    monkeypatch.setenv("TRAINOPS_CACHE", "verify")
    assert main(["validate", "."]) == EXIT_BUG
    assert capsys.readouterr().err.rstrip().splitlines()[-2:] == [
        "trainops.cache.verify.CacheMismatchError: the load cache answered differently from a "
        "load without it (a bug in trainops; `trainops cache clean` or --no-cache avoids it):",
        "  workspace: name: cached 'stale-name', fresh 'ws'",
    ]


@pytest.mark.parametrize("how", ["--no-cache", "TRAINOPS_CACHE=off"])
def test_without_the_cache_nothing_is_read_or_written(
    workspaces: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    ws = workspaces["no cache"]
    monkeypatch.chdir(ws)
    tamper(ws, "stale-name")
    before = {p.name: p.read_bytes() for p in (ws / CACHE_DIR).iterdir()}
    hashes = ws / ".trainops" / "hash-cache.json"
    hashes.unlink(missing_ok=True)
    flags = ["--no-cache"] if how == "--no-cache" else []
    monkeypatch.setenv("TRAINOPS_CACHE", "verify" if flags else "off")  # the flag wins
    assert main(["validate", "--format", "json", ".", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["workspace"] == "ws"  # not the stored name
    assert {p.name: p.read_bytes() for p in (ws / CACHE_DIR).iterdir()} == before
    assert not hashes.exists()


def test_an_unknown_cache_mode_says_which_ones_exist(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRAINOPS_CACHE", "of")
    assert main(["validate"]) == EXIT_ERROR
    assert capsys.readouterr().err.splitlines() == [
        "error: TRAINOPS_CACHE='of' is not a cache mode",
        "hint: set TRAINOPS_CACHE to off, on or verify, or unset it",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["plan", "--sandbox"],
        ["apply", "--sandbox", "--yes"],
        ["status", "--sandbox"],
    ],
    ids=lambda argv: argv[0],
)
def test_no_cache_works_on_every_command_that_loads_manifests(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.chdir(ws)
    caches = [ws / CACHE_DIR, ws / ".trainops" / "hash-cache.json"]
    assert main([*argv, "--no-cache"]) == 0
    assert [p.exists() for p in caches] == [False, False]
    assert main(argv) == 0
    assert [p.exists() for p in caches] == [True, True]
    capsys.readouterr()


RULE_CHANGE_PROBE = """\
import sys
from pathlib import Path

import trainops
from trainops import pipeline
from trainops.errors import ManifestError

assert Path(trainops.__file__).parent == Path(sys.argv[2]), trainops.__file__
try:
    desired, _, _ = pipeline.load([], cwd=Path(sys.argv[1]))
except ManifestError as exc:
    print("invalid:", exc.diagnostics[0].message)
else:
    print("valid:", len(desired.models))
"""


def rule_change_setup(ws: Path) -> None:
    """A copy of the package beside the workspace, and a rank at flux's upper bound."""
    shutil.copytree(
        Path(trainops.__file__).parent,
        ws.parent / "site" / "trainops",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (ws / "models/hero/hero.yaml").write_text(
        FLUX_MODEL.format(name="hero", images="img/*.png") + "  parameters: {rank: 64}\n"
    )


def test_a_rule_changed_in_a_sub_package_module_is_not_served_an_old_result(
    workspaces: dict[str, Path],
) -> None:
    """The code key covers every module of the package: here the parameter table, which lives
    in trainops/manifest/, is tightened in a copy of the package the probe imports."""
    ws = workspaces[RULE_CHANGE]
    tmp_path = ws.parent
    copy_of = tmp_path / "site" / "trainops"
    env = {**os.environ, "PYTHONPATH": str(copy_of.parent), "PYTHONDONTWRITEBYTECODE": "1"}

    def probe() -> str:
        run = subprocess.run(
            [sys.executable, "-c", RULE_CHANGE_PROBE, str(ws), str(copy_of)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,  # not the repository: `-c` puts the working directory first
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert probe() == "valid: 3"  # computed and stored
    assert probe() == "valid: 3"  # served from the cache
    rules = copy_of / "manifest" / "parameters.py"
    old = 'bounds={"flux-lora": (2, 64, False)}'
    assert old in rules.read_text()
    rules.write_text(rules.read_text().replace(old, 'bounds={"flux-lora": (2, 32, False)}'))
    assert probe() == "invalid: must be at most 32 for Flux LoRA, got 64"
