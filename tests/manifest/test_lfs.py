# ruff: noqa: E501  (snapshots hold whole diagnostic lines)
"""Issue 17: a Git LFS pointer is a training file whose hash is its oid and whose size its size;
validation needs no LFS content, skips the pixel checks and says so once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli
from tests.support.workspace import WORKSPACE, png, write_model
from trainops.cache.hashes import HashCache
from trainops.manifest import guard, lfs
from trainops.manifest.load import load_desired
from trainops.manifest.media import read_facts


def pointer(data: bytes) -> bytes:
    oid = hashlib.sha256(data).hexdigest()
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
    )


def as_pointers(folder: Path) -> None:
    for f in sorted(folder.glob("*.png")):
        f.write_bytes(pointer(f.read_bytes()))


def test_a_pointer_parses_to_its_oid_and_size() -> None:
    data = png(3)
    assert lfs.is_pointer(pointer(data))
    assert lfs.parse(pointer(data)) == lfs.Pointer(hashlib.sha256(data).hexdigest(), len(data))


def test_a_pointer_with_extra_keys_still_parses() -> None:
    text = pointer(b"x").replace(b"oid", b"ext-0-foo sha256:" + b"0" * 64 + b"\noid")
    assert lfs.parse(text).size == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            b"oid sha256:abc\nsize 3\n",
            "its oid 'sha256:abc' is not sha256: and 64 lowercase hex digits",
        ),
        (
            b"oid md5:" + b"a" * 64 + b"\nsize 3\n",
            "its oid 'md5:" + "a" * 64 + "' is not sha256: and 64 lowercase hex digits",
        ),
        (b"size 3\n", "it has no `oid sha256:<hex>` line"),
        (b"oid sha256:" + b"a" * 64 + b"\n", "it has no `size <bytes>` line"),
        (
            b"oid sha256:" + b"a" * 64 + b"\nsize -3\n",
            "its size '-3' is not a whole number of bytes",
        ),
        (b"oid sha256:" + b"a" * 64 + b"\nsize 3\xff\n", "it holds bytes that are not ASCII"),
    ],
)
def test_a_malformed_pointer_says_what_is_wrong(text: bytes, reason: str) -> None:
    with pytest.raises(lfs.BadPointer) as bad:
        lfs.parse(b"version https://git-lfs.github.com/spec/v1\n" + text)
    assert bad.value.reason == reason


def test_a_large_file_starting_like_a_pointer_is_no_pointer() -> None:
    assert not lfs.is_pointer(pointer(b"x") + b"\0" * lfs.MAX_BYTES)
    assert not lfs.is_pointer(png(1))


def test_read_facts_of_a_pointer_are_its_contents(tmp_path: Path) -> None:
    data = png(5)
    (tmp_path / "a.JPG").write_bytes(pointer(data))
    facts = read_facts(tmp_path / "a.JPG")
    assert (facts.sha256, facts.size, facts.kind, facts.lfs) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        "jpeg",
        True,
    )
    assert (facts.width, facts.height, facts.seconds) == (None, None, None)


def test_read_facts_refuses_a_malformed_pointer(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"version https://git-lfs.github.com/spec/v1\noid x\n")
    with pytest.raises(guard.Refused) as refused:
        read_facts(tmp_path / "a.png")
    assert refused.value.reason == snapshot(
        "is a malformed Git LFS pointer: its oid 'x' is not sha256: and 64 lowercase hex digits"
    )


def test_the_hash_cache_keeps_a_pointer_by_its_own_size(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(pointer(png(1)))
    first = HashCache(tmp_path)
    facts = first.facts(tmp_path / "a.png")
    first.save()
    again = HashCache(tmp_path)
    assert again.facts(tmp_path / "a.png") == facts
    assert (again.reads, facts.lfs) == (0, True)


def workspace(root: Path) -> Path:
    root.mkdir()
    (root / "trainops.yaml").write_text(WORKSPACE)
    write_model(root, "alpha")
    as_pointers(root / "alpha" / "images")
    return root


def test_a_plan_of_pointers_has_their_oids(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "trainops.yaml").write_text(WORKSPACE)
    write_model(root, "alpha")
    images = sorted((root / "alpha" / "images").glob("*.png"))
    contents = [(hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_size) for f in images]
    as_pointers(root / "alpha" / "images")
    desired, warnings = load_desired([], cwd=root)
    (alpha,) = desired.models
    assert [(i.sha256, i.size) for i in alpha.images] == contents
    assert [w.message for w in warnings] == [
        "5 training files are Git LFS pointers (alpha/images/alpha-1.png, alpha/images/alpha-2.png, "
        "+3 more): pixel checks skipped; `git lfs pull` runs them"
    ]


def test_validate_says_once_that_pointers_skip_the_pixel_checks(tmp_path: Path, cli: Cli) -> None:
    root = workspace(tmp_path / "ws")
    write_model(root, "beta", first_shade=10)
    beta = root / "beta" / "images"
    content = (beta / "beta-1.png").read_bytes()
    as_pointers(beta)
    (beta / "beta-6.png").write_bytes(content)  # a real file among pointers, its duplicate
    assert cli("validate", cwd=root) == 0
    assert cli.err == snapshot("""\
warning: 10 files are Git LFS pointers: alpha/images/alpha-1.png, alpha/images/alpha-2.png, +8 more: pixel checks skipped; `git lfs pull` runs them
warning: beta/model.yaml:9: spec.trainingImages[0]: beta/images/beta-6.png is an exact duplicate of beta/images/beta-1.png: duplicates over-weight one example and teach the model to copy it; remove one
""")


def test_a_duplicate_is_found_by_oid(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    images = root / "alpha" / "images"
    (images / "alpha-9.png").write_bytes((images / "alpha-1.png").read_bytes())
    _, warnings = load_desired([], cwd=root)
    assert [w.message for w in warnings if "duplicate" in w.message] == [
        "alpha/images/alpha-9.png is an exact duplicate of alpha/images/alpha-1.png: duplicates "
        "over-weight one example and teach the model to copy it; remove one"
    ]


def test_a_pointer_to_a_file_no_training_takes_is_an_error(tmp_path: Path, cli: Cli) -> None:
    root = workspace(tmp_path / "ws")
    (root / "alpha" / "images" / "notes.psd").write_bytes(pointer(b"layers"))
    (root / "alpha" / "model.yaml").write_text(
        (root / "alpha" / "model.yaml").read_text().replace("images/*.png", "images/*")
    )
    (root / "alpha" / "images" / "alpha-5.png").write_bytes(
        b"version https://git-lfs.github.com/spec/v1\n"
    )
    assert cli("validate", cwd=root) == 1
    assert cli.err == snapshot("""\
warning: alpha/model.yaml:8: spec.trainingImages: only 4 training images: too few to generalise; 5-15 images is the sweet spot (styles up to about 20)
warning: alpha/model.yaml:8: spec.trainingImages: 4 training files are Git LFS pointers (alpha/images/alpha-1.png, alpha/images/alpha-2.png, +2 more): pixel checks skipped; `git lfs pull` runs them
alpha/model.yaml:9: spec.trainingImages[0]: alpha/images/alpha-5.png is a malformed Git LFS pointer: it has no `oid sha256:<hex>` line
  hint: commit the file through Git LFS again (`git lfs track`, `git add`)
alpha/model.yaml:9: spec.trainingImages[0]: alpha/images/notes.psd is not a valid image: it is a Git LFS pointer to a .psd file
  hint: use one of: JPEG, PNG, WEBP
error: 2 error(s) in manifests
""")


def test_strict_validate_of_pointers_passes_with_its_note(tmp_path: Path, cli: Cli) -> None:
    # A checkout without LFS content is what a pull request's plan runs on: `--strict` (lint
    # warnings as errors) must not fail it for checks that could not run.
    root = workspace(tmp_path / "ws")
    assert cli("validate", "--strict", cwd=root) == 0
    assert "5 training files are Git LFS pointers" in cli.err
