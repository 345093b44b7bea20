"""Cutting markdown to a size without breaking it: never inside a tag, a code fence or an HTML
comment, and every `<details>` (or other tag) left open is closed again. Pure functions.

GitHub counts comment length in characters; we count UTF-16 code units, which is never less,
so an emoji-heavy plan cannot slip past the limit by a few characters (dflook#133: a 422 there
fails the whole job).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

Measure = Callable[[str], int]

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")
_OPEN_TAG_AT_END = re.compile(r"<(!--.*|/?[A-Za-z][^<>]*)$", re.S)
_MAX_PENDING = 500  # a stray `<word` in prose is not a tag: stop waiting for its `>`
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_VOID = frozenset({"br", "hr", "img", "input", "wbr", "meta", "link", "source", "col", "area"})


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class _State:
    tags: tuple[str, ...] = ()
    fence: str | None = None
    in_comment: bool = False
    pending: str = ""  # the start of a tag that continues on the next line

    @property
    def cut_ok(self) -> bool:
        return not (self.in_comment or self.pending)

    def closers(self) -> str:
        parts = [self.fence] if self.fence else []
        parts += [f"</{tag}>" for tag in reversed(self.tags)]
        return "".join(f"{p}\n" for p in parts)


def truncate_markdown(text: str, budget: int, measure: Measure = utf16_len) -> str:
    """The longest prefix of `text` cut at a line end, plus closers, that fits in `budget`."""
    if measure(text) <= budget:
        return text
    state, used, pos = _State(), 0, 0
    best, best_closers = 0, ""
    for line in text.splitlines(keepends=True):
        state = _advance(state, line)
        used += measure(line)
        pos += len(line)
        if not state.cut_ok:
            continue
        closers = state.closers()
        if closers and not line.endswith("\n"):
            closers = "\n" + closers
        if used + measure(closers) > budget:
            break
        best, best_closers = pos, closers
    return text[:best] + best_closers


def _advance(state: _State, line: str) -> _State:
    if state.fence:
        mark = line.strip()
        closes = set(mark) == {state.fence[0]} and len(mark) >= len(state.fence)
        return replace(state, fence=None) if closes else state
    if state.in_comment:
        if "-->" not in line:
            return state
        line, state = line.split("-->", 1)[1], replace(state, in_comment=False)
    fence = None if state.pending else _FENCE.match(line)
    if fence:
        return replace(state, fence=fence.group(1))
    return _scan_tags(state.tags, state.pending + line)


def _scan_tags(open_tags: tuple[str, ...], line: str) -> _State:
    line = _CODE_SPAN.sub("", line)
    line = re.sub(r"<!--.*?-->", "", line)
    tags = list(open_tags)
    for closing, name, self_closing in _TAG.findall(line):
        name = name.lower()
        if self_closing or name in _VOID:
            continue
        if not closing:
            tags.append(name)
        elif name in tags:
            del tags[len(tags) - 1 - tags[::-1].index(name) :]
    tail = _OPEN_TAG_AT_END.search(line)
    if tail and tail.group(1).startswith("!--"):
        return _State(tuple(tags), in_comment=True)
    pending = tail.group(0) if tail else ""
    return _State(tuple(tags), pending=pending if len(pending) <= _MAX_PENDING else "")
