"""YAML loading that remembers where every key and list item was written.

PyYAML's composer gives nodes with marks; we build plain Python values from them and keep a
`path -> line` map so any later error (pydantic, files, parameters) can name the exact line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
# libyaml's composer gives the same nodes and marks as the pure-Python one, many times faster.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


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


def _compose(text: str) -> list[yaml.Node]:
    try:
        return list(yaml.compose_all(text, Loader=_COMPOSER))
    except yaml.YAMLError:
        # Only on a broken file: the pure-Python parser words its errors as users know them.
        return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_documents(text: str) -> Iterator[Document]:
    """Every non-empty document in `text`. Raises YamlSyntaxError with the problem's position."""
    try:
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(line, col, f"YAML syntax error at column {col}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, 1, f"YAML error: {exc}") from exc
    for node in nodes:
        doc = Document(data=None, line=node.start_mark.line + 1)
        doc.data = _Builder(doc).build(node, ())
        yield doc
