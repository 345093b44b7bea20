"""`trainops ARGV...` run in-process, the way the `cli` fixture (tests/conftest.py) hands it out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from trainops.cli import main

# What a developer's shell or a CI runner may have set that would change what a command does;
# removed for every test that asks for `cli`, so a test sets only what it means.
UNSET = (
    "SCENARIO_API_KEY",
    "SCENARIO_API_SECRET",
    "SCENARIO_SDK_API_KEY",
    "SCENARIO_SDK_API_SECRET",
    "SCENARIO_BASE_URL",
    "TRAINOPS_SANDBOX_API_KEY",
    "TRAINOPS_SANDBOX_API_SECRET",
    "WANDB_KEY",
    "GITHUB_API_URL",
    "GITHUB_EVENT_NAME",
    "GITHUB_EVENT_PATH",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_TOKEN",
)

Env = Mapping[str, "str | None"]


class Cli:
    """Runs `trainops.cli.main(argv)` in `cwd` with `env` on top of the test's environment and
    keeps the exit code and what it printed (`code`, `out`, `err`) until the next call.

    `cli.cwd` and `cli.env` are the defaults of every call; `cwd=` and `env=` override them for
    one call. In `env`, None unsets a variable. Both are undone when the call returns. A call
    starts by draining capsys, so anything the test printed before it is dropped.
    """

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self._capsys = capsys
        self._monkeypatch = monkeypatch
        self.cwd: Path | None = None  # None: the test's current directory
        self.env: dict[str, str | None] = {}
        self.code = 0
        self.out = self.err = ""

    def __call__(self, *argv: str, cwd: Path | None = None, env: Env | None = None) -> int:
        with self._monkeypatch.context() as patch:
            if (where := cwd or self.cwd) is not None:
                patch.chdir(where)
            for name, value in {**self.env, **(env or {})}.items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            self._capsys.readouterr()  # only what this command prints
            self.code = _exit_code(argv)
            self.out, self.err = self._capsys.readouterr()
        return self.code


def scrub(text: str) -> str:
    """Whole outputs are compared; only ids, hashes and times differ from run to run (ids also
    in their markdown form, `model&#95;…`)."""
    text = re.sub(r"\b(model|job|asset)(_|&#95;)[A-Za-z0-9]+", r"\1\2ID", text)
    text = re.sub(r"training: [^,]+, \d+%, [^,]+, [^,]+ left,", "training: STATUS,", text)
    return re.sub(r"\b([0-9a-f]{12}|[0-9a-f]{16,64})\b", "HASH", text)  # commits, plans


def _exit_code(argv: tuple[str, ...]) -> int:
    try:
        return main(list(argv))
    except SystemExit as stop:  # argparse: --help, --version, a usage error
        return stop.code if isinstance(stop.code, int) else int(stop.code is not None)
