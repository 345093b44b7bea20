"""The recorded state parsed from a model's tags: every identity kept, no record picked."""

from __future__ import annotations

import hashlib

import pytest

from trainops.errors import TagWriteError
from trainops.live import TagsReply
from trainops.tags import (
    TAG_MAX,
    TAG_PATTERN,
    check_written,
    commit_tag,
    fingerprint_tag,
    identity_tag,
    parse_recorded,
    pending_tag,
    probe_tag,
    workspace_slug,
)

LONG_KEY = "k" + "-very-long-key" * 4 + "z"  # 58 characters: the longest keys are 63


def test_each_workspace_finds_its_own_identity_whatever_the_order() -> None:
    tags = [identity_tag("shop", "alpha"), "trainops:other/notes", "trainops:zzz/x"]
    for order in (tags, tags[::-1]):
        r = parse_recorded(order)
        assert r.identities == (("other", "notes"), ("shop", "alpha"), ("zzz", "x"))
        assert (r.workspace, r.key) == (None, None)  # several: none is "the" identity
        assert r.keys("shop") == ("alpha",)
        assert (r.of("shop").workspace, r.of("shop").key) == ("shop", "alpha")
        assert (r.of("nope").workspace, r.of("nope").key) == (None, None)


def test_a_single_identity_is_the_record_s_and_malformed_ones_are_none() -> None:
    r = parse_recorded([identity_tag("shop", "alpha"), "trainops:no-slash", "trainops:/x"])
    assert (r.workspace, r.key, r.identities) == ("shop", "alpha", (("shop", "alpha"),))


def test_two_identities_of_one_workspace_are_no_identity_for_it() -> None:
    r = parse_recorded([identity_tag("shop", "alpha"), identity_tag("shop", "beta")])
    assert r.keys("shop") == ("alpha", "beta")
    assert (r.of("shop").workspace, r.of("shop").key) == (None, None)


def test_a_record_found_twice_is_none_and_listed_as_a_conflict() -> None:
    fps = [fingerprint_tag("a" * 64), fingerprint_tag("b" * 64)]
    pendings = [pending_tag("c" * 64, 5, "job_1"), pending_tag("c" * 64, 9, "job_2")]
    r = parse_recorded([*fps[::-1], *pendings, commit_tag("1" * 40), commit_tag("2" * 40)])
    assert (r.fingerprint, r.pending_fingerprint, r.pending_at, r.commit) == (None,) * 4
    assert r.conflicts == (tuple(fps), tuple(pendings))


def test_one_record_of_each_kind_is_read_and_no_conflict() -> None:
    r = parse_recorded(
        [fingerprint_tag("a" * 64), pending_tag("b" * 64, 7, "job_1"), commit_tag("c" * 40)]
    )
    assert (r.fingerprint, r.pending_fingerprint, r.pending_at) == ("a" * 32, "b" * 32, 7)
    assert (r.pending_job_is_new("job_1"), r.pending_job_is_new("job_2")) == (False, True)
    assert (r.commit, r.conflicts) == ("c" * 12, ())


def _written(workspace: str, key: str, fp: str, job: str) -> list[str]:
    return [
        identity_tag(workspace, key),
        fingerprint_tag(fp),
        commit_tag("AbCdEf0123456789" * 2),
        pending_tag(fp, 1_900_000_000, job),
        pending_tag(fp, 1_900_000_000),
        probe_tag(workspace),
    ]


@pytest.mark.parametrize(
    ("workspace", "key"),
    [
        ("shop", "alpha"),
        ("My Repo (fork)", "alpha"),
        ("Shop", LONG_KEY),
        ("a-workspace-name-that-is-longer-than-most", "k" * 63),
    ],
)
def test_every_tag_trainops_writes_survives_a_normalising_api(workspace: str, key: str) -> None:
    fp = hashlib.sha256(workspace.encode()).hexdigest()
    written = _written(workspace, key, fp, "job_AbCdEfGhIjKlMnOpQrStUv")
    for tag in written:
        assert TAG_PATTERN.match(tag), tag
        assert len(tag) <= TAG_MAX
        assert tag == tag.lower()
    r = parse_recorded(written[:4])
    assert r.keys(workspace, frozenset({key, "other"})) == (key,)
    assert (r.of(workspace, frozenset({key})).key, r.fingerprint) == (key, fp[:32])
    assert (r.pending_fingerprint, r.pending_at) == (fp[:32], 1_900_000_000)
    assert r.pending_job_is_new("job_AbCdEfGhIjKlMnOpQrStUv") is False
    assert r.pending_job_is_new("job_AbCdEfGhIjKlMnOpQrStUw") is True
    assert parse_recorded([written[4]]).pending_job_is_new("job_x") is True  # no job before


def test_two_workspaces_whose_names_differ_only_in_case_keep_apart() -> None:
    assert workspace_slug("shop") == "shop"
    assert workspace_slug("Shop") != workspace_slug("SHOP")
    r = parse_recorded([identity_tag("Shop", "alpha"), identity_tag("SHOP", "beta")])
    assert (r.keys("Shop"), r.keys("SHOP")) == (("alpha",), ("beta",))


def test_tags_of_the_older_formats_are_still_read() -> None:
    fp = "0123456789abcdef" * 4
    # As older versions wrote them: the workspace verbatim, a raw job id, a hex fingerprint.
    old = ["trainops:My.Shop/alpha", f"trainops-pending:{fp[:32]}@1700000000/job_AbC"]
    r = parse_recorded(old)
    assert r.keys("My.Shop") == ("alpha",)
    assert (r.pending_fingerprint, r.pending_at) == (fp[:32], 1_700_000_000)
    assert (r.pending_job_is_new("job_AbC"), r.pending_job_is_new("job_XyZ")) == (False, True)
    # The same, lowercased by an API that normalises tags: still this workspace's.
    assert parse_recorded([t.lower() for t in old]).keys("My.Shop") == ("alpha",)
    # With the current identity tag beside the old one: still one key, no ambiguity.
    both = parse_recorded([*old, identity_tag("My.Shop", "alpha")])
    assert both.of("My.Shop").key == "alpha"


def test_a_shortened_key_of_no_manifest_is_kept_as_written() -> None:
    tag = identity_tag("shop", LONG_KEY.replace("z", "y"))
    (part,) = parse_recorded([tag]).keys("shop", frozenset({LONG_KEY}))
    assert "." in part
    assert tag.endswith(part)


def test_check_written_accepts_what_was_asked_and_refuses_anything_else() -> None:
    check_written(TagsReply(added=("a:b",), deleted=("c",)), ["a:b", "x"], ["c", "d"])
    check_written(TagsReply(), ["a"], [])  # already there: the API added nothing
    with pytest.raises(TagWriteError, match="stored 'trainops-fp:ab' when asked") as caught:
        check_written(TagsReply(added=("trainops-fp:ab",)), ["trainops-fp:AB"], [])
    assert caught.value.hint
    assert "doctor" in caught.value.hint
    with pytest.raises(TagWriteError, match="stored 'style' when asked to add 'Style'") as caught:
        check_written(TagsReply(added=("style",)), ["Style"], [])
    assert caught.value.hint
    assert "write the manifest's tags as the API" in caught.value.hint
    with pytest.raises(TagWriteError, match="removed 'keep', never asked to"):
        check_written(TagsReply(deleted=("keep",)), [], ["Keep"])
