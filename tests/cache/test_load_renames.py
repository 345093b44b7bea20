"""The load cache keeps renames (issue 14, item 5): a warm load still knows each model's
previous keys and trainops.yaml's `moved:`, or the next plan would create and train anew."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.workspace import edit, make_workspace
from trainops.cache.load import RACY_NS, CachedLoad
from trainops.manifest.load import load_desired


def test_a_warm_load_keeps_previous_names_and_moved(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    edit(ws / "alpha" / "model.yaml", "  name: alpha\n", "  name: hero\n  previousNames: [a]\n")
    edit(ws / "beta" / "model.yaml", "  name: beta\n", "  name: villain\n")
    with (ws / "trainops.yaml").open("a") as f:
        f.write("moved:\n  - {from: beta, to: villain}\n")
    time.sleep(RACY_NS / 1e9 + 0.2)  # old enough for the cache to trust
    fresh, _ = load_desired(["."], cwd=ws)
    assert [m.previous_names for m in fresh.models] == [("a",), ("beta",)]
    assert fresh.workspace.moved == (("beta", "villain"),)

    for warm in (False, True):
        run = CachedLoad(["."], cwd=ws, strict=False)
        desired, _ = run.load()
        if warm:  # the whole load, or each manifest file's share, from the cache
            assert run.stats.cache_hit or run.stats.reused_files == 2
        assert desired == fresh
