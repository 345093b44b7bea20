"""The one error handler: what it prints carries no credential of the environment, and a ^C that
knows what it leaves running says so."""

from __future__ import annotations

import pytest

from trainops.commands.handler import handle
from trainops.errors import ApiError, Interrupted

TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"


def test_an_error_quoting_the_github_token_is_printed_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def command() -> int:
        raise ApiError(f"POST /issues/1/comments: bad credentials for token {TOKEN}", status=401)

    assert handle(command) == 1
    assert capsys.readouterr().err == (
        "error: POST /issues/1/comments: bad credentials for token ***\n"
    )


def test_a_bug_whose_text_quotes_a_credential_is_printed_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCENARIO_API_KEY", "key-abcdef123")
    monkeypatch.setenv("SCENARIO_API_SECRET", "secret-abcdef123")

    def command() -> int:
        raise RuntimeError("failed with secret-abcdef123")

    assert handle(command) == 3
    err = capsys.readouterr().err
    assert "secret-abcdef123" not in err
    assert "RuntimeError: failed with ***" in err


def test_an_interrupt_that_knows_what_runs_says_it(capsys: pytest.CaptureFixture[str]) -> None:
    def command() -> int:
        raise Interrupted("1 training may still be running: a (job j1)", hint="apply again")

    assert handle(command) == 130
    assert capsys.readouterr().err == (
        "interrupted: 1 training may still be running: a (job j1)\nhint: apply again\n"
    )
