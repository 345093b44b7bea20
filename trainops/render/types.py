"""`trainops types` as text or JSON: the values of `trainops.catalog` (its docstring has the
JSON contract), pure functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def render_types_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell, but the last: it may be long, and is never padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        + "\n"
        for r in rows
    )


def render_types_text(data: dict[str, Any]) -> str:
    rows = [("TYPE", "FAMILY", "TRAINS ON", "")]
    for t in data["types"]:
        legacy = "legacy: the API may refuse new models of it" if t["legacy"] else ""
        rows.append((t["type"], t["family_label"], t["trains_on"], legacy))
    return _table(rows) + "\n`trainops types TYPE` lists the parameters a type takes.\n"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def range_text(p: dict[str, Any]) -> str:
    """A parameter's accepted values, in a few words."""
    if p["enum"] is not None:
        return "one of " + ", ".join(p["enum"])
    if p["max_length"] is not None:
        return f"up to {p['max_length']} characters"
    lo, hi = p["minimum"], p["maximum"]
    low = None if lo is None else f"{'over' if p['exclusive_minimum'] else 'from'} {_num(lo)}"
    text = " ".join(x for x in (low, None if hi is None else f"to {_num(hi)}") if x)
    if text.startswith("to "):
        text = "up " + text
    if p["whole"]:
        text = f"{text}, whole" if text else "whole"
    return text or _ANY[p["kind"]]


_ANY = {
    "string": "any text",
    "number": "any number",
    "boolean": "true or false",
    "string[]": "a list of texts",
}


def default_text(p: dict[str, Any]) -> str:
    value, note = p["default"], p["default_note"]
    if value is None:
        return note or "-"
    shown = json.dumps(value) if isinstance(value, str) else _num(value)
    return f"{shown} ({note})" if note else shown


def render_type_text(data: dict[str, Any]) -> str:
    legacy = " (legacy: the API may refuse new models of it)" if data["legacy"] else ""
    head = f"{data['type']}: {data['family_label']}, trains on {data['trains_on']}{legacy}\n\n"
    # The range last: an enum's values make it the longest column.
    rows = [("PARAMETER", "KIND", "DEFAULT", "RANGE")]
    for p in data["parameters"]:
        secret = "a secret: only by reference, {env: NAME}" if p["secret"] else ""
        notes = "; ".join(x for x in (p["description"], secret) if x)
        shown = range_text(p) + (f" · {notes}" if notes else "")
        rows.append((p["name"], p["kind"], default_text(p), shown))
    return head + _table(rows)
