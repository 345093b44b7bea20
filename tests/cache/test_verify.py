"""What verify mode says when the load cache and a load without it disagree."""

from __future__ import annotations

import dataclasses

from tests.support.builders import desired, image, model
from trainops.cache.verify import CacheMismatchError, differences
from trainops.errors import Diagnostic, ManifestError

WARNING = Diagnostic("models/a.yaml", 3, "spec.trainingImages", "few images", None, "warning")


def test_equal_results_have_no_difference() -> None:
    result = (desired(model("hero")), [WARNING])
    assert differences(result, (desired(model("hero")), [WARNING])) == []


def test_a_differing_image_is_named_by_its_position() -> None:
    stale = model("hero", images=(image("a.png"), image("b.png", content="old")))
    fresh = model("hero", images=(image("a.png"), image("b.png", content="new")))
    (line,) = differences((desired(stale), []), (desired(fresh), []))
    assert line.startswith("model hero: images[1]: cached DesiredImage(path='data/b.png'")


def test_models_only_on_one_side_and_warnings_are_listed() -> None:
    cached = (desired(model("hero"), model("ghost")), [WARNING])
    fresh = (desired(model("hero"), model("new")), [])
    assert differences(cached, fresh) == [
        "model ghost: only in the cached result",
        "model new: missing from the cached result",
        f"warnings: only cached: {WARNING}",
    ]


def test_a_valid_cached_result_where_the_manifests_are_invalid() -> None:
    error = dataclasses.replace(WARNING, severity="error")
    assert differences((desired(model("hero")), []), ManifestError([error])) == [
        "outcome: cached valid (1 models), fresh 1 error(s) in manifests"
    ]


def test_the_error_lists_every_difference() -> None:
    exc = CacheMismatchError(["model a: name: cached 'A', fresh 'B'", "model c: only in..."])
    assert str(exc).splitlines()[1:] == [
        "  model a: name: cached 'A', fresh 'B'",
        "  model c: only in...",
    ]
