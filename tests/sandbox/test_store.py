"""The SQLite store: SQL text is built from its own column names only, values are bound."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainops.sandbox.store import Store


def test_update_model_refuses_names_that_are_not_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    bad = {"name = 'x' --": 1}
    with (
        pytest.raises(ValueError, match="not columns of models: name = 'x' --"),
        store.write() as tx,
    ):
        tx.update_model("model_x", 0.0, **bad)
    with store.write() as tx:
        tx.update_model("model_x", 0.0, name="renamed")  # no such model: nothing to update
