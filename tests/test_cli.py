from __future__ import annotations

import gc
import weakref

from tests.support.cli import Cli


def test_version_prints_and_exits_zero(cli: Cli) -> None:
    assert cli("--version") == 0
    assert (cli.out, cli.err) == ("trainops 0.1.0\n", "")


def test_a_command_leaves_what_existed_before_it_collectable_after_it(cli: Cli) -> None:
    # However main keeps the collector off what start-up left alive, it must give it back: a
    # long-lived caller (a test session, a tool embedding trainops) would never free it.
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    before = Cycle(), Cycle()
    refs = [weakref.ref(c) for c in before]
    assert cli("schema") == 0
    assert cli("validate", "no-such-dir") == 1
    del before
    gc.collect()
    assert [r() for r in refs] == [None, None]
