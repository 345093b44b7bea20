"""`--format json` of every command that reports, through the CLI against the `--sandbox` state
file: stdout is exactly one versioned JSON document (so `| jq` works), compared whole once ids,
hashes and times are scrubbed; the plan, progress and notes go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from inline_snapshot import external_file

from tests.support.cli import UNSET, Cli, scrub
from tests.support.workspace import write_model


def _doc(cli: Cli) -> Any:
    """The one JSON document stdout holds (json.loads refuses anything around it)."""
    return json.loads(cli.out)


def _scrubbed(cli: Cli) -> str:
    """stdout, once checked to be one document printed as trainops prints them, with the ids,
    hashes and times in its values (never its keys: `model_id`) scrubbed."""
    doc = _doc(cli)
    assert cli.out == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return json.dumps(_values(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _values(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _values(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_values(v) for v in value]
    if isinstance(value, str):
        return "TIME" if key == "created_at" and value else scrub(value)
    return value


def test_apply_json_is_the_plan_and_the_outcome(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("apply", "--sandbox", "--yes", "--no-probe", "--format", "json") == 0, cli.err
    doc = _doc(cli)
    assert (doc["format_version"], doc["command"], doc["applied"]) == ("1.1", "apply", True)
    assert "+ alpha" in cli.err  # the plan is still shown, on stderr
    assert _scrubbed(cli) == external_file("snapshots/json-apply.json", format=".txt")
    assert cli("apply", "--sandbox", "--yes", "--no-probe", "--format", "json") == 0, cli.err
    doc = _doc(cli)
    assert (doc["applied"], doc["outcome"]) == (False, None)
    assert doc["plan"]["has_changes"] is False


def test_drift_json_says_whether_the_models_drifted(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("drift", "--sandbox", "--no-probe", "--format", "json") == 2, cli.err
    assert _scrubbed(cli) == external_file("snapshots/json-drift.json", format=".txt")
    assert cli("apply", "--sandbox", "--yes", "--no-probe") == 0, cli.err
    assert cli("drift", "--sandbox", "--no-probe", "--format", "json") == 0, cli.err
    doc = _doc(cli)
    assert (doc["command"], doc["drifted"], doc["issue"]) == ("drift", False, None)


def test_probes_clean_json_lists_what_it_deleted(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("plan", "--sandbox") == 0, cli.err  # creates the flux probe
    assert cli("probes", "clean", "--sandbox", "--format", "json") == 0, cli.err
    assert _scrubbed(cli) == external_file("snapshots/json-probes-clean.json", format=".txt")
    assert cli("probes", "clean", "--sandbox", "--format", "json") == 0, cli.err
    assert _doc(cli)["deleted"] == []


def test_import_json_names_each_manifest_written(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("apply", "--sandbox", "--yes", "--no-probe", "--format", "json") == 0, cli.err
    assert cli("status", "--sandbox", "--format", "json") == 0, cli.err
    (model,) = _doc(cli)["models"]
    argv = (
        "import",
        model["model_id"],
        "--sandbox",
        "--dir",
        "copy",
        "--key",
        "copy",
        "--format",
        "json",
    )
    assert cli(*argv) == 0, cli.err
    assert _scrubbed(cli) == external_file("snapshots/json-import.json", format=".txt")
    assert cli("import", "--all", "--sandbox", "--format", "json") == 0, cli.err
    assert _scrubbed(cli) == external_file("snapshots/json-import-all.json", format=".txt")


def test_status_json_names_its_command_and_version(root: Path, cli: Cli) -> None:
    write_model(root, "alpha")
    cli.cwd = root
    assert cli("status", "--sandbox", "--format", "json") == 0, cli.err
    assert _scrubbed(cli) == external_file("snapshots/json-status.json", format=".txt")


def test_apply_json_through_a_pipe_is_one_document_on_stdout(root: Path) -> None:
    """As `trainops apply --format json | jq` runs it: a real process, stdout a pipe."""
    write_model(root, "alpha")
    env = {k: v for k, v in os.environ.items() if k not in UNSET} | {"NO_COLOR": "1"}
    argv = ["apply", "--sandbox", "--yes", "--no-probe", "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "trainops", *argv],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["outcome"]["summary"]["done"] == 1
    assert "+ alpha" in done.stderr
