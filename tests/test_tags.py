"""The recorded state parsed from a model's tags: every identity kept, no record picked."""

from __future__ import annotations

from trainops.tags import (
    commit_tag,
    fingerprint_tag,
    identity_tag,
    parse_recorded,
    pending_tag,
)


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
    assert (r.fingerprint, r.pending_fingerprint, r.pending_at, r.pending_after_job) == (
        "a" * 32,
        "b" * 32,
        7,
        "job_1",
    )
    assert (r.commit, r.conflicts) == ("c" * 12, ())
