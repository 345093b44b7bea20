"""`trainops doctor`: says what it will do, asks, runs `trainops.doctor.diagnose`, prints the
report. Exit 0 when every check holds, 1 when one fails."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from trainops import pipeline
from trainops.commands import EXIT_ERROR, EXIT_OK
from trainops.commands.common import open_client, peek_project_id
from trainops.commands.handler import err
from trainops.doctor import DOCTOR_PREFIX, LEFTOVER_AGE, Report, Scratch, diagnose
from trainops.errors import ConfigError, Interrupted
from trainops.render.doctor import render_doctor_json, render_doctor_text
from trainops.scenario.client import DEFAULT_PARALLELISM

Format = Literal["text", "json"]

INTRO = (
    "trainops doctor checks, against this API key's account, what Scenario's documents leave "
    "open.\nIt spends nothing: no training, dry runs only. It creates one scratch model "
    f"(tagged {DOCTOR_PREFIX}<nonce>), uploads a few small files, an image over 6 MB and an "
    "audio sample,\nand deletes the model at the end, even when interrupted."
)


def run_doctor(
    *,
    sandbox: bool,
    yes: bool,
    fmt: Format = "text",
    cwd: Path,
    environ: Mapping[str, str],
    interactive: bool = False,
    confirm: Callable[[str], bool] = lambda _q: False,
) -> int:
    err(INTRO)
    if not yes:
        if not interactive:
            raise ConfigError(
                "refusing to run the doctor without confirmation: not a terminal",
                hint="pass --yes to run it without asking",
            )
        if not confirm("Run the checks? Only 'yes' is accepted: "):
            err("Doctor cancelled: nothing was created.")
            return EXIT_ERROR
    client = open_client(
        sandbox=sandbox,
        root=cwd,
        environ=environ,
        parallelism=DEFAULT_PARALLELISM,
        project_id=peek_project_id((), cwd),
    )
    scratch = Scratch(nonce=secrets.token_hex(6))

    async def go() -> Report:
        async with client:
            return await diagnose(client, scratch, progress=err)

    try:
        report = pipeline.run(go())
    except KeyboardInterrupt:
        raise _interrupted(scratch) from None
    print(render_doctor_json(report) if fmt == "json" else render_doctor_text(report), end="")
    if fmt == "json":
        print()
    return EXIT_OK if report.holds else EXIT_ERROR


def _interrupted(scratch: Scratch) -> Interrupted:
    if scratch.model_id is None:
        return Interrupted("the doctor stopped before it created its scratch model")
    if scratch.deleted:
        return Interrupted(f"the doctor stopped; its scratch model {scratch.model_id} is deleted")
    return Interrupted(
        f"the doctor stopped; its scratch model {scratch.model_id} may be left",
        hint=f"a `trainops doctor` run {LEFTOVER_AGE // 60:.0f} minutes from now removes it "
        f"(models tagged {DOCTOR_PREFIX}*)",
    )
