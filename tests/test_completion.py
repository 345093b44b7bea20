"""Shell completion: the script `trainops completion bash` prints is valid bash, and `trainops`
answers a completion request (what that script sends) from its parser, in a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import Cli


def _complete(line: str, tmp_path: Path) -> list[str]:
    out = tmp_path / "completions"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    done = subprocess.run(
        [sys.executable, "-m", "trainops"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return sorted(w.strip() for w in out.read_text().split("\n") if w.strip())


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert _complete("trainops i", tmp_path) == ["import", "init"]
    assert _complete("trainops init --w", tmp_path) == ["--workflow", "--workspace"]
    assert _complete("trainops completion ", tmp_path) == ["--help", "-h", "bash", "fish", "zsh"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_bash_script_is_valid_bash(cli: Cli, tmp_path: Path) -> None:
    assert cli("completion", "bash") == 0
    assert "complete " in cli.out
    assert "trainops" in cli.out
    script = tmp_path / "trainops.bash"
    script.write_text(cli.out)
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run([bash, "-n", str(script)], check=True, timeout=30)


def test_an_unknown_shell_is_a_usage_error(cli: Cli) -> None:
    assert cli("completion", "powershell") == 2
    assert "invalid choice: 'powershell'" in cli.err
