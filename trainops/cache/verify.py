"""`TRAINOPS_CACHE=verify`: every cached load is checked against a load without any cache.

A stale hit is a wrong desired state (a plan saying `none` where a training is due), so a
difference is a bug in trainops, never the user's to fix: `CacheMismatchError` is not a
`TrainopsError`, and the CLI exits 3 showing what differed. The test suite runs in this mode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from trainops.desired import Desired
from trainops.errors import Diagnostic, ManifestError

__all__ = ["CacheMismatchError", "check", "differences"]

Result = tuple[Desired, list[Diagnostic]]
Outcome = Result | ManifestError
_SHOWN = 120  # characters of a differing value shown


class CacheMismatchError(RuntimeError):
    """The load cache answered otherwise than a load without it."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            "the load cache answered differently from a load without it (a bug in trainops; "
            "`trainops cache clean` or --no-cache avoids it):\n"
            + "\n".join(f"  {p}" for p in problems)
        )
        self.problems = list(problems)


def check(
    cached: Callable[[], Result], paths: Sequence[Path], *, cwd: Path, strict: bool
) -> Result:
    """`cached()`, once a load without any cache (not even the hash cache) agrees with it."""
    from trainops.manifest.load import load_desired

    got = _outcome(cached)
    expected = _outcome(lambda: load_desired(paths, cwd=cwd, strict=strict))
    problems = differences(got, expected)
    if problems:
        raise CacheMismatchError(problems)
    if isinstance(got, ManifestError):
        raise got
    return got


def _outcome(load: Callable[[], Result]) -> Outcome:
    try:
        return load()
    except ManifestError as exc:
        return exc


def differences(cached: Outcome, fresh: Outcome) -> list[str]:
    """What differs, one line each, `cached` first."""
    if isinstance(cached, ManifestError) or isinstance(fresh, ManifestError):
        before = cached.diagnostics if isinstance(cached, ManifestError) else None
        after = fresh.diagnostics if isinstance(fresh, ManifestError) else None
        if before is None or after is None:
            return [f"outcome: cached {_verdict(cached)}, fresh {_verdict(fresh)}"]
        return _lines("diagnostics", before, after)
    (desired, warnings), (expected, expected_warnings) = cached, fresh
    out = _fields("workspace", desired.workspace, expected.workspace)
    mine, theirs = desired.by_key(), expected.by_key()
    for key in sorted(mine.keys() | theirs.keys()):
        if key not in theirs:
            out.append(f"model {key}: only in the cached result")
        elif key not in mine:
            out.append(f"model {key}: missing from the cached result")
        else:
            out += _fields(f"model {key}", mine[key], theirs[key])
    order, expected_order = [m.key for m in desired.models], [m.key for m in expected.models]
    if mine.keys() == theirs.keys() and order != expected_order:
        out.append("models: in another order")
    return out + _lines("warnings", warnings, expected_warnings)


def _verdict(outcome: Outcome) -> str:
    if isinstance(outcome, ManifestError):
        return outcome.message
    return f"valid ({len(outcome[0].models)} models)"


def _fields(what: str, cached: object, fresh: object) -> list[str]:
    return [
        f"{what}: {_difference(f.name, getattr(cached, f.name), getattr(fresh, f.name))}"
        for f in dataclasses.fields(cached)  # type: ignore[arg-type]
        if getattr(cached, f.name) != getattr(fresh, f.name)
    ]


def _difference(name: str, cached: object, fresh: object) -> str:
    """The first differing item of two sequences (a model has thousands of images)."""
    if isinstance(cached, tuple) and isinstance(fresh, tuple):
        if len(cached) != len(fresh):
            return f"{name}: cached {len(cached)} items, fresh {len(fresh)}"
        i = next(i for i, (a, b) in enumerate(zip(cached, fresh, strict=True)) if a != b)
        return f"{name}[{i}]: cached {_short(cached[i])}, fresh {_short(fresh[i])}"
    return f"{name}: cached {_short(cached)}, fresh {_short(fresh)}"


def _lines(what: str, cached: Sequence[Diagnostic], fresh: Sequence[Diagnostic]) -> list[str]:
    if list(cached) == list(fresh):
        return []
    extra = [f"{what}: only cached: {d}" for d in cached if d not in fresh]
    missing = [f"{what}: only fresh: {d}" for d in fresh if d not in cached]
    return extra + missing or [f"{what}: in another order"]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
