"""Warnings for the terminal: one line per model and kind of warning, not one per image.

The dataset lint (`trainops.manifest.lint`) says one thing per image, tag or parameter, with its
`file:line`; a model of 12 small images would print 12 lines on every plan. Its per-item
messages are read back here (the cache stores diagnostics as they are, so the kind is in the
words) and a kind met twice or more in one model becomes one line:
`hero/model.yaml:9: hero: 12 images under 1024 px: a.png 512x512, b.png 640x480, +10 more: ...`.
A warning met once keeps its own located line. Git LFS pointers are one line for the whole run:
`12 files are Git LFS pointers: a.png, b.png, +10 more: pixel checks skipped; ...`.
Imports no validation: a plan with nothing to do stays cheap to start (tests/test_startup.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from trainops.desired import DesiredModel
from trainops.errors import Diagnostic
from trainops.redact import strip_bidi

SHOWN = 2  # items named per group; the rest are counted


@dataclass(frozen=True)
class Kind:
    """A per-item warning of the lint: `pattern` reads its item from the message (group `item`,
    and `size` when there is one), `noun` (formatted with the pattern's groups) counts them,
    `why` is said once for all."""

    pattern: re.Pattern[str]
    noun: str
    why: str

    def read(self, message: str) -> tuple[str, str] | None:
        """The item a message names and the noun of its group; None for another kind."""
        found = self.pattern.match(message)
        if found is None:
            return None
        fields = found.groupdict()
        size = fields.get("size")
        return found["item"] + (f" {size}" if size else ""), self.noun.format(**fields)


# Keep each pattern to its message in trainops.manifest.lint (tests/manifest/test_lintgroups.py).
KINDS = (
    Kind(
        re.compile(r"(?P<item>.+) is (?P<size>\d+x\d+) px, under (?P<side>\d+) px on a side: "),
        "images under {side} px",
        "the trainer upscales them and the model learns blur; use larger sources",
    ),
    Kind(
        re.compile(r"(?P<item>.+ is an exact duplicate of .+): duplicates over-weight "),
        "exact duplicates",
        "duplicates over-weight one example and teach the model to copy it; remove them",
    ),
    Kind(
        re.compile(r"tag (?P<item>.+) has more than lower-case letters, "),
        "tags of more than lower-case letters, digits and :._@/- or over 64 characters",
        "an API that normalises tags would store them otherwise and apply would stop this model",
    ),
    Kind(
        re.compile(r"(?P<item>\S+ \S+) is not a whole number: "),
        "parameters that are not whole numbers",
        "the trainer counts whole steps, epochs and ranks; write the numbers you mean",
    ),
)


# One per model (trainops.manifest.lint.lfs_pointers), all of them one line (`grouped`).
LFS = re.compile(
    r"(?P<count>\d+) training files? (?:are|is a) Git LFS pointers? \((?P<items>.*)\): (?P<note>.+)"
)


# The lint's other advice, one per model (trainops.manifest.lint): with the kinds above, the
# dataset warnings that `validate` and `plan` list and other commands only count.
ADVICE = tuple(
    re.compile(p)
    for p in (
        r"only \d+ training (image|images|pair|pairs): too few",
        r"\d+ training (images|pairs): more than the sweet spot",
        r"\d+ sample prompts, over the .* cap of ",
        r"\S+ epochs but no samplePrompts: ",
        r"SDXL LoRA training takes numTextTrainSteps and numUNetTrainSteps instead",
        r"learningRate \S+ is far from the guidance",
        LFS.pattern,
    )
)


def is_advice(d: Diagnostic) -> bool:
    """A dataset warning of the lint (`--quiet` hides them): not a warning about what apply
    does, such as an empty manifest or a legacy type, which every command prints."""
    return d.severity in ("warning", "note") and (
        any(k.pattern.match(d.message) for k in KINDS) or any(p.match(d.message) for p in ADVICE)
    )


@dataclass
class _Group:
    label: str | None  # the model's key, None when no model of the file holds the line
    kind: Kind | None
    noun: str
    diagnostics: list[Diagnostic]
    items: list[str]

    def __str__(self) -> str:
        first = self.diagnostics[0]
        if self.kind is None or len(self.diagnostics) == 1:
            return str(first)
        shown = ", ".join(self.items[:SHOWN])
        more = f", +{len(self.items) - SHOWN} more" if len(self.items) > SHOWN else ""
        who = f"{self.label}: " if self.label else ""
        head = f"{first.file}:{first.line}: {who}{len(self.items)} {self.noun}: {shown}{more}"
        text = f"{head}: {self.kind.why}"
        return strip_bidi(f"{text}\n  hint: {first.hint}" if first.hint else text)


@dataclass
class _Pointers:
    """Every Git LFS pointer of the run: one line, however many models hold them."""

    note: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    count: int = 0
    names: list[str] = field(default_factory=list)

    def add(self, found: re.Match[str], d: Diagnostic) -> None:
        self.diagnostics.append(d)
        self.count += int(found["count"])
        self.names += [n for n in found["items"].split(", ") if not n.startswith("+")]

    def __str__(self) -> str:
        if len(self.diagnostics) == 1:
            return str(self.diagnostics[0])
        shown = ", ".join(self.names[:SHOWN])
        more = f", +{self.count - SHOWN} more" if self.count > SHOWN else ""
        return strip_bidi(f"{self.count} files are Git LFS pointers: {shown}{more}: {self.note}")


def owner(d: Diagnostic, models: Sequence[DesiredModel]) -> str | None:
    """The model whose document holds the line: the last one of the file starting at or above
    it (a file may hold several documents)."""
    above = [m for m in models if m.source.file == d.file and m.source.line <= d.line]
    return max(above, key=lambda m: m.source.line).key if above else None


def grouped(warnings: Sequence[Diagnostic], models: Sequence[DesiredModel] = ()) -> list[str]:
    """The warnings to print, in the order met: a kind met more than once in a model (or, with
    no model known, in a file) is one line, and every Git LFS pointer of the run one line."""
    groups: dict[tuple[str, str | None, str], _Group] = {}
    lines: list[_Group | _Pointers] = []
    pointers: _Pointers | None = None
    for d in warnings:
        if found := LFS.match(d.message):
            if pointers is None:
                pointers = _Pointers(found["note"])
                lines.append(pointers)
            pointers.add(found, d)
            continue
        label = owner(d, models)
        for kind in KINDS:
            if read := kind.read(d.message):
                item, noun = read
                key = (d.file if label is None else "", label, noun)
                if key not in groups:
                    groups[key] = _Group(label, kind, noun, [], [])
                    lines.append(groups[key])
                groups[key].diagnostics.append(d)
                groups[key].items.append(item)
                break
        else:
            lines.append(_Group(label, None, "", [d], []))
    return [str(g) for g in lines]
