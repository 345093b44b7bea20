from __future__ import annotations

from tests.support.cli import Cli


def test_version_prints_and_exits_zero(cli: Cli) -> None:
    assert cli("--version") == 0
    assert (cli.out, cli.err) == ("trainops 0.1.0\n", "")
