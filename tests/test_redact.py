"""No credential and no bidi control in anything a user sees (issue 11, item 8): an API error
that echoes the request's headers, in stderr, the outcome and the PR comment; model and file
names that would reorder what a reviewer reads."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.proxy import TRIGGER, EchoHeaders
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import app_for, client_for, edit, plan
from trainops import redact
from trainops.apply import ApplyOptions, apply_plan
from trainops.errors import ApiError
from trainops.github.body import outcome_comment
from trainops.render.outcome import render_outcome_markdown
from trainops.render.text import render_outcome_text
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET

BASIC = base64.b64encode(f"{SANDBOX_API_KEY}:{SANDBOX_API_SECRET}".encode()).decode()
TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def _leaks(text: str) -> list[str]:
    found = [
        s for s in (SANDBOX_API_KEY, SANDBOX_API_SECRET, BASIC, BASIC.rstrip("=")) if s in text
    ]
    return found + [TOKEN] * (TOKEN in text) + [c for c in BIDI if c in text]


def test_an_api_error_echoing_the_headers_prints_no_credential_and_is_bounded(
    ws: Path, cli: Cli, serve: Serve
) -> None:
    echo = EchoHeaders(app_for(ws), "GET", r"/models$", padding=5000)
    cli.env = {**api_env(serve(echo)), "GITHUB_TOKEN": TOKEN}  # type: ignore[arg-type]
    assert cli("plan", cwd=ws) == 1
    assert "authorization=Basic ***" in cli.err
    assert _leaks(cli.err) == []
    error = next(line for line in cli.err.splitlines() if line.startswith("error: "))
    assert len(error) < 500


@synchronous
async def test_an_outcome_and_its_comment_carry_no_credential(ws: Path) -> None:
    redact.forget()  # what other tests registered
    redact.register(TOKEN)  # as the handler does from GITHUB_TOKEN
    app = EchoHeaders(app_for(ws), "PUT", TRIGGER)  # the trigger's refusal quotes the headers
    async with client_for(app, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
    assert [m.result for m in outcome.models] == ["failed", "failed"]
    assert "authorization=Basic ***" in outcome.models[0].detail
    shown = [
        str(outcome.data()),
        render_outcome_text(outcome, color=False),
        outcome_comment(render_outcome_markdown(outcome)),
    ]
    assert [_leaks(text) for text in shown] == [[], [], []]


def test_every_secret_form_is_masked_wherever_it_is_made() -> None:
    redact.forget()
    redact.register_credentials("key-0123456789", "s3cret+/0123456789")
    pair = base64.b64encode(b"key-0123456789:s3cret+/0123456789").decode()
    error = ApiError(
        f"refused: x-key=key-0123456789 secret=s3cret%2B%2F0123456789 auth={pair} "
        f"AUTHORIZATION: basic {pair.rstrip('=')} bearer {TOKEN}",
        hint="retry with key-0123456789",
    )
    assert (error.message, error.hint) == (
        "refused: x-key=*** secret=*** auth=*** AUTHORIZATION: basic *** bearer ***",
        "retry with ***",
    )


def test_prose_around_credentials_is_left_alone() -> None:
    text = "basic information about bearer tokens; too short: abc"
    redact.forget()
    redact.register("abc")
    assert redact.redact(text) == text


def test_bidi_controls_are_stripped_from_names_in_every_rendering(ws: Path, cli: Cli) -> None:
    edit(ws / "alpha" / "model.yaml", "name: Alpha", f"name: Al{BIDI}pha")
    shutil_name = ws / "alpha" / "images" / "alpha-5.png"
    shutil_name.rename(ws / "alpha" / "images" / "alpha\u202egnp.5.png")
    for fmt in ("text", "markdown"):
        assert cli("plan", "--sandbox", "--format", fmt, cwd=ws) == 0
        assert _leaks(cli.out) == []
        assert "alphagnp.5.png" in cli.out
    assert cli("plan", "--sandbox", "--format", "json", cwd=ws) == 0
    assert "\\u202e" in cli.out  # JSON keeps the data, escaped: nothing is reordered on screen


def test_stderr_lines_carry_no_bidi_control(ws: Path, cli: Cli) -> None:
    edit(ws / "alpha" / "model.yaml", "  name: Alpha", f"  name: Alpha\n  colo{BIDI}ur: red")
    assert cli("validate", cwd=ws) == 1
    assert cli.err.startswith("alpha/model.yaml:8: spec.colour: unknown field\n")


def test_a_warning_naming_a_file_carries_no_bidi_control(ws: Path, cli: Cli) -> None:
    images = ws / "alpha" / "images"
    (images / f"copy{BIDI}.png").write_bytes((images / "alpha-1.png").read_bytes())
    assert cli("validate", cwd=ws) == 0
    assert "copy.png is an exact duplicate" in cli.err  # printed by validate itself
    assert _leaks(cli.err) == []
