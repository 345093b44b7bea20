"""`trainops doctor`'s checks against the sandbox: all hold as the documents read; with each
deviation switch on, the check it is about fails and the others hold; the scratch model is
deleted whatever happens, a leftover is removed by the next run, and nothing ever trains."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import scrub
from tests.support.sandbox import PNG_BYTES, Clock
from trainops.backoff import RetryPolicy
from trainops.doctor import DOCTOR_PREFIX, LEFTOVER_AGE, Report, Scratch, diagnose
from trainops.errors import ApiError
from trainops.sandbox import Deviations, Fault, create_app
from trainops.sandbox.client import sandbox_client
from trainops.scenario.client import Scenario
from trainops.tags import RESERVED_PREFIXES, TAG_PATTERN

# Each switch of the sandbox and the check it must fail (None: no check can see it without
# spending: a team limit's 429 needs the limit reached).
MATCHING: dict[str, str | None] = {
    "truncate-images": "full image list",
    "repeat-token": "paging never repeats",
    "lowercase-tags": "tags kept verbatim",
    "no-job-id": "jobId on trained models",
    "list-deleted": "deleted model unlisted",
    "quota-in-details": None,
    "quota-details-list": None,
    "normalise-parameters": "parameters echoed",
    "unsigned-samples": None,  # plain sample URLs are no failure: the check says which
}
NONCE = "0123456789ab"


def app_with(tmp_path: Path, clock: Clock, *names: str) -> Starlette:
    return create_app(tmp_path / "s.db", clock=clock, deviations=Deviations.of(names))


def client(tmp_path: Path, app: Starlette) -> Scenario:
    return sandbox_client(tmp_path / "s.db", app=app)


async def trained_model(c: Scenario, clock: Clock) -> str:
    """A model of the account trained before the doctor runs (its jobId is what one reads), to
    the end, with sample prompts (its epochs' sample URLs are what another check reads)."""
    m = await c.create_model(type="flux.1-lora", name="someone's model")
    await c.add_training_image(m.id, name="a.png", data=PNG_BYTES, mime="image/png")
    job_id = await c.train(m.id, {"samplePrompts": ["a swatch"]})
    while (await c.get_job(job_id)).running:
        clock.advance(60)
    return job_id


async def doctor(c: Scenario, nonce: str = NONCE) -> Report:
    return await diagnose(c, Scratch(nonce=nonce))


def verdicts(report: Report) -> dict[str, str]:
    return {c.name: c.verdict for c in report.checks}


@synchronous
async def test_every_check_holds_on_the_sandbox_and_nothing_trains(
    tmp_path: Path, clock: Clock
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock)) as c:
        job = await trained_model(c, clock)
        report = await doctor(c)
        assert set(verdicts(report).values()) == {"ok"}, report.checks
        assert report.holds
        assert [j.id for j in await c.list_jobs()] == [job]
        assert [m.name for m in await c.list_models()] == ["someone's model"]


def assets(tmp_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(tmp_path / "s.db")) as db:
        return [name for (name,) in db.execute("SELECT name FROM assets ORDER BY name")]


@synchronous
async def test_every_file_the_doctor_uploaded_is_deleted_with_its_model(
    tmp_path: Path, clock: Clock
) -> None:
    """The audio sample is on no model: deleting the model alone would leave it behind."""
    async with client(tmp_path, app_with(tmp_path, clock)) as c:
        await trained_model(c, clock)
        scratch = Scratch(nonce=NONCE)
        await diagnose(c, scratch)
    assert scratch.deleted
    assert scratch.assets == []
    assert assets(tmp_path) == ["a.png"]  # someone else's model's image stays


@synchronous
async def test_with_no_trained_model_the_job_id_is_unknown_and_the_run_holds(
    tmp_path: Path, clock: Clock
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock)) as c:
        report = await doctor(c)
    unknown = {n: v for n, v in verdicts(report).items() if v != "ok"}
    # The scratch model alone: one page, no token to repeat.
    assert unknown == {
        "jobId on trained models": "unknown",
        "paging never repeats": "unknown",
        "sample image URLs": "unknown",
    }
    assert report.holds


@pytest.mark.parametrize("switch", sorted(MATCHING))
@synchronous
async def test_each_deviation_fails_its_own_check_and_no_other(
    tmp_path: Path, clock: Clock, switch: str
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock, switch)) as c:
        await trained_model(c, clock)
        report = await doctor(c)
    failed = sorted(n for n, v in verdicts(report).items() if v != "ok")
    expected = MATCHING[switch]
    assert failed == ([expected] if expected else [])
    assert report.holds == (expected is None)


@synchronous
async def test_a_failing_check_says_what_it_saw_and_what_trainops_does(
    tmp_path: Path, clock: Clock
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock, "lowercase-tags")) as c:
        report = await doctor(c)
    tags = next(c for c in report.checks if c.name == "tags kept verbatim")
    case = f"trainops-doctor-case:{NONCE}"
    assert (tags.seen, tags.verdict) == (f"reply: {case}; get: {case}; list: {case}", "FAIL")
    assert tags.remedy.startswith("trainops writes lowercase tags only")


async def doctor_models(c: Scenario) -> list[str]:
    return [m.id for m in await c.list_models() if any(DOCTOR_PREFIX in t for t in m.tags)]


class DeleteRefused(Exception):
    pass


@synchronous
async def test_a_leftover_is_removed_by_a_later_run_and_a_recent_one_kept(
    tmp_path: Path, clock: Clock
) -> None:
    app = app_with(tmp_path, clock)
    async with client(tmp_path, app) as c:
        # A killed run's scratch model: created and tagged, never deleted.
        leftover = await c.create_model(type="flux.1-lora", name="trainops doctor 00000000aaaa")
        await c.update_tags(leftover.id, add=[f"{DOCTOR_PREFIX}00000000aaaa"])
        clock.advance(60)
        young = await doctor(c)
        assert (young.removed, young.kept) == ((), (leftover.id,))
        assert await doctor_models(c) == [leftover.id]
        clock.advance(LEFTOVER_AGE)
        later = await doctor(c, "ffffffffffff")
        assert (later.removed, later.kept) == ((leftover.id,), ())
        assert await doctor_models(c) == []


@synchronous
async def test_the_scratch_model_is_deleted_when_the_run_fails(
    tmp_path: Path, clock: Clock
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock)) as c:
        scratch = Scratch(nonce=NONCE)

        def stop(step: str) -> None:
            if step == "checking parameters":
                raise DeleteRefused(step)

        with pytest.raises(DeleteRefused):
            await diagnose(c, scratch, progress=stop)
        assert scratch.deleted
        assert scratch.model_id is not None
        assert await doctor_models(c) == []
        with pytest.raises(ApiError, match="404"):
            await c.get_model(scratch.model_id)


@synchronous
async def test_an_upload_flow_the_api_refuses_fails_the_upload_checks_only(
    tmp_path: Path, clock: Clock
) -> None:
    refused = Fault("POST", r"/uploads$", "500")
    app = create_app(tmp_path / "s.db", clock=clock, faults=[refused])
    fast = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)
    async with sandbox_client(tmp_path / "s.db", app=app, retry=fast) as c:
        await trained_model(c, clock)
        report = await doctor(c)
    failed = {c.name: scrub(c.seen) for c in report.checks if c.verdict != "ok"}
    fault = "Injected sandbox fault: internal error (500)"
    assert failed == {
        "audio upload": f"error: upload doctor-voice.wav: {fault}",
        "large image upload": f"error: upload HASH-doctor-large.png: {fault}",
    }


def test_the_scratch_models_tag_survives_normalisation_and_is_reserved() -> None:
    tag = Scratch(nonce=NONCE).tag
    assert TAG_PATTERN.match(tag)
    assert tag.startswith(RESERVED_PREFIXES)


@pytest.mark.parametrize(
    ("switches", "seen"),
    [
        ((), "signed (Expires/Signature), expire in about 7 days"),
        (("unsigned-samples",), "plain URLs: no signature in the query, they last"),
    ],
)
@synchronous
async def test_the_sample_urls_check_reads_a_trained_models_samples_without_training(
    tmp_path: Path, clock: Clock, switches: tuple[str, ...], seen: str
) -> None:
    async with client(tmp_path, app_with(tmp_path, clock, *switches)) as c:
        job = await trained_model(c, clock)
        report = await doctor(c)
        assert [j.id for j in await c.list_jobs()] == [job]  # nothing more trained
    samples = next(c for c in report.checks if c.name == "sample image URLs")
    assert (samples.seen, samples.verdict) == (seen, "ok")
