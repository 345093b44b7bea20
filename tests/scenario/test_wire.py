"""`Scenario` speaks plain httpx; the official SDK is the ground truth for what goes on the wire.

Every `Scenario` method is run against a recording `httpx.MockTransport`, and so are the SDK
calls it replaced, with the same arguments: method, path, query and JSON body must be equal.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from scenario_sdk import APIStatusError, AsyncScenario

from tests.support.aio import synchronous
from trainops import __version__
from trainops.scenario.client import RetryPolicy, Scenario
from trainops.scenario.wire import StatusError

KEY, SECRET = "key_abc", "secret:with/odd+chars"
BASIC = "Basic a2V5X2FiYzpzZWNyZXQ6d2l0aC9vZGQrY2hhcnM="
BASE = "https://api.test/v1"
NO_RETRY = RetryPolicy(attempts=1)
PART = "https://store.test/upload_1/1?token=t"  # a presigned part URL: no credentials sent
PARAMS = {"maxTrainSteps": 800, "wandbKey": "w-secret", "samplePrompts": ["a cat", "a dog"]}

# One reply that every call can read what it needs from; pages chain through `t1`.
REPLY: dict[str, Any] = {
    "model": {"id": "model_1", "status": "new"},
    "job": {"jobId": "job_1", "status": "queued"},
    "trainingImage": {"id": "asset_1", "description": None},
    "creativeUnitsCost": 12,
    "upload": {"id": "upload_1", "status": "pending", "parts": [{"number": 1, "url": PART}]},
    "added": [],  # a tag update's (ModelUpdateTagsResponse)
    "deleted": [],
}


def _reply(request: httpx.Request) -> httpx.Response:
    if "dryRun" in request.url.params:
        return httpx.Response(269, json={"creativeUnitsCost": 12, "costDetails": {}})
    first = "paginationToken" not in request.url.params
    token = {"nextPaginationToken": "t1"} if first else {}
    if request.url.path.endswith("/files/f1"):
        return httpx.Response(200, content=b"bytes")
    if request.method == "GET" and request.url.path.endswith("/uploads/upload_1"):
        done = {"id": "upload_1", "status": "imported", "entityId": "asset_1"}
        return httpx.Response(200, json={"upload": done})
    return httpx.Response(200, json={**REPLY, "models": [], "jobs": [], **token})


def _recorder() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _reply(request)

    return seen, httpx.MockTransport(handler)


@synchronous
async def _ours(
    call: Callable[[Scenario], Awaitable[object]], project_id: str | None = None
) -> list[httpx.Request]:
    seen, transport = _recorder()
    async with Scenario(
        api_key=KEY,
        api_secret=SECRET,
        base_url=BASE,
        transport=transport,
        retry=NO_RETRY,
        project_id=project_id,
    ) as client:
        await call(client)
    return seen


@synchronous
async def _sdk(
    *calls: Callable[[AsyncScenario], Awaitable[object]], query: dict[str, object] | None = None
) -> list[httpx.Request]:
    seen, transport = _recorder()
    async with httpx.AsyncClient(transport=transport) as http:
        sdk = AsyncScenario(
            api_key=KEY,
            api_secret=SECRET,
            base_url=BASE,
            http_client=http,
            max_retries=0,
            default_query=query,
        )
        for call in calls:
            await call(sdk)
    return seen


def _wire(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]], object]:
    body: object = None
    if request.content:  # JSON, or a part's bytes
        json_body = "json" in request.headers.get("content-type", "")
        body = json.loads(request.content) if json_body else request.content
    path = request.url.raw_path.split(b"?")[0].decode("ascii")  # as sent: ids percent-encoded
    return request.method, path, sorted(request.url.params.multi_items()), body


SdkCall = Callable[[AsyncScenario], Awaitable[object]]


async def _drain(pages: AsyncIterator[object]) -> None:
    async for _ in pages:
        pass


_JOB_FILTERS: dict[str, Any] = {
    "type": "flux-model-training",
    "types": ["model-training", "flux-model-training"],
    "status": "in-progress",
    "author_id": "u1",
    "hide_results": False,
    "created_after": "2025-01-01T00:00:00Z",
    "updated_after": "2025-01-02T00:00:00Z",
    "project_id": "p1",
    "workflow_id": "w1",
}


def _filtered_jobs(**page: Any) -> SdkCall:
    return lambda s: s.jobs.list(
        **_JOB_FILTERS,
        page_size=100,
        **page,
    )


CASES: dict[str, tuple[Callable[[Scenario], Awaitable[object]], list[SdkCall]]] = {
    "list_models": (
        lambda c: c.list_models(),
        [
            lambda s: s.models.with_raw_response.list(page_size=500),
            lambda s: s.models.with_raw_response.list(page_size=500, pagination_token="t1"),
        ],
    ),
    "model_pages": (
        lambda c: _drain(c.model_pages()),
        [
            lambda s: s.models.with_raw_response.list(page_size=500),
            lambda s: s.models.with_raw_response.list(page_size=500, pagination_token="t1"),
        ],
    ),
    "model_pages_of_one": (
        lambda c: _drain(c.model_pages(page_size=1)),
        [
            lambda s: s.models.with_raw_response.list(page_size=1),
            lambda s: s.models.with_raw_response.list(page_size=1, pagination_token="t1"),
        ],
    ),
    "get_model": (
        lambda c: c.get_model("model_1"),
        [lambda s: s.models.with_raw_response.retrieve("model_1")],
    ),
    "get_model_original_assets": (
        lambda c: c.get_model("model_1", original_assets=True),
        [lambda s: s.models.with_raw_response.retrieve("model_1", original_assets=True)],
    ),
    "get_models_bulk": (
        lambda c: c.get_models_bulk(["model_1", "model_2", "model_1"]),
        [lambda s: s.models.get_bulk(model_ids=["model_1", "model_2"], all_training_images=True)],
    ),
    "get_models_bulk_preview_original": (
        lambda c: c.get_models_bulk(["model_1"], all_training_images=False, original_assets=True),
        [
            lambda s: s.models.get_bulk(
                model_ids=["model_1"], all_training_images=False, original_assets=True
            )
        ],
    ),
    "create_model": (
        lambda c: c.create_model(type="flux.1-lora", name="cats", short_description="d"),
        [lambda s: s.models.create(type="flux.1-lora", name="cats", short_description="d")],
    ),
    "create_model_type_only": (
        lambda c: c.create_model(type="sd-xl-lora"),
        [lambda s: s.models.create(extra_body={"type": "sd-xl-lora"})],
    ),
    "update_model": (
        lambda c: c.update_model("model_1", name="n", short_description="d", parameters=PARAMS),
        [
            lambda s: s.models.update(
                "model_1",
                name="n",
                short_description="d",
                parameters=PARAMS,  # type: ignore[arg-type]
            )
        ],
    ),
    "update_model_nothing": (
        lambda c: c.update_model("model_1"),
        [lambda s: s.models.update("model_1")],
    ),
    "update_tags": (
        lambda c: c.update_tags("model_1", add=["a", "trainops:ws/k"], delete=["b"]),
        [
            lambda s: s.models.with_raw_response.update_tags(
                "model_1", add=["a", "trainops:ws/k"], delete=["b"], strict=False
            )
        ],
    ),
    "update_tags_add_only": (
        lambda c: c.update_tags("model_1", add=["a"]),
        [
            lambda s: s.models.with_raw_response.update_tags(
                "model_1", add=["a"], delete=[], strict=False
            )
        ],
    ),
    "delete_model": (lambda c: c.delete_model("model_1"), [lambda s: s.models.delete("model_1")]),
    "add_training_image": (
        lambda c: c.add_training_image("model_1", name="a.png", data=b"\x89PNG", mime="image/png"),
        [
            lambda s: s.models.training_images.add(
                "model_1", data="data:image/png;base64,iVBORw==", name="a.png"
            )
        ],
    ),
    "add_training_image_with_caption": (
        lambda c: c.add_training_image(
            "model_1", name="a.png", data=b"\x89PNG", mime="image/png", description="a red cat"
        ),
        [
            lambda s: s.models.training_images.add(
                "model_1", data="data:image/png;base64,iVBORw==", name="a.png"
            ),
            lambda s: s.assets.update("asset_1", description="a red cat"),
        ],
    ),
    "upload_asset": (
        lambda c: c.upload_asset(name="a.wav", data=b"RIFF", mime="audio/wav"),
        [
            lambda s: s.uploads.create(
                file_name="a.wav", file_size=4, content_type="audio/wav", kind="audio", parts=1
            ),
            lambda s: s._client.put(PART, content=b"RIFF"),
            lambda s: s.uploads.trigger_action("upload_1", action="complete"),
            lambda s: s.uploads.retrieve("upload_1"),
        ],
    ),
    "add_training_images": (
        lambda c: c.add_training_images("model_1", ["asset_1"]),
        [lambda s: s.models.training_images.add("model_1", asset_ids=["asset_1"])],
    ),
    "set_image_description": (
        lambda c: c.set_image_description("model_1", "asset_1", "a cat"),
        [lambda s: s.assets.update("asset_1", description="a cat")],
    ),
    "delete_assets": (
        lambda c: c.delete_assets(["asset_1", "asset_2", "asset_1"]),
        [lambda s: s.assets.delete_multiple(asset_ids=["asset_1", "asset_2"])],
    ),
    "delete_assets_chunked": (
        lambda c: c.delete_assets([f"asset_{i}" for i in range(101)]),
        [
            lambda s: s.assets.delete_multiple(asset_ids=[f"asset_{i}" for i in range(100)]),
            lambda s: s.assets.delete_multiple(asset_ids=["asset_100"]),
        ],
    ),
    "delete_training_image": (
        lambda c: c.delete_training_image("model_1", "asset_1"),
        [lambda s: s.models.training_images.delete("asset_1", model_id="model_1")],
    ),
    "replace_pairs": (
        lambda c: c.replace_pairs(
            "model_1", [{"sourceId": "asset_1", "targetId": "asset_2", "instruction": "paint"}]
        ),
        [
            lambda s: s.models.training_images.replace_pairs(
                "model_1",
                body=[{"sourceId": "asset_1", "targetId": "asset_2", "instruction": "paint"}],  # type: ignore[typeddict-unknown-key]
            )
        ],
    ),
    "train": (
        lambda c: c.train("model_1", PARAMS),
        [lambda s: s.models.train.trigger("model_1", extra_body={"parameters": PARAMS})],
    ),
    "dry_run": (
        lambda c: c.dry_run("model_1", PARAMS),
        [
            lambda s: s.models.train.with_raw_response.trigger(
                "model_1", dry_run="api", extra_body={"parameters": PARAMS}
            )
        ],
    ),
    "dry_run_true": (
        lambda c: c.dry_run("model_1", PARAMS, mode="true"),
        [
            lambda s: s.models.train.with_raw_response.trigger(
                "model_1", dry_run="true", extra_body={"parameters": PARAMS}
            )
        ],
    ),
    "dry_run_counting_images": (
        lambda c: c.dry_run("model_1", {}, training_images_count=8),
        [
            lambda s: s.models.train.with_raw_response.trigger(
                "model_1", dry_run="api", training_images_count=8, extra_body={"parameters": {}}
            )
        ],
    ),
    "cancel_training": (
        lambda c: c.cancel_training("model_1"),
        [lambda s: s.models.train.action("model_1", action="cancel")],
    ),
    "get_job": (lambda c: c.get_job("job_1"), [lambda s: s.jobs.retrieve("job_1")]),
    "list_jobs": (
        lambda c: c.list_jobs(),
        [
            lambda s: s.jobs.list(page_size=100),
            lambda s: s.jobs.list(page_size=100, pagination_token="t1"),
        ],
    ),
    "list_jobs_filtered": (
        lambda c: c.list_jobs(**_JOB_FILTERS),
        [_filtered_jobs(), _filtered_jobs(pagination_token="t1")],
    ),
    "an id that needs escaping": (
        lambda c: c.get_model("model 1/ü?#"),
        [lambda s: s.models.with_raw_response.retrieve("model 1/ü?#")],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_every_method_sends_what_the_sdk_sends(case: str) -> None:
    ours, sdk_calls = CASES[case]
    sent = _ours(ours)
    assert [_wire(r) for r in sent] == [_wire(r) for r in _sdk(*sdk_calls)]
    for request in sent:
        if str(request.url) == PART:
            assert "authorization" not in request.headers
            continue
        assert request.headers["authorization"] == BASIC
        assert request.headers["accept"] == "application/json"
        assert request.headers["user-agent"] == f"trainops/{__version__}"
        if request.content:
            assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize("case", CASES)
def test_every_method_sends_the_project_id_as_the_sdk_does(case: str) -> None:
    """trainops.yaml's `projectId` goes on every API call: every endpoint trainops calls takes
    `project_id` in scenario-sdk, as the query parameter `projectId`."""
    ours, sdk_calls = CASES[case]
    sent = _ours(ours, project_id="proj_1")
    assert [_wire(r) for r in sent] == [
        _wire(r) for r in _sdk(*sdk_calls, query={"projectId": "proj_1"})
    ]
    # An explicit `project_id` filter of list_jobs wins, as an explicit argument does in the SDK.
    explicit = _JOB_FILTERS["project_id"] if case == "list_jobs_filtered" else "proj_1"
    # A part goes to its presigned URL, which is not an API call and takes no projectId.
    assert all(r.url.params["projectId"] == explicit for r in sent if str(r.url) != PART)


def test_the_project_id_is_the_sdks_project_id() -> None:
    sent = _ours(lambda c: c.get_model("model_1"), project_id="proj_1")
    sdk = _sdk(lambda s: s.models.with_raw_response.retrieve("model_1", project_id="proj_1"))
    assert [_wire(r) for r in sent] == [_wire(r) for r in sdk]


def test_every_public_method_has_a_wire_case() -> None:
    methods = {
        name
        for name in dir(Scenario)  # inherited too: the calls live in per-noun bases
        if not name.startswith("_")
        and (
            inspect.iscoroutinefunction(getattr(Scenario, name))
            or inspect.isasyncgenfunction(getattr(Scenario, name))
        )
    }
    covered = {name for name in methods if any(case.startswith(name) for case in CASES)}
    # download is not an API call: a signed URL, fetched without credentials (tested below).
    assert methods - covered == {"aclose", "download"}


def test_download_sends_no_credentials() -> None:
    sent = _ours(lambda c: c.download("https://cdn.test/files/f1?signature=s"))
    assert [(r.method, str(r.url)) for r in sent] == [
        ("GET", "https://cdn.test/files/f1?signature=s")
    ]
    assert "authorization" not in sent[0].headers


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(400, json={"message": "Model is already training", "details": {"a": 1}}),
        httpx.Response(502, text="  <html>bad gateway</html>\n"),
        httpx.Response(404),
        httpx.Response(418, json="just a string"),
    ],
    ids=["json", "text", "empty", "json-string"],
)
@synchronous
async def test_a_refusal_carries_the_status_and_body_the_sdk_reads(reply: httpx.Response) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(reply.status_code, content=reply.content, headers=reply.headers)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        sdk = AsyncScenario(
            api_key=KEY, api_secret=SECRET, base_url=BASE, http_client=http, max_retries=0
        )
        with pytest.raises(APIStatusError) as theirs:
            await sdk.jobs.retrieve("job_1")
    client = Scenario(
        api_key=KEY,
        api_secret=SECRET,
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        retry=NO_RETRY,
    )
    async with client:
        with pytest.raises(StatusError) as ours:
            await client._api("GET", "/jobs/job_1")()
    assert (ours.value.status_code, ours.value.body) == (
        theirs.value.status_code,
        theirs.value.body,
    )
    assert "Model is already training" not in str(ours.value)  # bodies may echo secrets
