"""Issue 16, part 1: the plan comment says what changed, in words and pictures."""

from __future__ import annotations

from pathlib import Path

from inline_snapshot import external_file

from tests.support.builders import desired, image, live, live_of, model, sha
from tests.support.workspace import commit, init_repo
from trainops.diff import diff
from trainops.plan import Plan
from trainops.render.markdown import render_markdown
from trainops.render.pictures import Blobs, Pictures, locate_removed, plan_pictures
from trainops.repo import files_at, path_in_repo

HEAD = "1111111111111111111111111111111111111111"
BASE = "2222222222222222222222222222222222222222"
BLOBS = Blobs("https://github.com", "acme/models")


def changed_plan() -> Plan:
    """px: one image added, one replaced (same name, new bytes), one removed, a caption and a
    parameter changed."""
    before = model("px", images=(image("px-01.png"), image("px 02.png"), image("old.png")))
    after = model(
        "px",
        images=(
            image("px-01.png", caption='a "red" <b>knight</b>'),
            image("px 02.png", "new bytes"),
            image("new.png"),
        ),
        parameters={"maxTrainSteps": 550},
        fingerprint=sha("px-new"),
    )
    lv = live_of(before, parameters={"maxTrainSteps": 500})
    return diff(desired(after), live(lv), commit="0123456789abcdef0123")


def pictures(plan: Plan) -> Pictures:
    removed = {("px", "old.png"): "my models/data/old.png"}
    return plan_pictures(plan, BLOBS, head=HEAD, base=BASE, prefix="my models", removed=removed)


def test_the_comment_shows_added_replaced_and_removed_images_and_says_why() -> None:
    plan = changed_plan()
    md = render_markdown(
        plan,
        pictures=pictures(plan),
        warnings={"px": ["3 images under 1024 px: px-01.png 512x512, new.png 512x512, +1 more"]},
        budget=100.0,
        max_cost=20.0,
    )
    assert md == external_file("snapshots/plan-pictures.md", format=".txt")


def test_without_pictures_the_comment_names_the_files_only() -> None:
    md = render_markdown(changed_plan())
    assert "<img" not in md
    assert "<a " not in md
    assert "| px | 🔁 train | not priced | 1 image added, 1 replaced, 1 removed, caption of" in md
    assert "fingerprint" not in md.split("<details>")[0]


def test_urls_are_percent_encoded_and_never_a_script() -> None:
    plan = changed_plan()
    evil = Blobs("javascript:alert(1)//", "acme/models")
    assert plan_pictures(plan, evil, head=HEAD, base=BASE, prefix="", removed={}).items == {}
    assert plan_pictures(plan, Blobs("https://github.com", 'a"/b'), head=HEAD, base=BASE,
                         prefix="", removed={}).items == {}  # fmt: skip
    assert plan_pictures(plan, BLOBS, head="HEAD; x", base=None, prefix="", removed={}).items == {}
    pic = pictures(plan).get("px", "px 02.png", "new")
    assert pic is not None
    assert pic.link == f"https://github.com/acme/models/blob/{HEAD}/my%20models/data/px%2002.png"
    assert pic.img == pic.link + "?raw=true"
    old = pictures(plan).get("px", "px 02.png", "old")
    assert old is not None
    assert f"/blob/{BASE}/" in old.link


def test_a_removed_image_is_found_at_the_base_commit_by_its_name(tmp_path: Path) -> None:
    root = tmp_path / "repo" / "ws"
    for path in ("px/images/old.png", "px/images/keep.png", "other/old.png", "px/solo.png"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(b"x")
    (tmp_path / "repo" / "outside.png").write_bytes(b"x")
    base = init_repo(tmp_path / "repo")
    (root / "px" / "images" / "old.png").unlink()
    commit(tmp_path / "repo", "remove old.png")
    files = files_at(root, base)
    assert sorted(files) == [
        "ws/other/old.png",
        "ws/px/images/keep.png",
        "ws/px/images/old.png",
        "ws/px/solo.png",
    ]
    assert path_in_repo(root) == "ws"
    assert files_at(root, "0" * 40) == ()  # a commit a shallow checkout does not have
    before = model("px", images=(image("old.png"), image("solo.png"), image("gone.png")))
    plan = diff(desired(model("px", images=(), fingerprint=sha("x"))), live(live_of(before)))
    found = locate_removed(plan, files, {"px": frozenset({"ws/px/images"})})
    # Two old.png: the one beside the model's files; one solo.png; gone.png is not there.
    assert found == {
        ("px", "old.png"): "ws/px/images/old.png",
        ("px", "solo.png"): "ws/px/solo.png",
    }
    assert locate_removed(plan, files, {}) == {("px", "solo.png"): "ws/px/solo.png"}
