"""The review report (`trainops report`) as one self-contained HTML page: pure, no network, no env.

It receives its pictures already made (`Picture.src`: a data: URI, see `trainops.thumbs`), so the
page fetches nothing when it is viewed: CSS inline, no script, no external URL. Every user string
(names, captions, prompts, parameter values, file names) is cleaned (`phrases.clean`: control
characters and credentials) and HTML-escaped here, at the one place that writes markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from trainops.plan import ModelPlan, Plan, Value
from trainops.render.phrases import (
    clean,
    cost_text,
    describe_change,
    headline,
    show_value,
    spent_text,
    summary_line,
)

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin:32px 0 4px;border-top:1px solid #d0d7de;padding-top:16px}
h3{font-size:15px;margin:16px 0 6px}.muted{color:#656d76}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
.sheet{display:flex;flex-wrap:wrap;gap:10px}
.pair{display:flex;align-items:center;gap:10px;margin:0 0 12px}.arrow{font-size:24px}
.instruction{max-width:320px;font-style:italic}
figure{margin:0;width:200px;font-size:12px}figure.sample{width:260px}
figure img{display:block;width:100%;height:auto;background:#f6f8fa;border:1px solid #d0d7de}
.missing{display:flex;align-items:center;justify-content:center;text-align:center;height:120px;
background:#fff8c5;border:1px dashed #9a6700;padding:6px;box-sizing:border-box}
.name{font-family:ui-monospace,monospace;word-break:break-all}
.prompt{font-style:italic}ul.changes{margin:4px 0;padding-left:20px}
code{font-family:ui-monospace,monospace}
.note{background:#fff8c5;border:1px dashed #9a6700;padding:6px}
"""


@dataclass(frozen=True)
class Picture:
    """A picture ready for the page, or why there is none."""

    src: str | None  # a data: URI; None when it could not be made
    width: int = 0
    height: int = 0
    problem: str | None = None  # why `src` is None: shown in its place


@dataclass(frozen=True)
class Tile:
    """One training file of the contact sheet."""

    name: str  # its path in the workspace
    caption: str | None  # None: the API captions it
    picture: Picture


@dataclass(frozen=True)
class PairTile:
    """One training pair of an edit model: what the model sees, what it should make of it."""

    source: Tile
    target: Tile
    instruction: str


@dataclass(frozen=True)
class Param:
    name: str
    value: Value
    secret: bool  # never shown


@dataclass(frozen=True)
class Epoch:
    epoch: str
    samples: tuple[Picture, ...]  # the i-th from the i-th sample prompt


@dataclass(frozen=True)
class Section:
    """One model of the workspace: its manifest, its plan entry and, once trained, its epochs."""

    key: str
    name: str
    type: str
    source: str  # the manifest, file:line
    parameters: tuple[Param, ...]
    tiles: tuple[Tile, ...]
    plan: ModelPlan | None
    status: str | None = None  # the live model's; None when not created
    prompts: tuple[str, ...] = ()  # the samplePrompts its epochs were made from
    epochs: tuple[Epoch, ...] = ()
    notes: tuple[str, ...] = ()  # what could not be read, e.g. the trained model itself
    pairs: tuple[PairTile, ...] = ()  # edit models: shown as pairs, apart from `tiles`


@dataclass(frozen=True)
class Page:
    workspace: str
    plan: Plan
    sections: tuple[Section, ...]
    created_at: str  # when the report was made, as shown


def e(text: str) -> str:
    """A user string, cleaned and escaped for HTML text and attribute values."""
    return html.escape(clean(text), quote=True)


def render_report(page: Page) -> str:
    return "\n".join(_page(page)) + "\n"


def _page(page: Page) -> Iterator[str]:
    title = f"trainops report: {e(page.workspace)}"
    yield "<!DOCTYPE html>"
    yield '<html lang="en"><head><meta charset="utf-8">'
    yield f"<title>{title}</title><style>{CSS}</style></head><body>"
    yield f"<h1>{title}</h1>"
    yield f'<p class="muted">{e(page.created_at)}'
    if page.plan.commit:
        yield f" · commit <code>{e(page.plan.commit[:12])}</code>"
    yield "</p>"
    yield f"<p>{e(summary_line(page.plan))}</p>"
    yield from _others(page)
    if not page.sections:
        yield "<p>No model is declared in this scope.</p>"
    for s in page.sections:
        yield from _section(s)
    yield "</body></html>"


def _others(page: Page) -> Iterator[str]:
    """Plan entries with no manifest (orphans, deletions): only the plan says anything of them."""
    declared = {s.key for s in page.sections}
    others = [m for m in page.plan.models if m.key not in declared]
    if not others:
        return
    yield "<h2>Live models without a manifest</h2><ul>"
    for m in others:
        spent = spent_text(m)
        yield f"<li>{e(headline(m))}" + (f" ({e(spent)})" if spent else "") + "</li>"
    yield "</ul>"


def _section(s: Section) -> Iterator[str]:
    yield f'<h2 id="{e(s.key)}">{e(s.name)} <span class="muted">({e(s.key)})</span></h2>'
    status = s.status or "not created"
    files = len(s.tiles) + 2 * len(s.pairs)
    yield (
        f'<p class="muted">{e(s.type)} · {e(s.source)} · live status: {e(status)}'
        f" · {files} training file{'s' if files != 1 else ''}</p>"
    )
    for note in s.notes:
        yield f'<p class="note">{e(note)}</p>'
    yield from _plan(s.plan)
    yield from _parameters(s.parameters)
    yield from _pairs(s.pairs)
    if s.tiles or not s.pairs:
        yield "<h3>Dataset</h3>"
        yield '<div class="sheet">' + "".join(_figure(t) for t in s.tiles) + "</div>"
    yield from _epochs(s)


def _figure(t: Tile) -> str:
    caption = t.caption if t.caption is not None else "(captioned by the API)"
    return (
        f"<figure>{_img(t.picture, t.name)}"
        f'<figcaption><div class="name">{e(t.name)}</div>{e(caption)}</figcaption></figure>'
    )


def _pairs(pairs: tuple[PairTile, ...]) -> Iterator[str]:
    if not pairs:
        return
    yield f"<h3>Training pairs ({len(pairs)})</h3>"
    for p in pairs:
        yield (
            f'<div class="pair">{_figure(p.source)}<span class="arrow">→</span>'
            f'{_figure(p.target)}<p class="instruction">{e(p.instruction)}</p></div>'
        )


def _plan(m: ModelPlan | None) -> Iterator[str]:
    yield "<h3>Plan</h3>"
    if m is None:
        yield '<p class="muted">Not in the plan.</p>'
        return
    yield f"<p>{e(headline(m))}</p>"
    lines = [describe_change(c) for c in m.changes]  # all of them: the page has room
    lines += [f"drift: {d}" for d in m.drift]
    if lines:
        yield '<ul class="changes">' + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>"
    cost = cost_text(m)
    if cost:
        yield f"<p>{e(cost)}</p>"


def _parameters(params: tuple[Param, ...]) -> Iterator[str]:
    yield "<h3>Parameters</h3>"
    if not params:
        yield '<p class="muted">None set: the API defaults.</p>'
        return
    yield "<table>"
    for p in params:
        value = "(secret, not shown)" if p.secret else show_value(p.value)
        yield f'<tr><th class="name">{e(p.name)}</th><td>{e(value)}</td></tr>'
    yield "</table>"


def _epochs(s: Section) -> Iterator[str]:
    if not s.epochs:
        return
    yield f"<h3>Epochs ({len(s.epochs)})</h3>"
    for n, ep in enumerate(s.epochs, 1):
        yield f'<p>Epoch {n} <code class="muted">{e(ep.epoch)}</code></p><div class="sheet">'
        for i, pic in enumerate(ep.samples):
            prompt = s.prompts[i] if i < len(s.prompts) else f"sample {i + 1} (prompt unknown)"
            yield (
                f'<figure class="sample">{_img(pic, prompt)}'
                f'<figcaption class="prompt">{e(prompt)}</figcaption></figure>'
            )
        yield "</div>"


def _img(p: Picture, alt: str) -> str:
    # Only embedded pictures: a URL (the API's, a user's) would be fetched when viewed.
    if p.src is None or not p.src.startswith("data:image/"):
        problem = p.problem or "not embedded"
        return f'<div class="missing">no picture: {e(problem)}</div>'
    src = html.escape(p.src, quote=True)
    return f'<img src="{src}" width="{p.width}" height="{p.height}" alt="{e(alt)}">'
