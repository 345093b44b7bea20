"""A 2xx reply that cannot be read (not JSON, or JSON of the wrong shape) follows the retry rules
of its call kind: reads and idempotent writes are tried again, a create is ambiguous at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.support.aio import synchronous
from trainops.backoff import RetryPolicy
from trainops.errors import AmbiguousWriteError, ApiError
from trainops.live import TagsReply
from trainops.scenario.client import Scenario

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
HTML = httpx.Response(200, html="<html><body>Sign in</body></html>")


def _client(reply: Callable[[httpx.Request], httpx.Response]) -> tuple[Scenario, Counter[str]]:
    sent: Counter[str] = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        sent[f"{request.method} {request.url.path}"] += 1
        return reply(request)

    client = Scenario(
        api_key="key-123456",
        api_secret="secret-123456",
        base_url="https://api.example/v1",
        transport=httpx.MockTransport(handler),
        retry=FAST,
    )
    return client, sent


@synchronous
async def test_an_html_page_on_a_read_is_retried_then_an_api_error() -> None:
    client, sent = _client(lambda _r: HTML)
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.get_model("m1")
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert sent == {"GET /v1/models/m1": 3}
    assert caught.value.message == (
        "read model m1: the API's reply could not be read (an HTML page, status 200) after 3 "
        "attempt(s)"
    )


@synchronous
async def test_an_html_page_then_the_model_is_read() -> None:
    replies = iter([HTML, httpx.Response(200, json={"model": {"id": "m1", "status": "new"}})])
    client, sent = _client(lambda _r: next(replies))
    async with client:
        model = await client.get_model("m1")
    assert (model.id, model.status) == ("m1", "new")
    assert sent == {"GET /v1/models/m1": 2}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"job": {"status": "queued"}}, "JSON of the wrong shape (a job without its id)"),
        ({"jobs": []}, "JSON of the wrong shape (no 'job' object)"),
        ([1, 2], "JSON of the wrong shape (a list, not an object)"),
    ],
)
@synchronous
async def test_a_trigger_whose_reply_cannot_be_read_is_ambiguous_and_not_sent_again(
    body: object, problem: str
) -> None:
    client, sent = _client(lambda _r: httpx.Response(200, json=body))
    async with client:
        with pytest.raises(AmbiguousWriteError) as caught:
            await client.train("m1", {"maxTrainSteps": 10})
    assert sent == {"PUT /v1/models/m1/train": 1}
    assert caught.value.message == (
        f"train model m1: the API's reply could not be read ({problem}, status 200); the API "
        "may or may not have done it"
    )


@synchronous
async def test_a_model_without_an_id_is_a_reply_of_the_wrong_shape() -> None:
    client, _ = _client(lambda _r: httpx.Response(201, json={"model": {"name": "x"}}))
    async with client:
        with pytest.raises(AmbiguousWriteError, match=r"wrong shape \(KeyError\), status 201"):
            await client.create_model(type="flux.1-lora", name="x")


@synchronous
async def test_an_idempotent_write_answered_by_html_is_sent_again_then_ambiguous() -> None:
    client, sent = _client(lambda _r: HTML)
    async with client:
        with pytest.raises(AmbiguousWriteError, match="after 3 attempt"):
            await client.update_tags("m1", add=["a"])
    assert sent == {"PUT /v1/models/m1/tags": 3}


@synchronous
async def test_an_empty_or_json_reply_to_a_write_whose_reply_is_not_needed_is_fine() -> None:
    replies = iter([httpx.Response(204), httpx.Response(200, json={"model": {"id": "m1"}})])
    client, sent = _client(lambda _r: next(replies))
    async with client:
        await client.delete_model("m1")
        await client.set_image_description("m1", "asset_1", "a cat")
    assert sent == {"DELETE /v1/models/m1": 1, "PUT /v1/assets/asset_1": 1}


@synchronous
async def test_a_tag_update_returns_what_the_api_says_it_stored() -> None:
    stored = {"added": ["trainops:ws/k"], "deleted": ["old"]}
    replies = iter(
        [httpx.Response(200, json={"model": {"id": "m1"}}), httpx.Response(200, json=stored)]
    )
    client, sent = _client(lambda _r: next(replies))
    async with client:
        reply = await client.update_tags("m1", add=["trainops:ws/k"], delete=["old"])
        assert await client.update_tags("m1") == TagsReply()  # nothing to do: nothing sent
    # A reply without the lists (not the SDK's ModelUpdateTagsResponse) is read again.
    assert reply == TagsReply(added=("trainops:ws/k",), deleted=("old",))
    assert sent == {"PUT /v1/models/m1/tags": 2}


@synchronous
async def test_a_listing_page_of_the_wrong_shape_is_read_again() -> None:
    page = {"models": [{"id": "m1", "tags": ["a"]}], "nextPaginationToken": None}
    replies = iter(
        [httpx.Response(200, json={"models": [{"tags": 3}]}), httpx.Response(200, json=page)]
    )
    client, sent = _client(lambda _r: next(replies))
    async with client:
        models = await client.list_models()
    assert [m.id for m in models] == ["m1"]
    assert sent == {"GET /v1/models": 2}
