"""The review report's page (`trainops.render.report`): user strings escaped, only embedded
pictures, and light enough for a model of 20 images."""

from __future__ import annotations

import io
import re

from PIL import Image

from trainops.plan import Change, ModelPlan, Plan
from trainops.render.report import (
    Epoch,
    Page,
    PairTile,
    Param,
    Picture,
    Section,
    Tile,
    render_report,
)
from trainops.thumbs import thumbnail

EVIL = "<script>alert(1)</script>\"'&"
DOT = Picture("data:image/jpeg;base64,AAAA", 1, 1)


def _section(**changes: object) -> Section:
    fields: dict[str, object] = {
        "key": "hero",
        "name": "Hero",
        "type": "flux.1-lora",
        "source": "hero/model.yaml:1",
        "parameters": (),
        "tiles": (),
        "plan": None,
    }
    fields.update(changes)
    return Section(**fields)  # type: ignore[arg-type]


def _page(*sections: Section, plan: Plan | None = None) -> str:
    plan = plan or Plan(workspace="shop", models=())
    return render_report(Page("shop", plan, sections, created_at="2026-12-02 10:00 UTC"))


def test_every_user_string_is_escaped() -> None:
    evil = _section(
        key=f"k{EVIL}",
        name=f"n{EVIL}",
        type=f"t{EVIL}",
        source=f"s{EVIL}",
        parameters=(Param(f"p{EVIL}", f"v{EVIL}", secret=False),),
        tiles=(Tile(f"f{EVIL}.png", f"c{EVIL}", DOT),),
        prompts=(f"r{EVIL}",),
        epochs=(Epoch(f"e{EVIL}", (DOT,)),),
        plan=ModelPlan(
            key=f"k{EVIL}",
            action="train",
            model_id=None,
            type="flux.1-lora",
            display_name=None,
            changes=(Change("caption", "change", f"f{EVIL}.png", old="a", new=f"b{EVIL}"),),
            will_train=True,
        ),
    )
    page = _page(evil, plan=Plan(workspace=f"w{EVIL}", models=()))
    assert "<script" not in page
    assert "alert(1)</script>" not in page
    # Each string is there, as text.
    for mark in ("k", "n", "t", "s", "p", "f", "c", "r", "e"):
        assert f"{mark}&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in page, mark


def test_a_secret_is_never_shown() -> None:
    page = _page(_section(parameters=(Param("wandbKey", "the-key", secret=True),)))
    assert "the-key" not in page
    assert "(secret, not shown)" in page


def test_a_picture_that_is_not_embedded_is_not_linked() -> None:
    remote = Picture("https://example.invalid/a.png", 10, 10)
    missing = Picture(None, problem=f"download failed: {EVIL}")
    page = _page(_section(tiles=(Tile("a.png", None, remote), Tile("b.png", None, missing))))
    assert "example.invalid" not in page
    assert "<img" not in page
    assert "no picture: not embedded" in page
    assert "no picture: download failed: &lt;script&gt;" in page


def _photo_like(seed: int) -> bytes:
    """1024 px with detail at thumbnail scale, about as costly to encode as a photograph."""
    bands = [Image.effect_noise((32, 32), 50 + 20 * i + seed) for i in range(3)]
    img = Image.merge("RGB", bands).resize((1024, 1024), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_a_model_of_20_images_stays_near_200_kb() -> None:
    def picture(seed: int) -> Picture:
        t = thumbnail(_photo_like(seed), 192)
        return Picture(t.src, t.width, t.height)

    tiles = tuple(Tile(f"hero-{n:02}.png", f"hero, picture {n}", picture(n)) for n in range(20))
    page = _page(_section(tiles=tiles))
    assert len(re.findall("<img ", page)) == 20
    assert len(page.encode()) < 220_000


def test_an_edit_model_shows_its_pairs_source_to_target_with_the_instruction() -> None:
    pic = Picture("data:image/jpeg;base64,AA==", width=4, height=4)
    pair = PairTile(
        Tile("pairs/a-day.png", None, pic),
        Tile("pairs/a-night.png", "night <b>", pic),
        "make it <night>",
    )
    page = _page(_section(tiles=(), pairs=(pair,)))
    body = page[page.index("<h3>Training pairs (1)</h3>") :]
    assert "<h3>Dataset</h3>" not in page  # every file is a pair's side
    day, arrow, night, instruction = (
        body.index("pairs/a-day.png"),
        body.index("→"),
        body.index("pairs/a-night.png"),
        body.index("make it &lt;night&gt;"),
    )
    assert day < arrow < night < instruction
    assert "night &lt;b&gt;" in body
    assert "· 2 training files</p>" in page
