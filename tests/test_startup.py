"""What a command imports before it does anything: start-up is part of every re-plan."""

from __future__ import annotations

import subprocess
import sys

# Each costs >= 0.1 s to import and is needed only off the common path (a plan with changes).
LAZY = ("deepdiff",)


def test_the_plan_command_does_not_import_what_an_unchanged_plan_never_uses() -> None:
    code = (
        "import sys, trainops.cli, trainops.commands.plan, trainops.commands.apply; "
        f"print(' '.join(m for m in {LAZY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []
