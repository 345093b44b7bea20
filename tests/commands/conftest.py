"""Fixtures of the command tests: an empty workspace named `shop`."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "shop"  # the sandbox fixture keeps its state file outside the workspace
    root.mkdir()
    (root / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\nworkspace: shop\n"
    )
    return root
