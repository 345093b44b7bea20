"""trainops.reviewed: the merge may do less than the review showed, never more."""

from __future__ import annotations

from trainops.reviewed import Review, ReviewedModel, compare

REVIEWED = Review(
    {
        "alpha": ReviewedModel("create", "in-a", 10.0),
        "beta": ReviewedModel("update", "in-b"),
        "gamma": ReviewedModel("train", "in-c", None),  # priced at apply
    }
)


def test_doing_less_passes() -> None:
    assert compare(REVIEWED, Review()) == []
    # A re-run after a partial failure: alpha was created, only its training remains.
    assert compare(REVIEWED, Review({"alpha": ReviewedModel("train", "in-a", 10.0)})) == []


def test_more_than_reviewed_is_refused_per_model() -> None:
    now = Review(
        {
            "beta": ReviewedModel("train", "in-b", 5.0),
            "delta": ReviewedModel("delete", "id:m1"),
            "alpha": ReviewedModel("create", "in-other", 10.0),
        }
    )
    assert compare(REVIEWED, now) == [
        "alpha: its declared inputs changed since the review; the merge would create it and "
        "train it with inputs nobody reviewed",
        "beta: the review showed update (no training); the merge would train it",
        "delta: the review did not show it; the merge would delete it (--prune)",
    ]


def test_a_delete_needs_a_reviewed_delete_of_the_same_model() -> None:
    shown = Review({"old": ReviewedModel("delete", "id:m1")})
    assert compare(shown, Review({"old": ReviewedModel("delete", "id:m1")})) == []
    assert compare(shown, Review()) == []  # kept after all: less than reviewed
    assert compare(shown, Review({"old": ReviewedModel("delete", "id:m2")})) == [
        "old: the review showed the deletion of another model (m1); the merge would delete m2"
    ]
    # A review that showed an orphan (planned without --prune, or by an older trainops)
    # approved keeping it, not deleting it.
    kept = Review({"old": ReviewedModel("orphan", "id:m1")})
    assert compare(kept, Review({"old": ReviewedModel("delete", "id:m1")})) == [
        "old: the review showed orphan (kept: no deletion); the merge would delete it (--prune)"
    ]


def test_cost_tolerance_on_the_same_trainings() -> None:
    up = Review({"alpha": ReviewedModel("create", "in-a", 11.0)})
    assert compare(REVIEWED, up) == []
    assert compare(REVIEWED, up, tolerance=5) == [
        "cost: the trainings cost 11 CU now, 10 CU at review (+10%), over the 5% tolerance "
        "(10.5 CU)"
    ]
    unpriced_now = Review({"alpha": ReviewedModel("create", "in-a", None)})
    assert compare(REVIEWED, unpriced_now) == ["alpha: priced 10 CU at review, unpriced now"]
    # Unpriced at review: apply's own limits bound it, as they did when it was reviewed.
    assert compare(REVIEWED, Review({"gamma": ReviewedModel("train", "in-c", 99.0)})) == []


def test_the_record_round_trips_and_rejects_garbage() -> None:
    assert Review.from_data(REVIEWED.data()) == REVIEWED
    assert Review.from_data({"models": {"a": ["rm -rf", "x", 1]}}) is None
    assert Review.from_data({"models": {"a": ["train", "x", float("nan")]}}) is None
    assert Review.from_data("nope") is None


def test_a_rename_is_covered_only_by_the_same_rename() -> None:
    renamed = Review(
        {
            "hero": ReviewedModel("rename", "in-h<alpha:m1"),
            "villain": ReviewedModel("rename+train", "in-v<beta:m2", 5.0),
        }
    )
    assert compare(renamed, renamed) == []
    # Renamed since by another apply: only its metadata (or nothing) is left to do.
    assert compare(renamed, Review({"hero": ReviewedModel("update", "in-h")})) == []
    now = Review(
        {
            "hero": ReviewedModel("rename", "in-h<gamma:m3"),
            "villain": ReviewedModel("create", "in-v", 5.0),
        }
    )
    assert compare(renamed, now) == [
        "hero: its declared inputs changed since the review; the merge would rename it (re-tag "
        "a previous name's model) with inputs nobody reviewed",
        "villain: the review showed rename and train; the merge would create it and train it",
    ]
    # A review that showed a create or a train never covers taking over an existing model.
    created = Review({"hero": ReviewedModel("create", "in-h", 5.0)})
    assert compare(created, Review({"hero": ReviewedModel("rename", "in-h<alpha:m1")})) == [
        "hero: the review showed create; the merge would rename it (re-tag a previous name's model)"
    ]
    assert Review.from_data(renamed.data()) == renamed
