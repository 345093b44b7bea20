"""YAML loading that remembers where every key and list item was written.

PyYAML's composer gives nodes with marks; we build plain Python values from them and keep a
`path -> line` map so any later error (pydantic, files, parameters) can name the exact line.

Hostile YAML (issue 11) is met by one pass over the parser's events before anything is
composed: it counts the values each document would build once its aliases are expanded
(`MAX_VALUES` a file: an 800-byte billion-laughs file expands to billions), the nesting depth
(`MAX_DEPTH`, aliases included: the composer and the builder recurse), and refuses an alias
inside its own anchor (a recursive value). It also reads each document's header, so a file
with no trainops document is never composed at all: another tool's YAML, even a bomb, costs
one pass of the C parser. Documents that may have been meant as ours (a typo of the apiVersion,
`kind: Model`, `metadata` and `spec`) are composed for `manifest.load` to tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
MAX_DEPTH = 50  # a manifest needs about six levels
MAX_VALUES = 50_000  # keys, items and scalars a file builds, aliases expanded
_STR = "tag:yaml.org,2002:str"
_REWORD_LIMIT = (
    64 * 1024
)  # the pure-Python parser is slow: a bigger broken file keeps libyaml's words
# libyaml's composer gives the same nodes and marks as the pure-Python one, many times faster.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


class YamlLimitError(YamlSyntaxError):
    """Valid YAML over a limit: too deep, too many values, or a recursive alias."""

    hint = "a manifest is a few levels and a few hundred values; this file looks generated"


@dataclass
class Document:
    """One `---` document: its plain value and the 1-based line of every key / item path."""

    data: Any
    line: int
    marks: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that was written down."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.marks:
                return self.marks[path[:end]]
        return self.line


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node, path)
        try:
            return self.scalars.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            line = node.start_mark.line + 1
            raise YamlSyntaxError(line, 1, f"YAML error: {exc.problem}") from exc
        except (ValueError, TypeError) as exc:  # e.g. `!!int abc`: the constructor's own error
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            raise YamlSyntaxError(line, col, f"invalid {node.tag} value {node.value!r}") from exc

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node, path)
            key = key if isinstance(key, str | int) else str(key)
            here = (*path, key)
            line = key_node.start_mark.line + 1
            if key in out:
                self.doc.duplicates.append((here, line))
            self.doc.marks[here] = line
            out[key] = self.build(value_node, here)
        return out

    def _sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        out: list[Any] = []
        for i, item in enumerate(node.value):
            here = (*path, i)
            self.doc.marks[here] = item.start_mark.line + 1
            out.append(self.build(item, here))
        return out


_API_VERSION = "trainops/v1"  # `schema.API_VERSION`: that module imports this one


def _distance(a: str, b: str) -> int:
    """Levenshtein: the edits from `a` to `b`."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def near_api_version(version: str) -> bool:
    """A typo of trainops's apiVersion (`trainop/v1`, `trainops.v1`, `Trainops/v1`,
    `trainops.io/v1`), not another tool's (`apps/v1`, `mlops.seldon.io/v1alpha1`)."""
    low = version.strip().lower()
    if low.startswith("trainops/"):
        return False
    group = low.split("/", 1)[0]
    return (
        _distance(low, _API_VERSION) <= 2
        or _distance(group, "trainops") <= 2
        or group.startswith("trainops")
    )


class _Header:
    """The top-level keys of one document that say whether it is ours, or may have been meant
    to be (`manifest.load` decides from the whole document)."""

    def __init__(self) -> None:
        self.items = 0  # direct children of the root mapping seen: keys at even positions
        self.key: str | None = None
        self.values: dict[str, str | None] = {}  # apiVersion / kind: the string, or None

    def child(self, value: str | None) -> None:
        """A direct child of the root mapping: a scalar's string value, else None."""
        if self.items % 2 == 0:
            self.key = value
            if value in ("spec", "metadata"):
                self.values[value] = None
        elif self.key in ("apiVersion", "kind"):
            self.values[self.key] = value
        self.items += 1

    def ours(self) -> bool:
        """What `manifest.load` counts as ours or as a near miss, from the header alone: a
        trainops apiVersion or a typo of it, a kind of ours, or a model's shape."""
        version = self.values.get("apiVersion")
        if version is not None and (version.startswith("trainops/") or near_api_version(version)):
            return True
        if self.values.get("kind") in ("Model", "Workspace"):
            return True
        return "spec" in self.values and ("metadata" in self.values or version is None)


class _Scan:
    """One pass over a file's parser events: which documents are ours, the first limit broken
    (the pass stops there)."""

    def __init__(self) -> None:
        self.ours: list[bool] = []
        self.problem: YamlLimitError | None = None
        self._resolver: Any = yaml.resolver.Resolver()  # untyped in PyYAML
        self._values = 0
        # Open collections, outermost first: [anchor, values before it, deepest child].
        self._open: list[list[Any]] = []
        self._anchors: dict[str, tuple[int, int, str | None]] = {}  # values, height, its text
        self._header: _Header | None = None

    def run(self, events: Iterator[yaml.Event]) -> None:
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._scalar(event)  # type: ignore[arg-type]
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._start(event)  # type: ignore[arg-type]
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self._end()
            elif kind is yaml.AliasEvent:
                self._alias(event)  # type: ignore[arg-type]
            elif kind is yaml.DocumentStartEvent:
                self._header = None
                self._anchors.clear()
            elif kind is yaml.DocumentEndEvent:
                self.ours.append(self._header is not None and self._header.ours())
            if self.problem is not None:
                return

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        text = None  # only what the header may read: resolving every scalar's type costs
        if event.anchor is not None or (len(self._open) == 1 and self._header is not None):
            text = self._string(event)
        if event.anchor is not None:
            self._anchors[event.anchor] = (1, 0, text)
        self._child(event, 1, 0, text)

    def _string(self, event: yaml.ScalarEvent) -> str | None:
        """The scalar as `_ours` sees it: None for null, a number or a boolean."""
        if event.implicit[0]:
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, (True, False))
            return event.value if tag == _STR else None
        return event.value if event.tag in (None, "!", _STR) else None

    def _start(self, event: yaml.CollectionStartEvent) -> None:
        if not self._open and type(event) is yaml.MappingStartEvent:
            self._header = _Header()
        self._open.append([event.anchor, self._values, 0])
        self._count(event, 1, 0)

    def _end(self) -> None:
        anchor, before, deepest = self._open.pop()
        height = deepest + 1
        if anchor is not None:
            self._anchors[anchor] = (self._values - before, height, None)
        self._nested(height, None)

    def _alias(self, event: yaml.AliasEvent) -> None:
        name = event.anchor or ""
        if any(o[0] == name for o in self._open):
            self._fail(event, f"alias *{name} is inside its own anchor &{name} (a recursive value)")
            return
        values, height, text = self._anchors.get(name, (1, 0, None))  # undefined: the composer's
        self._child(event, values, height, text)

    def _child(self, event: yaml.Event, values: int, height: int, text: str | None) -> None:
        """A scalar or an alias: `values` and `height` of what it builds."""
        self._count(event, values, height)
        self._nested(height, text)

    def _nested(self, height: int, text: str | None) -> None:
        """A value ended inside the innermost open collection."""
        if not self._open:
            return
        self._open[-1][2] = max(self._open[-1][2], height)
        if len(self._open) == 1 and self._header is not None:
            self._header.child(text)

    def _count(self, event: yaml.Event, values: int, height: int) -> None:
        self._values += values
        if len(self._open) + height > MAX_DEPTH:
            self._fail(event, f"nested deeper than {MAX_DEPTH} levels")
        elif self._values > MAX_VALUES:
            self._fail(event, f"more than {MAX_VALUES:,} values once aliases are expanded")

    def _fail(self, event: yaml.Event, message: str) -> None:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.problem = YamlLimitError(line, col, message)


def _scan(text: str) -> _Scan:
    scan = _Scan()
    try:
        scan.run(yaml.parse(text, Loader=_COMPOSER))
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in (exc.problem or ""):  # libyaml's own limit, far above ours
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            scan.problem = YamlLimitError(line, col, f"nested deeper than {MAX_DEPTH} levels")
            return scan
        if len(text) > _REWORD_LIMIT:
            raise
        # Only on a broken file: the pure-Python parser words its errors as users know them
        # (it parses without recursion; a limit it meets first is reported as such).
        scan = _Scan()
        scan.run(yaml.parse(text, Loader=yaml.SafeLoader))
    return scan


def _syntax_error(exc: yaml.YAMLError) -> YamlSyntaxError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return YamlSyntaxError(line, col, f"YAML syntax error at column {col}: {problem}")
    return YamlSyntaxError(1, 1, f"YAML error: {exc}")


def load_documents(text: str, *, only_ours: bool = False) -> Iterator[Document]:
    """Every document in `text`; with `only_ours`, only those of trainops (see
    `manifest.load`: a trainops apiVersion, or a Model with a spec), the others never composed.
    Raises YamlSyntaxError with the problem's position, for a broken file or one over a limit
    (whatever its documents are: a caller decides whether the file is its own)."""
    try:
        scan = _scan(text)
        if scan.problem is not None:
            raise scan.problem
        if only_ours and not any(scan.ours):
            return
        nodes = list(yaml.compose_all(text, Loader=_COMPOSER))
    except yaml.YAMLError as exc:
        raise _syntax_error(exc) from exc
    for node, ours in zip(nodes, scan.ours, strict=True):
        if ours or not only_ours:
            doc = Document(data=None, line=node.start_mark.line + 1)
            doc.data = _Builder(doc).build(node, ())
            yield doc
