"""Apply outcomes as GitHub-flavoured markdown, for the comment `apply --comment-outcome` posts.

User strings go through `trainops.render.markdown.escape`, as in the plan comment. Under --wait
a finished training has results: its duration, and each epoch's sample images in a grid (one row
per epoch, one column per sample prompt) so the team can pick an epoch. Sample URLs the API
signed expire: the comment says so and points to the run, whose report artifact keeps a copy.
Over `max_chars` the grids are dropped first, with a note.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from trainops.links import MODEL_LINK, lifetime, model_link, signed_url
from trainops.plan import EpochSamples, ModelOutcome, Outcome, format_cu
from trainops.render.markdown import MAX_WHY, ReportLink, code, escape, report_line
from trainops.render.phrases import (
    deferred_sentence,
    elapsed_text,
    listed_outcomes,
    outcome_summary,
    up_to_date_count,
)

__all__ = ["OutcomeLinks", "render_outcome_markdown"]

TIMED = " Duration |"  # the column a --wait outcome adds
SAMPLE_WIDTH = 128
MAX_PROMPT = 80  # a prompt as a column header
GRIDS_DROPPED = (
    "⚠️ The epochs' sample images were left out to fit GitHub's comment size limit: see them "
    "with `trainops status NAME` or in the review report (`trainops report`)."
)


@dataclass(frozen=True)
class OutcomeLinks:
    """Where the comment links: the web app's model page (`{modelId}`), the CI run (None
    outside one), and the time the sample links' expiry is counted from (epoch seconds)."""

    model: str = MODEL_LINK
    run_url: str | None = None
    now: float = 0.0
    report_artifact: str | None = None  # the run's artifact holding `trainops report`'s page

    @property
    def report(self) -> ReportLink | None:
        if self.report_artifact and self.run_url:
            return ReportLink(self.report_artifact, self.run_url)
        return None


RESULT_LABELS = {
    "done": "✅ done",
    "failed": "❌ failed",
    "skipped": "⏭️ skipped",
    "unrecorded": "⚠️ unrecorded",
    "blocked": "✋ needs a person",
    "deferred": "⏸️ deferred",
}


def render_outcome_markdown(
    outcome: Outcome, links: OutcomeLinks | None = None, *, max_chars: int | None = None
) -> str:
    """The outcome; over `max_chars` (UTF-16 units, as GitHub counts) without sample grids."""
    links = links or OutcomeLinks()
    full = _render(outcome, links, grids=True)
    if max_chars is None or _utf16_len(full) <= max_chars or not _has_grids(outcome):
        return full
    return _render(outcome, links, grids=False)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _has_grids(outcome: Outcome) -> bool:
    return any(m.epochs for m in outcome.models)


def _render(outcome: Outcome, links: OutcomeLinks, *, grids: bool) -> str:
    n = outcome.counts()
    if n["failed"]:
        verdict = f"❌ **Apply failed for {n['failed']} of {len(outcome.models)} models**"
    elif n["unrecorded"]:
        s, it = ("s", "them") if n["unrecorded"] != 1 else ("", "it")
        verdict = (
            f"⚠️ **{n['unrecorded']} training{s} not recorded: run apply again to record {it}**"
        )
    elif n["blocked"]:
        s = "s" if n["blocked"] != 1 else ""
        verdict = f"✋ **{n['blocked']} training{s} waiting for a person in Scenario's web app**"
    elif n["deferred"]:
        verdict = f"⏸️ **{escape(deferred_sentence(outcome) or '')}**"
    elif outcome.models:
        fresh = up_to_date_count(outcome)
        tail = f", {fresh} up to date" if fresh else ""
        verdict = f"✅ **Applied: {n['done']} done, {n['skipped'] - fresh} skipped{tail}**"
    else:
        verdict = "✅ **Nothing was applied**"
    lines = ["### trainops apply", "", verdict]
    if n["deferred"] and not verdict.startswith("⏸️"):  # a worse verdict hides it otherwise
        lines += ["", f"⏸️ {escape(deferred_sentence(outcome) or '')}"]
    if shown := listed_outcomes(outcome):  # up-to-date models are counted, not listed
        timed = any(m.duration_s is not None for m in shown)
        lines += [
            "",
            "| Model | Action | Result | Detail | Job | Cost (CU) |"
            + (" Duration |" if timed else ""),
            "|---|---|---|---|---|---|" + ("---|" if timed else ""),
        ]
        lines += [_outcome_row(m, links, timed) for m in shown]
        lines += _samples(shown, links) if grids else []
        if not grids:
            lines += ["", GRIDS_DROPPED]
    if links.report is not None:
        lines += ["", report_line(links.report)]
    return "\n".join([*lines, "", f"<sub>{outcome_summary(outcome)}</sub>"]) + "\n"


def _outcome_row(m: ModelOutcome, links: OutcomeLinks, timed: bool) -> str:
    job = code(m.job_id) if m.job_id else "–"
    cost = format_cu(m.cost) if m.cost is not None else "–"
    row = (
        f"| {_model_cell(m, links)} | {m.action} | {RESULT_LABELS[m.result]} | "
        f"{escape(m.detail, MAX_WHY)} | {job} | {cost} |"
    )
    if timed:
        row += f" {elapsed_text(m.duration_s) if m.duration_s is not None else '–'} |"
    return row


def _model_cell(m: ModelOutcome, links: OutcomeLinks) -> str:
    """The key, linked to the model's page in the web app while the model exists."""
    if m.model_id is None or m.action in ("orphan", "delete"):
        return escape(m.key)
    href = html.escape(model_link(links.model, m.model_id), quote=True)
    return f'<a href="{href}">{escape(m.key)}</a>'


def _samples(shown: list[ModelOutcome], links: OutcomeLinks) -> list[str]:
    out: list[str] = []
    for m in shown:
        if m.epochs:
            out += ["", f"#### Samples of {escape(m.key)}", "", *_grid(m.key, m.epochs)]
    if note := _expiry_note(shown, links):
        out += ["", note]
    return out


def _grid(key: str, epochs: tuple[EpochSamples, ...]) -> list[str]:
    """One row per epoch, one column per sample prompt (the i-th sample of every epoch)."""
    width = max(len(e.samples) for e in epochs)
    prompts = [_prompt(epochs, i) for i in range(width)]
    head = "| Epoch | " + " | ".join(escape(p, MAX_PROMPT) for p in prompts) + " |"
    rows = [head, "|---|" + "---|" * width]
    for n, e in enumerate(epochs, 1):
        cells = [
            _sample(e.samples[i].url, f"{key} epoch {n}: {prompts[i]}")
            if i < len(e.samples)
            else "–"
            for i in range(width)
        ]
        rows.append(f"| {n} {code(e.epoch[:8])} | " + " | ".join(cells) + " |")
    return rows


def _prompt(epochs: tuple[EpochSamples, ...], i: int) -> str:
    said = next((e.samples[i].prompt for e in epochs if i < len(e.samples)), None)
    return said if said is not None else f"sample {i + 1}"


def _sample(url: str, alt: str) -> str:
    """A linked image; a URL that is not http(s) is named, never linked."""
    if not url.startswith(("https://", "http://")):
        return "–"
    href = html.escape(url, quote=True)
    return (
        f'<a href="{href}"><img src="{href}" width="{SAMPLE_WIDTH}" alt="{escape(alt, 120)}"></a>'
    )


def _expiry_note(shown: list[ModelOutcome], links: OutcomeLinks) -> str | None:
    signed = [
        s
        for m in shown
        for e in m.epochs
        for x in e.samples
        if (s := signed_url(x.url)) is not None
    ]
    if not signed:
        return None
    ends = [s.expires_at for s in signed if s.expires_at is not None]
    when = f" in {lifetime(min(ends) - links.now)}" if ends and min(ends) > links.now else ""
    if ends and min(ends) <= links.now:
        when = " (some already have)"
    if links.report is not None:
        keeps = f"the <b>{escape(links.report.artifact)}</b> artifact of this run keeps a copy"
    else:
        keeps = "`trainops report` keeps a lasting copy (one HTML page, pictures embedded)"
    return f"⏳ These sample links are signed and expire{when}; {keeps}."
