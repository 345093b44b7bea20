"""Each deviation switch (sandbox/deviations.py): off by default, and what it changes when on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from tests.sandbox.test_app import call, new_model
from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.sandbox import Clock
from trainops.errors import ConfigError
from trainops.sandbox import Deviations, Limits, create_app, serve
from trainops.sandbox.client import sandbox_client

NAMES = [
    "truncate-images",
    "lowercase-tags",
    "no-job-id",
    "list-deleted",
    "repeat-token",
    "quota-in-details",
    "quota-details-list",
    "normalise-parameters",
    "unsigned-samples",
]


def app_with(tmp_path: Path, clock: Clock, *names: str, **kw: Any) -> Starlette:
    return create_app(tmp_path / "s.db", clock=clock, deviations=Deviations.of(names), **kw)


def model(app: Starlette, model_id: str) -> dict[str, Any]:
    r = call(app, "GET", f"/models/{model_id}")
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()["model"]
    return found


def test_every_switch_has_a_name_and_is_off_by_default() -> None:
    assert Deviations.names() == NAMES
    assert Deviations().on() == []
    assert Deviations.of(["no-job-id", "repeat-token"]).on() == ["no-job-id", "repeat-token"]
    with pytest.raises(ValueError, match="unknown deviation 'shuffle'"):
        Deviations.of(["shuffle"])
    with pytest.raises(ValueError, match="must be true or false"):
        Deviations().merged({"no-job-id": "yes"})


@pytest.mark.parametrize("on", [False, True])
def test_truncate_images(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["truncate-images"] if on else []))
    model_id = new_model(app, images=5)
    read = model(app, model_id)
    assert (len(read["trainingImages"]), read["trainingImagesNumber"]) == (3 if on else 5, 5)
    listed = call(app, "GET", "/models").json()["models"][0]
    assert (len(listed["trainingImages"]), listed["trainingImagesNumber"]) == (3, 5)
    bulk = {"modelIds": [model_id], "allTrainingImages": True}
    every = call(app, "POST", "/models/get-bulk", json=bulk).json()["models"][0]
    assert (len(every["trainingImages"]), every["trainingImagesNumber"]) == (5, 5)
    preview = call(app, "POST", "/models/get-bulk", json={"modelIds": [model_id]}).json()
    assert len(preview["models"][0]["trainingImages"]) == 3


@pytest.mark.parametrize("on", [False, True])
def test_lowercase_tags(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["lowercase-tags"] if on else []))
    model_id = new_model(app)
    tags = ["trainops:WS/Cat", "trainops-pending:job_AbC"]
    r = call(app, "PUT", f"/models/{model_id}/tags", json={"add": tags})
    stored = [t.lower() for t in tags] if on else tags
    assert r.json() == {"added": stored, "deleted": []}
    assert model(app, model_id)["tags"] == stored
    r = call(app, "PUT", f"/models/{model_id}/tags", json={"delete": ["trainops:WS/Cat"]})
    assert r.json() == {"added": [], "deleted": [stored[0]]}


@pytest.mark.parametrize("on", [False, True])
def test_no_job_id(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["no-job-id"] if on else []))
    model_id = new_model(app, images=1)
    r = call(app, "PUT", f"/models/{model_id}/train", json={})
    job_id = r.json()["job"]["jobId"]
    assert job_id.startswith("job_")
    for shown in (r.json()["model"], model(app, model_id), call(app, "GET", "/models").json()):
        found = shown["models"][0] if "models" in shown else shown
        assert found.get("jobId") == (None if on else job_id)
        assert found["status"] == "training"


@pytest.mark.parametrize("on", [False, True])
def test_list_deleted(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["list-deleted"] if on else []))
    kept, gone = new_model(app), new_model(app)
    assert call(app, "DELETE", f"/models/{gone}").json() == {}
    assert call(app, "GET", f"/models/{gone}").status_code == 404
    listed = {m["id"]: m.get("deletedAt") for m in call(app, "GET", "/models").json()["models"]}
    if on:
        assert listed == {kept: None, gone: "2027-01-15T08:00:00.000Z"}
    else:
        assert listed == {kept: None}
    deleted = call(app, "GET", "/models", params={"status": "deleted"}).json()["models"]
    assert [m["id"] for m in deleted] == [gone]
    clock.advance(31 * 24 * 3600)  # past the 30 days a deleted model is kept
    assert [m["id"] for m in call(app, "GET", "/models").json()["models"]] == [kept]


def pages(app: Starlette, path: str, key: str, limit: int = 5) -> list[tuple[int, str | None]]:
    """(items, nextPaginationToken) of each page, following the tokens `limit` times at most."""
    out: list[tuple[int, str | None]] = []
    params: dict[str, Any] = {"pageSize": 1}
    while len(out) < limit:
        body = call(app, "GET", path, params=params).json()
        out.append((len(body[key]), body.get("nextPaginationToken")))
        if not out[-1][1]:
            break
        params["paginationToken"] = out[-1][1]
    return out


@pytest.mark.parametrize("on", [False, True])
def test_repeat_token(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["repeat-token"] if on else []))
    for _ in range(2):
        call(app, "PUT", f"/models/{new_model(app, images=1)}/train", json={})
        clock.advance(600)
    for path, key in (("/models", "models"), ("/jobs", "jobs")):
        seen = pages(app, path, key)
        if on:
            first = seen[0][1]
            assert seen == [(1, first), (1, first), (1, first), (1, first), (1, first)]
        else:
            assert [n for n, _ in seen] == [1, 1]
            assert seen[-1][1] is None


def test_repeat_token_shows_with_a_single_model(tmp_path: Path, clock: Clock) -> None:
    app = app_with(tmp_path, clock, "repeat-token")
    new_model(app)
    first = pages(app, "/models", "models", limit=2)
    assert first[0][1] is not None
    assert first == [(1, first[0][1]), (0, first[0][1])]


@pytest.mark.parametrize("switch", [None, "quota-in-details", "quota-details-list"])
def test_quota_in_details(tmp_path: Path, clock: Clock, switch: str | None) -> None:
    limits = Limits(max_dataset_images=2, launch_cooldown_s=30)
    app = app_with(tmp_path, clock, *([switch] if switch else []), limits=limits)
    first, second = new_model(app, images=1), new_model(app, images=1)
    data = {"data": "data:image/png;base64,AAAA", "name": "a.png"}
    full = call(app, "POST", f"/models/{second}/training-images", json=data)
    assert call(app, "PUT", f"/models/{first}/train", json={}).status_code == 200
    cooldown = call(app, "PUT", f"/models/{second}/train", json={})
    refused = call(app, "PUT", f"/models/{first}/train", json={})
    assert (refused.status_code, refused.json()) == (
        400,
        {"apiError": "bad-request", "message": "Model is already training"},
    )  # not a team limit: as it is
    message = "The team's training dataset limit of 2 images is reached"
    if switch is not None:
        details: Any = {"actionName": "add-training-image", "actionLimit": 2}
        wait: Any = {"remainingSeconds": 30}
        if switch == "quota-details-list":
            details, wait = [details], [wait]
        assert full.json() == {"apiError": "quota-exceeded", "message": message, "details": details}
        assert cooldown.json()["details"] == wait
    else:
        assert full.json() == {
            "apiError": "quota-exceeded",
            "message": message,
            "action": "add-training-image",
            "actionLimit": 2,
        }
        assert cooldown.json()["remainingSeconds"] == 30
    assert (full.status_code, cooldown.status_code) == (429, 429)


@pytest.mark.parametrize("on", [False, True])
def test_normalise_parameters(tmp_path: Path, clock: Clock, on: bool) -> None:
    app = app_with(tmp_path, clock, *(["normalise-parameters"] if on else []))
    model_id = new_model(app, images=2)
    # learningRate, rank and maxTrainSteps (100 per image) are Flux LoRA's documented defaults.
    sent = {"learningRate": 0.0001, "rank": 16, "maxTrainSteps": 200, "nbEpochs": 2}
    r = call(app, "PUT", f"/models/{model_id}", json={"parameters": sent})
    echoed = r.json()["model"]["parameters"]
    assert echoed == ({"nbEpochs": 2.0} if on else sent)
    assert isinstance(echoed["nbEpochs"], float if on else int)
    assert '"nbEpochs":2.0' in r.text.replace(" ", "") if on else '"nbEpochs":2' in r.text
    defaults = {"learningRate": 1e-4, "rank": 16}
    r = call(app, "PUT", f"/models/{model_id}", json={"parameters": defaults})
    assert r.json()["model"].get("parameters") == (None if on else defaults)
    r = call(app, "PUT", f"/models/{model_id}/train", params={"dryRun": "true"}, json={})
    assert r.json()["job"]["metadata"]["input"] == defaults  # the job keeps what was sent


def test_the_admin_api_changes_a_running_servers_deviations(tmp_path: Path, clock: Clock) -> None:
    app = app_with(tmp_path, clock)
    assert call(app, "GET", "/_sandbox/deviations").json() == dict.fromkeys(NAMES, False)
    r = call(app, "POST", "/_sandbox/deviations", json={"no-job-id": True})
    assert r.json() == {**dict.fromkeys(NAMES, False), "no-job-id": True}
    model_id = new_model(app, images=1)
    call(app, "PUT", f"/models/{model_id}/train", json={})
    assert "jobId" not in model(app, model_id)
    bad = call(app, "POST", "/_sandbox/deviations", json={"shuffle": True})
    assert (bad.status_code, bad.json()["message"]) == (
        400,
        f"unknown deviation 'shuffle' (known: {', '.join(NAMES)})",
    )
    call(app, "POST", "/_sandbox/deviations", json={"no-job-id": False})
    assert "jobId" in model(app, model_id)


def test_serve_takes_deviate_flags(cli: Cli) -> None:
    config = serve.resolve(deviate=["truncate-images", "repeat-token"], env={})
    assert config.deviations.on() == ["truncate-images", "repeat-token"]
    assert serve.resolve(env={}).deviations == Deviations()
    with pytest.raises(ConfigError, match="--deviate: unknown deviation 'x'"):
        serve.resolve(deviate=["x"], env={})
    assert cli("sandbox", "serve", "--deviate", "x") == 1
    assert cli.err.startswith("error: --deviate: unknown deviation 'x' (known: truncate-images")
    assert cli("sandbox", "serve", "--help") == 0
    flat = "".join(cli.out.split())  # argparse wraps lines at hyphens
    assert all(name in flat for name in NAMES)


@synchronous
async def test_the_in_process_client_takes_deviations(tmp_path: Path) -> None:
    lower = Deviations.of(["lowercase-tags"])
    async with sandbox_client(tmp_path / "s.db", deviations=lower) as client:
        created = await client.create_model(type="flux.1-lora", name="m")
        await client.update_tags(created.id, add=["Trainops:A"])
        assert (await client.get_model(created.id)).tags == ("trainops:a",)
