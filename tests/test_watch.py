# ruff: noqa: E501  (snapshots hold whole output lines)
"""`apply --wait` against the sandbox: a professional voice clone stops at its captcha (a person
must read it in Scenario's web app), and --wait says so instead of waiting for ever."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.paths import EXAMPLES
from tests.support.workspace import edit

WAIT = ("apply", "--sandbox", "--yes", "--wait", "--poll-interval", "0.05")


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    """A workspace of one Flux LoRA (alpha) and one professional voice clone."""
    cli.cwd = ws
    shutil.rmtree(ws / "beta")
    shutil.copytree(EXAMPLES / "narrator-voice", ws / "narrator-voice")
    edit(ws / "narrator-voice" / "model.yaml", "cloneType: instant", "cloneType: professional")
    return cli


def _outcome(out: str) -> list[str]:
    return scrub(out[out.index("\nPlan: ") + 1 :]).splitlines()[1:]


def test_wait_stops_at_a_captcha_and_says_a_person_must_finish_it(cli: Cli) -> None:
    assert cli(*WAIT) == 1
    assert _outcome(cli.out) == snapshot(
        [
            "  ✓ alpha: create done — trained (job job_ID, 15 CU)",
            "  ! narrator-voice: create blocked — pending-captcha: a person must finish this professional voice clone in Scenario's web app (read its captcha aloud); the training goes on from there; --wait stopped following it (see `trainops status`) (job job_ID, 500 CU)",
            "",
            "Apply: 1 done, 0 failed, 0 skipped, 1 waiting for a person. Cost: 515 CU.",
        ]
    )
    assert [ln for ln in scrub(cli.err).splitlines() if "narrator" in ln][-1] == snapshot(
        "narrator-voice: pending-captcha: a person must finish this professional voice clone in Scenario's web app (read its captcha aloud); the training goes on from there"
    )
