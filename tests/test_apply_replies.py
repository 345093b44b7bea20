"""apply when a reply cannot be read, or one model meets an error nobody planned for: the write is
treated as ambiguous (re-read, never re-sent blindly), and every other model still finishes and
is reported (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli, scrub
from tests.support.proxy import HtmlReply
from tests.support.sandbox import Serve
from tests.support.workspace import (
    actions,
    app_for,
    client_for,
    edit,
    jobs_by_model,
    plan,
    plan_and_apply,
    results,
)
from trainops.apply import ApplyOptions, apply_plan
from trainops.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET
from trainops.scenario.client import Scenario
from trainops.watch import wait_for_trainings

TRAIN = "PUT /models/{id}/train"
TRIGGER = r"/models/[^/]+/train$"


async def _trained(ws: Path, client: Scenario) -> None:
    outcome = await plan_and_apply(ws, client)
    await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
    client.requests.clear()


async def _first_training(ws: Path) -> Starlette:
    app = app_for(ws)
    async with client_for(app, ws) as client:
        await _trained(ws, client)
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 120")
    return app


@synchronous
async def test_an_html_200_on_a_trigger_the_api_accepted_is_confirmed_not_sent_again(
    ws: Path,
) -> None:
    proxy = HtmlReply(await _first_training(ws), "PUT", TRIGGER, acts=True)
    async with client_for(proxy, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        client.requests.clear()
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert proxy.hits == 1
        assert results(outcome) == {"alpha": "done", "beta": "skipped"}
        assert outcome.models[0].job_id
        assert client.requests[TRAIN] == 1
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)
        _, after = await plan(ws, client)
        assert actions(after) == {"alpha": "none", "beta": "none"}


@synchronous
async def test_an_html_200_on_a_trigger_that_never_reached_the_api_is_sent_once_more(
    ws: Path,
) -> None:
    proxy = HtmlReply(await _first_training(ws), "PUT", TRIGGER, acts=False)
    async with client_for(proxy, ws) as client:  # type: ignore[arg-type]
        desired, the_plan = await plan(ws, client)
        client.requests.clear()
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert results(outcome) == {"alpha": "done", "beta": "skipped"}
        assert client.requests[TRAIN] == 2
        assert await jobs_by_model(client) == {"Alpha": 2, "Beta": 1}


@synchronous
async def test_html_200s_on_reads_are_retried_like_any_transient_failure(ws: Path) -> None:
    proxy = HtmlReply(app_for(ws), "GET", r"/models/[^/]+$", acts=True, times=2)
    async with client_for(proxy, ws) as client:  # type: ignore[arg-type]
        outcome = await plan_and_apply(ws, client)
        assert proxy.hits == 2
        assert results(outcome) == {"alpha": "done", "beta": "done"}
        assert await jobs_by_model(client) == {"Alpha": 1, "Beta": 1}


@synchronous
async def test_a_file_gone_since_the_plan_fails_its_model_alone(ws: Path) -> None:
    async with client_for(app_for(ws), ws) as client:
        desired, the_plan = await plan(ws, client)
        (ws / "alpha" / "images" / "alpha-3.png").unlink()
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions())
        assert results(outcome) == {"alpha": "failed", "beta": "done"}
        alpha = outcome.models[0]
        assert alpha.detail.startswith("could not read alpha/images/alpha-3.png: ")
        assert "bug" not in alpha.detail


@synchronous
async def test_an_unexpected_error_in_one_model_is_its_failed_result_and_the_others_finish(
    ws: Path,
) -> None:
    lines: list[str] = []

    def progress(line: str) -> None:
        # A stand-in for a bug in trainops: an error no code path expects, in alpha alone.
        if line.startswith("alpha: priced"):
            raise RuntimeError("boom")
        lines.append(line)

    async with client_for(app_for(ws), ws) as client:
        desired, the_plan = await plan(ws, client, probe=False)  # priced during apply
        outcome = await apply_plan(the_plan, desired, client, ApplyOptions(), progress)
        assert results(outcome) == {"alpha": "failed", "beta": "done"}
        assert outcome.models[0].detail == (
            "unexpected error (a bug in trainops; please report it): RuntimeError: boom"
        )
        assert outcome.failed
        assert await jobs_by_model(client) == {"Alpha": 0, "Beta": 1}
        reported = next(line for line in lines if line.startswith("alpha: failed: "))
        assert "Traceback" in reported


def test_apply_through_a_proxy_answering_html_reports_every_model_and_exits_1(
    ws: Path, cli: Cli, serve: Serve
) -> None:
    proxy = HtmlReply(app_for(ws), "PUT", TRIGGER, acts=False, times=None)
    cli.env = {
        "SCENARIO_API_KEY": SANDBOX_API_KEY,
        "SCENARIO_API_SECRET": SANDBOX_API_SECRET,
        "SCENARIO_BASE_URL": serve(proxy),  # type: ignore[arg-type]
    }
    assert cli("apply", "--yes", cwd=ws) == 1
    assert "Traceback" not in cli.err
    outcome = scrub(cli.out).split("Estimated cost: 35 CU.\n")[1]
    assert outcome.splitlines() == [
        "  ✗ alpha: create failed — train model model_ID: the API's reply could not be read (an "
        "HTML page, status 200); the API may or may not have done it (hint: run apply again: it "
        "re-reads the model and does only what is missing)",
        "  ✗ beta: create failed — train model model_ID: the API's reply could not be read (an "
        "HTML page, status 200); the API may or may not have done it (hint: run apply again: it "
        "re-reads the model and does only what is missing)",
        "",
        "Apply: 0 done, 2 failed, 0 skipped. Cost: 0 CU.",
    ]
