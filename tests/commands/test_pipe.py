"""A closed output pipe (`trainops plan | head -1`) ends quietly with exit code 141, as git and
terraform do (killed by SIGPIPE): no traceback, no "this is a bug" (README "Exit codes").

Each command runs in its own interpreter, its stdout a pipe whose reader is already gone, so
its first write fails whatever the timing (`head` exiting early is a race)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainops.commands import EXIT_PIPE


def closed_pipe_run(cwd: Path, *argv: str) -> tuple[int, str]:
    """`trainops ARGV... | (reader gone)`: the exit code and stderr."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "trainops", *argv],
            cwd=cwd,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("SCENARIO_")},
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("argv", [("plan", "--sandbox"), ("schema",), ("types",)])
def test_a_closed_pipe_ends_quietly_with_141(ws: Path, argv: tuple[str, ...]) -> None:
    code, stderr = closed_pipe_run(ws, *argv)
    assert code == EXIT_PIPE == 141
    assert "Traceback" not in stderr
    assert "bug" not in stderr
    assert "BrokenPipeError" not in stderr
