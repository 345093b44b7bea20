"""Which part of the workspace a run covers, with what the rest of it claims: made by
`pipeline.load` (PATH arguments, `--target`, `--changed-since`) or by `planfile.scope_of` (the
models a saved plan covers), read by `diff.diff`."""

from __future__ import annotations

from dataclasses import dataclass

from trainops.desired import DesiredModel
from trainops.plan import Scope


@dataclass(frozen=True)
class Scoped:
    """`scope` None is the whole workspace. `others` are the workspace's models outside the
    scope: they claim their live models, which are never orphans. `only`, when given, limits
    the orphans to these keys (a saved plan's own orphan entries) instead of `scope`."""

    scope: Scope | None = None
    others: tuple[DesiredModel, ...] = ()
    only: frozenset[str] | None = None

    def __bool__(self) -> bool:  # `partial`, as the flag this replaced
        return self.scope is not None or self.only is not None


WHOLE = Scoped()
