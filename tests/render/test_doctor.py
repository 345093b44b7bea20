"""The doctor's report as text and JSON, whole: a failure says what trainops does about it."""

from __future__ import annotations

from inline_snapshot import external_file

from trainops.doctor import Check, Report
from trainops.render.doctor import render_doctor_json, render_doctor_text

REPORT = Report(
    checks=(
        Check("tags kept verbatim", "as written", "get: a; list: a", "FAIL", "lowercase only"),
        Check("caption kept", "as set", "as set", "ok", "checked after setting"),
        Check("jobId on trained models", "shown", "no trained model", "unknown", "from the reply"),
        Check("names kept", "as sent", "control\x1b[31m\nchars", "ok", "report it"),
    ),
    scratch="model_scratch",
    removed=("model_old",),
    kept=("model_young",),
)


def test_a_failing_report_as_text_names_the_remedy_and_the_leftovers() -> None:
    assert not REPORT.holds
    assert render_doctor_text(REPORT) == external_file("snapshots/doctor-fail.txt", format=".txt")


def test_the_report_as_json() -> None:
    assert render_doctor_json(REPORT) + "\n" == external_file(
        "snapshots/doctor.json", format=".txt"
    )
