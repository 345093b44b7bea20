"""What changed in a model, in one human line for the plan table's "Why" column: `2 images
added, 1 replaced, caption of px-02.png changed, maxTrainSteps 500 → 550`, never a fingerprint.
"""

from __future__ import annotations

from collections import Counter

from trainops.plan import Change, Value
from trainops.render.phrases import clean, media_of, show_value

MAX_WHY = 140
_WHY_VALUE = 24  # a value in the one-line why: enough to tell 500 from 550, never a caption


def why_line(changes: tuple[Change, ...], limit: int = MAX_WHY) -> str | None:
    """What changed, in one human line: `2 images added, 1 replaced, caption of px-02.png
    changed, maxTrainSteps 500 → 550`; past `limit` the rest is counted (`+3 more`). None when
    no change says anything (tags and fingerprints only)."""
    parts = [*_file_parts(changes), *_caption_parts(changes), *_pair_parts(changes)]
    parts += [p for c in changes if (p := _why_part(c))]
    parts += _counted("tag", Counter(c.op for c in changes if c.kind == "tag"))
    if not parts:
        return None
    out = parts[0]
    for n, part in enumerate(parts[1:], start=1):
        more = f", +{len(parts) - n} more"
        if len(out) + 2 + len(part) + (len(more) if n < len(parts) - 1 else 0) > limit:
            return clean(out + more, limit)
        out += ", " + part
    return clean(out, limit)


def _file_parts(changes: tuple[Change, ...]) -> list[str]:
    files = [c for c in changes if c.kind == "image"]
    audio = files and all(media_of(c.subject) == "audio" for c in files)
    return _counted("audio file" if audio else "image", Counter(c.op for c in files))


def _pair_parts(changes: tuple[Change, ...]) -> list[str]:
    return _counted("training pair", Counter(c.op for c in changes if c.kind == "pair"))


def _counted(noun: str, ops: Counter[str]) -> list[str]:
    """`2 images added`, `1 replaced`, `3 removed`: the noun said once, on the first."""
    words = [(n, w) for op, w in _COUNTED_OPS if (n := ops[op])]
    return [
        f"{n} {noun}{'s' if n != 1 else ''} {w}" if i == 0 else f"{n} {w}"
        for i, (n, w) in enumerate(words)
    ]


_COUNTED_OPS = (("add", "added"), ("replace", "replaced"), ("remove", "removed"))
_SENSITIVE = {"add": "set", "remove": "removed", "change": "changed", "replace": "changed"}


def _caption_parts(changes: tuple[Change, ...]) -> list[str]:
    names = [c.subject for c in changes if c.kind == "caption"]
    if len(names) > 2:
        return [f"{len(names)} captions changed"]
    return [f"caption of {n} changed" for n in names]


def _why_part(c: Change) -> str | None:
    def short(v: Value) -> str:
        return clean(show_value(v), _WHY_VALUE)

    if c.kind in ("image", "caption", "pair", "tag", "fingerprint"):
        return None
    name = {"name": "display name", "description": "short description"}.get(c.kind, c.subject)
    if c.sensitive:
        return f"{c.subject} {_SENSITIVE[c.op]}"
    if c.op == "add":
        return f"{name} = {short(c.new)}"
    if c.op == "remove":
        return f"{name} removed"
    return f"{name} {short(c.old)} → {short(c.new)}"
