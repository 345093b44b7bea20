"""A fault's `pathRegex` cannot hang the server: patterns that backtrack catastrophically are
refused when registered, and what is matched has a length cap."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.sandbox import http_client
from trainops.sandbox import Fault
from trainops.sandbox.faults import MAX_FAULTS, MAX_MATCHED_PATH, MAX_PATTERN_LENGTH

NESTED = "pathRegex repeats a repeated or alternative part, which can take exponential time"
REFUSED = [
    (r"(a+)+$", NESTED),
    (r"(x*)*y", NESTED),
    (r"(?:/[^/]+)*/train$", NESTED),
    (r"(a|aa)*b", NESTED),
    (r"(\w+\s?)*$", NESTED),
    (r"((ab)*c)+", NESTED),
    (r"(a)\1", "pathRegex cannot use backreferences or conditional groups"),
    (r"(a)?(?(1)b|c)", "pathRegex cannot use backreferences or conditional groups"),
    (r".*a.*b.*c", "pathRegex has 3 repeats (*, +, {m,n}): at most 2 are allowed"),
    ("x" * (MAX_PATTERN_LENGTH + 1), f"pathRegex is over {MAX_PATTERN_LENGTH} characters"),
]
ACCEPTED = [
    r"/models$",
    r"/models/[^/]+/train$",
    r"/models/[^/]+/training-images/[^/]+$",
    r"^/v1/(models|jobs)/",
    r"/models/(?:[^/]+)/train(/action)?$",
    r"/train(?=$)",
    r"model_[A-Za-z0-9]{24}",
]


@pytest.mark.parametrize(("pattern", "message"), REFUSED)
@synchronous
async def test_a_catastrophic_path_regex_is_refused_with_400(
    sandbox: Starlette, pattern: str, message: str
) -> None:
    async with http_client(sandbox) as c:
        fault = {"kind": "500", "pathRegex": pattern}
        r = await c.post("/_sandbox/faults", json={"faults": [fault]})
        assert (r.status_code, r.json()) == (400, {"apiError": "bad-request", "message": message})
        assert (await c.get("/_sandbox/faults")).json() == {"faults": []}
    with pytest.raises(ValueError, match="pathRegex"):
        Fault(None, pattern, "500")


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_ordinary_path_regexes_are_accepted(pattern: str) -> None:
    assert Fault("GET", pattern, "500").path_regex == pattern


@synchronous
async def test_too_many_faults_are_refused(sandbox: Starlette) -> None:
    faults = [{"kind": "500", "pathRegex": "/nowhere$"}] * (MAX_FAULTS + 1)
    async with http_client(sandbox) as c:
        r = await c.post("/_sandbox/faults", json={"faults": faults})
    assert (r.status_code, r.json()["message"]) == (400, f"at most {MAX_FAULTS} faults")


@synchronous
async def test_a_path_over_the_cap_is_never_matched(sandbox: Starlette) -> None:
    async with http_client(sandbox) as c:
        fault = {"kind": "500", "pathRegex": "/models/"}
        assert (await c.post("/_sandbox/faults", json={"faults": [fault]})).status_code == 200
        long_id = "m" * MAX_MATCHED_PATH
        assert (await c.get(f"/models/{long_id}")).status_code == 404
        assert (await c.get("/models/m")).status_code == 500


@synchronous
async def test_the_worst_accepted_pattern_on_the_longest_path_answers_promptly(
    sandbox: Starlette,
) -> None:
    async with http_client(sandbox) as c:
        faults = [{"kind": "500", "pathRegex": r"(.*)(.*)x$"}] * MAX_FAULTS
        assert (await c.post("/_sandbox/faults", json={"faults": faults})).status_code == 200
        path = "/models/" + "a" * (MAX_MATCHED_PATH - len("/v1/models/"))
        start = time.monotonic()
        assert (await c.get(path)).status_code == 404
        # A bound, not a benchmark: catastrophic backtracking would take hours, not seconds.
        assert time.monotonic() - start < 10
