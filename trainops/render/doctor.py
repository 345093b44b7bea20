"""`trainops doctor`'s report as a table or JSON: pure functions of `doctor.Report`.

JSON contract (`Report.data()`), `format_version` "1.1" (1.1 added `command`):
    format_version       "1.1"
    command              "doctor"
    holds                bool: no check failed
    scratch_model        the scratch model's id (deleted at the end)
    leftovers_removed    ids of earlier runs' scratch models, deleted
    leftovers_kept       ids of recent doctor models left alone (another run's?)
    checks[]             name, expected, seen, verdict (ok | FAIL | unknown), remedy
"""

from __future__ import annotations

import json

from trainops.doctor import Check, Report
from trainops.render.phrases import clean

_HEADER = ("CHECK", "RESULT", "EXPECTED", "SEEN")
MAX_SEEN = 90


def _cells(c: Check) -> tuple[str, ...]:
    return (c.name, c.verdict, c.expected, clean(c.seen, MAX_SEEN))


def _table(checks: tuple[Check, ...]) -> list[str]:
    rows = [_HEADER, *(_cells(c) for c in checks)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _notes(report: Report) -> list[str]:
    out = [f"FAIL {c.name}: {c.remedy}." for c in report.checks if c.verdict == "FAIL"]
    out += [
        f"unknown {c.name}: this account cannot show it ({clean(c.seen)})."
        for c in report.checks
        if c.verdict == "unknown"
    ]
    if report.removed:
        out.append(f"Removed scratch models left by earlier runs: {', '.join(report.removed)}.")
    if report.kept:
        out.append(
            "Left alone, created minutes ago (another doctor running?): "
            f"{', '.join(report.kept)}; a later run removes them."
        )
    return out


def _summary(report: Report) -> str:
    failed = sum(c.verdict == "FAIL" for c in report.checks)
    if not failed:
        return "Every check holds: what trainops assumes is true of this account."
    n = len(report.checks)
    return f"{failed} of {n} checks failed: what trainops does about each is said above."


def render_doctor_text(report: Report) -> str:
    head = f"trainops doctor: scratch model {report.scratch} (deleted)"
    notes = _notes(report)
    body = [head, "", *_table(report.checks), ""]
    if notes:
        body += [*notes, ""]
    return "\n".join([*body, _summary(report)]) + "\n"


def render_doctor_json(report: Report) -> str:
    return json.dumps(report.data(), indent=2, sort_keys=True)
