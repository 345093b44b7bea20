"""`trainops doctor`: asks first, prints the table or JSON, exits 0 or 1; ^C (a real SIGINT to a
real process) still deletes the scratch model, and a killed run's is removed by the next."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from inline_snapshot import external_file
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from tests.support.aio import synchronous
from tests.support.cli import Cli, scrub
from tests.support.middlemen import Recorder
from tests.support.proxy import SigintAt
from tests.support.sandbox import Clock, Serve, api_env
from trainops.commands.doctor import run_doctor
from trainops.doctor import DOCTOR_PREFIX, LEFTOVER_AGE
from trainops.sandbox.client import sandbox_client

INTRO = [
    "trainops doctor checks, against this API key's account, what Scenario's documents leave open.",
    "It spends nothing: no training, dry runs only. It creates one scratch model (tagged "
    "trainops-doctor:<nonce>), uploads a few small files, an image over 6 MB and an audio "
    "sample,",
    "and deletes the model at the end, even when interrupted.",
]


@synchronous
async def doctor_models(app: Starlette, tmp_path: Path) -> list[str]:
    async with sandbox_client(tmp_path / "unused.db", app=app) as c:
        return [m.id for m in await c.list_models() if any(DOCTOR_PREFIX in t for t in m.tags)]


def test_doctor_prints_the_table_and_exits_0_when_every_check_holds(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("doctor", "--sandbox", "--yes", cwd=tmp_path) == 0
    assert scrub(cli.out) == external_file("snapshots/doctor.txt", format=".txt")
    assert scrub(cli.err).splitlines() == [
        *INTRO,
        "scratch model model_ID created",
        "checking tags",
        "uploading files",
        "checking parameters",
        "pricing with dry runs",
        "checking paging",
        "reading sample image URLs",
        "scratch model model_ID deleted",
    ]


def test_doctor_json_and_exit_1_when_a_check_fails(
    cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    base = serve(sandbox)
    cli.env = api_env(base)
    ok = cli("doctor", "--yes", "--format", "json")
    assert ok == 0, cli.err
    report = json.loads(cli.out)
    assert report["holds"] is True
    assert sorted(report) == [
        "checks",
        "command",
        "format_version",
        "holds",
        "leftovers_kept",
        "leftovers_removed",
        "scratch_model",
    ]
    assert sorted(report["checks"][0]) == ["expected", "name", "remedy", "seen", "verdict"]
    deviate = {"lowercase-tags": True}
    _post(base, "/_sandbox/deviations", deviate)
    assert cli("doctor", "--yes", "--format", "json") == 1
    failed = [c for c in json.loads(cli.out)["checks"] if c["verdict"] == "FAIL"]
    assert [c["name"] for c in failed] == ["tags kept verbatim"]


def _post(base: str, path: str, body: object) -> None:
    import httpx

    from tests.support.sandbox import AUTH

    httpx.post(base + path, json=body, auth=AUTH).raise_for_status()


def test_doctor_without_a_terminal_refuses_without_yes(cli: Cli, tmp_path: Path) -> None:
    assert cli("doctor", "--sandbox", cwd=tmp_path) == 1
    assert cli.out == ""
    assert cli.err.splitlines() == [
        *INTRO,
        "error: refusing to run the doctor without confirmation: not a terminal",
        "hint: pass --yes to run it without asking",
    ]
    assert not (tmp_path / ".trainops").exists()


def _doctor_process(base: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **api_env(base), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "trainops", "doctor", "--yes"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        # While the scratch model is created: the create goes on (its reply is lost: the model
        # is found by its name), then it is deleted.
        ("POST", r"^/v1/models$"),
        ("PUT", r"^/v1/models/[^/]+$"),  # in the middle of the checks
    ],
)
def test_ctrl_c_deletes_the_scratch_model(
    sandbox: Starlette, serve: Serve, tmp_path: Path, method: str, path: str
) -> None:
    sigint = SigintAt(sandbox, method, path, hold=0.5)
    proc = _doctor_process(serve(sigint), tmp_path)  # type: ignore[arg-type]
    sigint.pid = proc.pid
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (130, "")
    assert sigint.hits == 1
    assert scrub(err.splitlines()[-1]) == (
        "interrupted: the doctor stopped; its scratch model model_ID is deleted"
    )
    assert doctor_models(sandbox, tmp_path) == []


class KillAt:
    """SIGKILL to `pid` when the first `PUT /models/{id}` comes (no cleanup can run)."""

    def __init__(self, app: Starlette) -> None:
        self.app, self.pid, self.done = app, 0, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if not self.done and scope.get("method") == "PUT" and path.count("/") == 3:
            self.done = True
            os.kill(self.pid, signal.SIGKILL)
        await self.app(scope, receive, send)


def test_a_killed_runs_scratch_model_is_removed_by_a_later_run(
    cli: Cli, sandbox: Starlette, serve: Serve, clock: Clock, tmp_path: Path
) -> None:
    killer = KillAt(sandbox)
    base = serve(killer)  # type: ignore[arg-type]
    proc = _doctor_process(base, tmp_path)
    killer.pid = proc.pid
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    left = doctor_models(sandbox, tmp_path)
    assert len(left) == 1
    cli.env = api_env(base)
    assert cli("doctor", "--yes") == 0
    assert f"Left alone, created minutes ago (another doctor running?): {left[0]}" in cli.out
    assert doctor_models(sandbox, tmp_path) == left
    clock.advance(LEFTOVER_AGE + 1)
    assert cli("doctor", "--yes") == 0
    assert f"Removed scratch models left by earlier runs: {left[0]}." in cli.out.splitlines()
    assert doctor_models(sandbox, tmp_path) == []


@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("no", 1)])
def test_doctor_in_a_terminal_asks_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, answer: str, code: int
) -> None:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer == "yes"

    ran = run_doctor(
        sandbox=True, yes=False, cwd=tmp_path, environ={}, interactive=True, confirm=confirm
    )
    assert (ran, asked) == (code, ["Run the checks? Only 'yes' is accepted: "])
    out, err = capsys.readouterr()
    if answer == "no":
        assert (out, err.splitlines()[-1]) == ("", "Doctor cancelled: nothing was created.")
        assert not (tmp_path / ".trainops").exists()
    else:
        assert out.endswith("Every check holds: what trainops assumes is true of this account.\n")


def test_doctor_sends_the_workspaces_project_id_on_every_call(
    root: Path, cli: Cli, sandbox: Starlette, serve: Serve
) -> None:
    (root / "trainops.yaml").write_text(
        "apiVersion: trainops/v1\nkind: Workspace\nworkspace: shop\nprojectId: proj_shop\n"
    )
    recorder = Recorder(sandbox)
    cli.env.update(api_env(serve(recorder)))
    assert cli("doctor", "--yes", cwd=root) == 0, cli.err
    api_calls = [q for _m, path, q in recorder.seen if not path.startswith("/v1/files/")]
    assert len(api_calls) > 10
    assert all(q.get("projectId") == ["proj_shop"] for q in api_calls)
