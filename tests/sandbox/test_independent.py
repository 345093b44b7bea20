"""The sandbox keeps its own rules (issue 12, item 11): it imports none of the client's tables,
and where its table (`sandbox/rules.py`, written from Scenario's documents) and the client's
(`manifest/parameters.py`) differ, the difference is listed here with its reason."""

from __future__ import annotations

import ast

import pytest
from starlette.applications import Starlette

from tests.sandbox.test_app import call, new_model
from tests.support.paths import REPO
from tests.support.sdk_types import sdk_parameters
from trainops.manifest import parameters as client
from trainops.sandbox import rules
from trainops.sandbox.enums import ACCEPTED_MODEL_TYPES, MODEL_TYPE_NAMES, TRAINING_JOB_TYPES

SANDBOX = REPO / "trainops" / "sandbox"
# The only trainops modules outside the sandbox it may import, and why.
ALLOWED = {
    "client.py": {
        "trainops.backoff",  # the retry policy type the in-process client takes
        "trainops.scenario.client",  # the in-process client is the client, over the app
        "trainops.scenario.retry",
    },
    "serve.py": {"trainops.errors"},  # ConfigError: the CLI's one error handler shows it
}
TRAINER = {
    rules.FLUX: "flux-lora",
    rules.MUSUBI: "musubi",
    rules.SDXL: "sdxl-lora",
    rules.SD15: "sd15",
    rules.VOICE: "voice",
}

# Where the two tables differ on purpose. Each entry: what differs -> why. Empty: the client's
# table follows the SDK's types (tests/manifest/test_sdk_types.py), as the sandbox's does; where
# the documents leave a rule open (Musubi's default steps) neither guesses.
DIFFERENCES: dict[str, str] = {}


def _imports(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_sandbox_imports_none_of_the_clients_rules() -> None:
    outside = {}
    for path in sorted(SANDBOX.glob("*.py")):
        ours = _imports(path.read_text(encoding="utf-8"))
        foreign = {
            i for i in ours if i.startswith("trainops") and not i.startswith("trainops.sandbox")
        }
        if foreign - ALLOWED.get(path.name, set()):
            outside[path.name] = sorted(foreign - ALLOWED.get(path.name, set()))
    assert outside == {}


def _type_differences() -> dict[str, str]:
    out = {}
    assert set(rules.TRAINABLE) == set(client.MODEL_TYPES)
    for name, ours in rules.TRAINABLE.items():
        theirs = client.MODEL_TYPES[name]
        assert (TRAINER[ours.trainer], ours.pairs, ours.audio) == (
            theirs.family,
            theirs.pairs,
            theirs.audio,
        ), name
        if ours.job_type != theirs.job_type:
            out[f"job type of {name}"] = f"{theirs.job_type} / {ours.job_type}"
    return out


def _parameter_differences(name: str) -> dict[str, str]:
    ours, theirs = rules.PARAMS[name], client.PARAMETERS[name]
    out = {}
    assert {TRAINER[t] for t in ours.trainers} == set(theirs.families), name
    assert (ours.pairs_only, ours.max_length) == (theirs.pairs_only, theirs.max_length), name
    for trainer in ours.trainers:
        assert ours.bounds(trainer) == theirs.limits(TRAINER[trainer]), (name, trainer)
    if ours.enum != theirs.enum:
        out[f"{name} enum"] = f"{theirs.enum} / {ours.enum}"
    if theirs.kind != ours.kind:
        out[f"kind of {name}"] = f"{theirs.kind} / {ours.kind}"
    return out


def _default_differences() -> dict[str, str]:
    out = {}
    for name, t in rules.TRAINABLE.items():
        for n in (1, 7, 20):
            theirs = client.default_max_train_steps(name, n)
            ours = rules.default_steps(name, n)
            if theirs != ours:
                out[f"default maxTrainSteps for {TRAINER[t.trainer]}"] = f"{theirs} / {ours}"
    return out


def test_the_two_tables_agree_except_where_listed() -> None:
    assert set(rules.PARAMS) == set(client.PARAMETERS)
    found = _type_differences() | _default_differences()
    for name in rules.PARAMS:
        found |= _parameter_differences(name)
    assert sorted(found) == sorted(DIFFERENCES)


def test_documented_defaults_are_valid_values() -> None:
    for name, param in rules.PARAMS.items():
        for trainer, value in param.defaults.items():
            model_type = next(t for t, info in rules.TRAINABLE.items() if info.trainer == trainer)
            assert rules.problem(model_type, name, value) is None, (name, trainer)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"optimizeFor": "all"}, "optimizeFor: must be one of likeness, got 'all'"),
        ({"rank": 1.5}, "rank: must be at least 2 for Flux LoRA, got 1.5"),
        ({"nbEpochs": "3"}, "nbEpochs: must be of type number"),
    ],
)
def test_the_sandbox_refuses_what_the_schema_refuses(
    sandbox: Starlette, parameters: dict[str, object], message: str
) -> None:
    model_id = new_model(sandbox, images=1)
    r = call(sandbox, "PUT", f"/models/{model_id}/train", json={"parameters": parameters})
    assert (r.status_code, r.json()["message"]) == (
        400,
        f"Invalid training parameters for flux.1-lora: {message}",
    )


def test_the_sandbox_takes_a_fractional_number_the_schema_allows(sandbox: Starlette) -> None:
    model_id = new_model(sandbox, images=1)
    body = {"parameters": {"nbEpochs": 2.5, "optimizeFor": "likeness"}}
    r = call(sandbox, "PUT", f"/models/{model_id}/train", params={"dryRun": "true"}, json=body)
    assert r.status_code == 269, r.text


def test_the_sandbox_table_has_the_sdks_parameters_types_and_enums() -> None:
    ours = {name: (p.kind, p.enum) for name, p in rules.PARAMS.items()}
    # The Docs' description names the two clone types; the SDK types the field as a string.
    assert ours.pop("cloneType") == ("string", ("instant", "professional"))
    assert ours == {k: v for k, v in sdk_parameters().items() if k != "cloneType"}


def test_trainable_types_and_their_job_types_are_the_apis() -> None:
    assert set(rules.TRAINABLE) <= ACCEPTED_MODEL_TYPES
    assert set(rules.TRAINABLE) - MODEL_TYPE_NAMES == {"sd-xl-lora", "sd-1_5", "sd-1_5-lora"}
    assert {t.job_type for t in rules.TRAINABLE.values()} == TRAINING_JOB_TYPES
