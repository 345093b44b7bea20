# ruff: noqa: E501  (snapshots hold whole warning lines)
"""The manifests' warnings (issue 15, item 2): one line per model and kind, listed by `validate`
and `plan`, counted in one line by `apply`, hidden by `--quiet`; `validate --format json` keeps
every diagnostic. The CLI in a real workspace against the embedded sandbox."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.workspace import commit


def grey_png(width: int, height: int, shade: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = (b"\x00" + bytes([shade]) * width) * height
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    """alpha has 4 images under 1024 px, beta one: 5 warnings, 2 lines."""
    sizes = [(512, 512), (640, 480), (800, 600), (1000, 1000)]
    for i, (w, h) in enumerate(sizes):
        (ws / "alpha" / "images" / f"small-{i}.png").write_bytes(grey_png(w, h, 100 + i))
    (ws / "beta" / "images" / "small.png").write_bytes(grey_png(300, 200, 200))
    commit(ws, "small images")
    cli.cwd = ws
    return cli


def test_validate_lists_the_warnings_one_line_per_model_and_kind(cli: Cli) -> None:
    assert cli("validate") == 0
    assert cli.err == snapshot("""\
warning: alpha/model.yaml:9: alpha: 4 images under 1024 px: alpha/images/small-0.png 512x512, alpha/images/small-1.png 640x480, +2 more: the trainer upscales them and the model learns blur; use larger sources
warning: beta/model.yaml:9: spec.trainingImages[0]: beta/images/small.png is 300x200 px, under 1024 px on a side: the trainer upscales it and the model learns blur; use a larger source
""")
    assert cli.out == snapshot("ok: 2 models valid in workspace e2e\n")


def test_validate_quiet_hides_the_warnings_and_json_keeps_every_one(cli: Cli) -> None:
    assert cli("validate", "--quiet") == 0
    assert cli.err == ""
    assert cli.out == snapshot("ok: 2 models valid in workspace e2e\n")
    assert cli("validate", "--format", "json", "-q") == 0
    diagnostics = json.loads(cli.out)["diagnostics"]
    assert [d["message"].split(" ", 1)[0] for d in diagnostics] == snapshot(
        [
            "alpha/images/small-0.png",
            "alpha/images/small-1.png",
            "alpha/images/small-2.png",
            "alpha/images/small-3.png",
            "beta/images/small.png",
        ]
    )


def test_plan_lists_the_warnings_once_and_apply_counts_them(cli: Cli) -> None:
    assert cli("plan", "--sandbox") == 0
    assert scrub(cli.err) == snapshot("""\
warning: alpha/model.yaml:9: alpha: 4 images under 1024 px: alpha/images/small-0.png 512x512, alpha/images/small-1.png 640x480, +2 more: the trainer upscales them and the model learns blur; use larger sources
warning: beta/model.yaml:9: spec.trainingImages[0]: beta/images/small.png is 300x200 px, under 1024 px on a side: the trainer upscales it and the model learns blur; use a larger source
note: created price probe model_ID (flux.1-lora): an empty model, never trained, that plans dry-run new models on; `trainops status` lists it, `trainops probes clean` removes it
""")
    assert cli("plan", "--sandbox", "--quiet") == 0
    assert scrub(cli.err) == snapshot("")
    assert cli("apply", "--sandbox", "--yes") == 0, cli.err
    first, *progress = scrub(cli.err).splitlines()
    assert first == "warning: 5 dataset warnings not shown: `trainops validate` lists them"
    # Models are applied at once: their progress lines come in the order their calls end.
    assert sorted(progress) == [
        "alpha: created model_ID",
        "alpha: training started",
        "beta: created model_ID",
        "beta: training started",
    ]
    assert cli("apply", "--sandbox", "--yes", "-q") == 0, cli.err
    assert scrub(cli.err) == snapshot("")
