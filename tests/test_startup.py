"""What a command imports before it does anything: start-up is part of every re-plan."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.support.paths import EXAMPLES
from trainops.cache.load import RACY_NS

# Each costs >= 0.1 s to import and is needed only off the common path (a plan with changes).
LAZY = ("deepdiff",)


def test_the_plan_command_does_not_import_what_an_unchanged_plan_never_uses() -> None:
    code = (
        "import sys, trainops.cli, trainops.commands.plan, trainops.commands.apply; "
        f"print(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []


def test_a_warm_load_never_imports_the_manifest_validation(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "ws")
    time.sleep(RACY_NS / 1e9)  # copied files are new: a load does not trust them before
    code = (
        "import sys; from pathlib import Path; from trainops import pipeline; "
        f"pipeline.load([], cwd=Path({str(tmp_path / 'ws')!r})); "
        "print('trainops.manifest.schema' in sys.modules, 'pydantic.main' in sys.modules)"
    )

    def fresh_process() -> str:
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    assert fresh_process() == "True True"  # cold: validates every manifest
    assert fresh_process() == "False False"  # warm: the cached result, nothing validated
