from __future__ import annotations

import dataclasses
import json
import re

import pytest
from inline_snapshot import external_file

from tests.support.builders import (
    desired,
    foreign_image,
    image,
    job,
    live,
    live_of,
    model,
    sha,
)
from trainops.desired import SecretRef
from trainops.diff import diff
from trainops.plan import ModelOutcome, Outcome, Plan
from trainops.render.text import (
    escape,
    render_json,
    render_markdown,
    render_outcome_json,
    render_outcome_markdown,
    render_outcome_text,
    render_text,
)

EVIL = "</details><img src=x onerror=alert(1)> | pipes | `tick` @octocat #1 *b* [l](u) $x$\n# h"
SECRET = "wandb-secret-value-123"


def every_action_plan() -> Plan:
    """One model per action, with secrets, drift, a quota note and hostile user strings."""
    created = model(
        "create-me",
        name=EVIL,
        tags=("style", EVIL),
        images=(image("cat.png", caption=EVIL), image(f"{EVIL}.png")),
        parameters={"learningRate": 0.0001, "wandbKey": SecretRef("WANDB_KEY")},
    )
    old = model("retrain", images=(image("a.png", "A"), image("b.png", "B")))
    new = model(
        "retrain",
        images=(image("a.png", "A2"), image("b.png", "B", caption=EVIL), image("c.png", "C")),
        parameters={"learningRate": 0.0002, "maxTrainSteps": 1000},
        fingerprint=sha("retrain-new"),
    )
    meta = model("rename", name="Renamed", tags=("new-tag",))
    drifted = model("drifted")
    lv_drifted = live_of(drifted, parameters={"learningRate": 0.5, "maxTrainSteps": 1000})
    lv_drifted = dataclasses.replace(
        lv_drifted, images=(*lv_drifted.images, foreign_image("by-hand.png"))
    )
    running = model("running", fingerprint=sha("running-new"))
    lv_running = live_of(
        model("running"), status="training", job=job("in-progress", cost=1.5),
        progress=0.42, stage="running-train", remaining_ms=754_000.0,
    )  # fmt: skip
    plan = diff(
        desired(created, new, meta, drifted, running, model("same")),
        live(
            live_of(old, parameters={"learningRate": 0.0001, "maxTrainSteps": 1000,
                                     "wandbKey": SECRET}),
            live_of(model("rename")), lv_drifted, lv_running, live_of(model("same")),
            live_of(model("gone")),
        ),
        commit="0123456789abcdef0123",
        created_at="2026-11-27T05:00:00Z",
    )  # fmt: skip
    return plan.with_costs(
        {
            "create-me": (42.0, "estimated with a dry run on model_same"),
            "retrain": (None, "team limit parallel-training reached"),
        }
    )


def up_to_date_plan() -> Plan:
    d = model()
    return diff(desired(d), live(live_of(d)), commit="abc")


def test_render_text_every_action() -> None:
    assert render_text(every_action_plan(), color=False) == external_file(
        "snapshots/plan.txt", format=".txt"
    )


def test_render_text_color_only_when_asked() -> None:
    plan = every_action_plan()
    assert "\x1b[" not in render_text(plan, color=False)
    colored = render_text(plan, color=True)
    assert "\x1b[32m+ create-me will be created and trained\x1b[0m" in colored
    assert colored.replace("\x1b[0m", "").count("\x1b[") == colored.count("\x1b[0m")


def test_render_text_empty_plans() -> None:
    assert render_text(up_to_date_plan(), color=False) == external_file(
        "snapshots/text-up-to-date.txt", format=".txt"
    )
    assert render_text(diff(desired(), live()), color=False) == external_file(
        "snapshots/text-nothing.txt", format=".txt"
    )


def test_render_markdown_every_action() -> None:
    assert render_markdown(every_action_plan()) == external_file("snapshots/plan.md", format=".txt")


def test_render_markdown_compact_and_empty() -> None:
    assert render_markdown(every_action_plan(), details=False) == external_file(
        "snapshots/plan-compact.md", format=".txt"
    )
    assert render_markdown(up_to_date_plan()) == external_file(
        "snapshots/markdown-up-to-date.md", format=".txt"
    )


def test_render_json_every_action() -> None:
    text = render_json(every_action_plan())
    assert json.loads(text)["models"][0]["name"] == "create-me"
    assert text == external_file("snapshots/plan.json", format=".txt")


def test_markdown_escapes_every_user_string() -> None:
    md = render_markdown(every_action_plan())
    for raw in ("</details><img", "<img", "| pipes |", "`tick`", "@octocat", "#1 ", "*b*", "[l]"):
        assert raw not in md
    assert md.count("<details>") == md.count("</details>")
    assert escape(EVIL) == external_file("snapshots/escaped.txt", format=".txt")


def test_markdown_renders_user_strings_as_text_only() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    renderer = markdown_it.MarkdownIt("commonmark").enable("table")
    allowed = {"h3", "p", "strong", "em", "code", "b", "sub", "details", "summary", "ul", "li"}
    allowed |= {"table", "thead", "tbody", "tr", "th", "td"}
    full, compact = (render_markdown(every_action_plan(), details=d) for d in (True, False))
    for html in (renderer.render(full), renderer.render(compact)):
        assert set(re.findall(r"</?([a-zA-Z0-9]+)", html)) <= allowed
        assert html.count("<details>") == html.count("</details>")
    evil = "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; | pipes | `tick` @\u200boctocat"
    assert evil in renderer.render(full)


def test_no_output_format_ever_contains_a_secret() -> None:
    plan = every_action_plan()
    outputs = [
        render_text(plan, color=False),
        render_text(plan, color=True),
        render_markdown(plan),
        render_markdown(plan, details=False),
        render_json(plan),
    ]
    for out in outputs:
        assert SECRET not in out
    assert "parameter wandbKey: (sensitive value)" in outputs[0]


def test_long_lists_collapse_to_a_count() -> None:
    many = tuple(image(f"{i:02}.png") for i in range(13))
    plan = diff(desired(model("big", images=many, parameters={})), live())
    assert render_text(plan, color=False) == external_file("snapshots/long.txt", format=".txt")


def test_text_strips_terminal_control_characters() -> None:
    plan = diff(desired(model("x", name="evil\x1b[2J\x07name")), live())
    assert "\x1b" not in render_text(plan, color=False)


def test_render_outcome_text_and_markdown() -> None:
    outcome = Outcome(
        (
            ModelOutcome("a", "create", "done", "created and trained", job_id="job_1", cost=2.5),
            ModelOutcome("b", "train", "failed", f"402: not enough creative units {EVIL}"),
            ModelOutcome("c", "wait", "skipped", "a training is running"),
        )
    )
    assert render_outcome_text(outcome, color=False) == external_file(
        "snapshots/outcome.txt", format=".txt"
    )
    assert render_outcome_markdown(outcome) == external_file("snapshots/outcome.md", format=".txt")
    assert render_outcome_json(outcome) == external_file("snapshots/outcome.json", format=".txt")
    assert render_outcome_text(Outcome(()), color=False) == external_file(
        "snapshots/outcome-empty.txt", format=".txt"
    )
    assert render_outcome_markdown(Outcome(())) == external_file(
        "snapshots/outcome-empty.md", format=".txt"
    )
