"""Shell completion by argcomplete: `trainops completion SHELL` prints the script a shell
sources; the script runs `trainops` with `_ARGCOMPLETE` set, and `complete` answers from the
parser, then exits. argcomplete is imported only then: no start-up cost for other runs."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

SHELLS = ("bash", "zsh", "fish")


def complete(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """When the shell asks for completions, print them and exit; otherwise return at once."""
    if "_ARGCOMPLETE" not in environ:
        return
    import argcomplete

    argcomplete.autocomplete(parser)


def script(shell: str) -> str:
    """The completion script for `shell`, for `trainops` on the PATH."""
    from argcomplete.shell_integration import shellcode

    return str(shellcode(["trainops"], shell=shell))
