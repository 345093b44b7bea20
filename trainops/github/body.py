"""The PR comment around an already-rendered plan: hidden identity header and size fallbacks.

Layout (first two lines are the only ones ever parsed, so plan content cannot spoof them):

    <!-- trainops:plan path=examples -->                     identity, one per workspace path
    <!-- trainops:meta {"fingerprint": ..., "sha": ..., "review": ...} -->   what apply reads
    ...                                                                    back (see below)
    ...plan markdown: full with thumbnails, else full without them (+ a note), else compact
       (+ a link to the job summary), else truncated...
    ...when truncated: a note and a footer with the commit and fingerprint, since the
       renderer's own footer was cut off with the end of the plan...

The meta's `review` is what the reviewer saw model by model (`trainops.reviewed.Review.data`):
the merge check compares with it. Above `MAX_REVIEW_CHARS` it is left out and the merge needs the
exact fingerprint, as before version 2. A plan that failed leaves `{"failed": why}` instead: no
fingerprint, nothing a merge could match.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

from trainops.github.markup import truncate_markdown, utf16_len
from trainops.redact import redact, strip_bidi

MAX_COMMENT_CHARS = 65536  # GitHub: "body is too long (maximum is 65536 characters)"
OUTCOME_MARKER = "<!-- trainops:outcome -->"
_META = re.compile(r"<!-- trainops:meta (\{[^<>]*\}) -->")
_FINGERPRINT = re.compile(r"[A-Za-z0-9._:+/=-]{1,200}")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
MAX_REVIEW_CHARS = 24_000  # of the 65,536 a comment holds: the plan itself needs the rest
META_VERSION = 2  # 2: `review`, and `failed` for a failing plan

Form = Literal["full", "plain", "compact", "truncated"]  # plain: full, thumbnails left out
PICTURES_DROPPED = "Thumbnails were left out to fit GitHub's comment size limit."


@dataclass(frozen=True)
class PlanComment:
    body: str
    form: Form


def comment_marker(workspace_path: str) -> str:
    """The hidden first line naming one workspace; `quote` leaves no `>` to close it early."""
    path = str(PurePosixPath(workspace_path.replace("\\", "/")))
    return f"<!-- trainops:plan path={quote(path, safe='/')} -->"


def plan_comment(
    *,
    marker: str,
    full_markdown: str,
    compact_markdown: str,
    plan_fingerprint: str,
    sha: str | None,
    run_url: str | None,
    review: dict[str, object] | None = None,
    max_chars: int = MAX_COMMENT_CHARS,
    plain_markdown: str | None = None,
) -> PlanComment:
    """The full plan if it fits; else, when `full_markdown` has thumbnails, the full plan without
    them (`plain_markdown`) with a note; else the compact one with a note; else compact
    truncated."""
    if not _FINGERPRINT.fullmatch(plan_fingerprint):
        raise ValueError(f"not a plan fingerprint: {plan_fingerprint[:40]!r}")
    full_markdown, compact_markdown = _public(full_markdown), _public(compact_markdown)
    plain = _public(plain_markdown) if plain_markdown and plain_markdown != full_markdown else None
    sha = sha if sha and _SHA.fullmatch(sha) else None
    if review is not None and len(_json(review)) > MAX_REVIEW_CHARS:
        review = None
    meta = functools.partial(_meta, plan_fingerprint, sha, review=review)
    where = f"the [job summary]({run_url})" if run_url else "the job summary"
    link = f"The full plan, with per-model details, is in {where}." if run_url else None
    drafts: list[tuple[Form, str, str | None]] = [("full", full_markdown, None)]
    if plain:
        drafts.append(("plain", plain, f"ℹ️ {PICTURES_DROPPED}"))
    drafts.append(("compact", compact_markdown, link))
    for form, content, note in drafts:
        body = _assemble(marker, meta(form), content, note, None)
        if utf16_len(body) <= max_chars:
            return PlanComment(body, form)
    footer = _footer(plan_fingerprint, sha)
    note = (
        f"⚠️ The plan was truncated to fit GitHub's comment size limit; the full plan is in {where}."
    )
    frame = _assemble(marker, meta("truncated"), "", note, footer)
    content = truncate_markdown(compact_markdown, max_chars - utf16_len(frame) - 1)
    body = _assemble(marker, meta("truncated"), content, note, footer)
    return PlanComment(body, "truncated")


def failure_comment(
    *,
    marker: str,
    markdown: str,
    failure: str,
    sha: str | None,
    max_chars: int = MAX_COMMENT_CHARS,
) -> PlanComment:
    """The plan comment of a plan that failed: `markdown` says what failed; the meta records
    `failure` (one line) and no fingerprint, so no merge can pass as reviewed against it."""
    sha = sha if sha and _SHA.fullmatch(sha) else None
    data = {"failed": failure[:300], "sha": sha, "version": META_VERSION}
    meta = f"<!-- trainops:meta {_json(data)} -->"
    markdown = _public(markdown)
    body = _assemble(marker, meta, markdown, None, None)
    if utf16_len(body) <= max_chars:
        return PlanComment(body, "full")
    note = "⚠️ Truncated to fit GitHub's comment size limit; the full errors are in the job log."
    frame = _assemble(marker, meta, "", note, None)
    content = truncate_markdown(markdown, max_chars - utf16_len(frame) - 1)
    return PlanComment(_assemble(marker, meta, content, note, None), "truncated")


def read_meta(body: str, marker: str) -> dict[str, Any] | None:
    """The meta header of a comment whose first line is exactly `marker`; None for any other."""
    lines = body.replace("\r\n", "\n").split("\n", 2)
    if len(lines) < 2 or lines[0] != marker:
        return None
    match = _META.fullmatch(lines[1])
    if not match:
        return None
    try:
        meta = json.loads(match.group(1))
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


def outcome_comment(markdown: str, *, max_chars: int = MAX_COMMENT_CHARS) -> str:
    note = "⚠️ Truncated to fit GitHub's comment size limit; the full outcome is in the job log."
    markdown = _public(markdown)
    body = f"{OUTCOME_MARKER}\n{markdown.rstrip()}\n"
    if utf16_len(body) <= max_chars:
        return body
    frame = f"{OUTCOME_MARKER}\n\n\n{note}\n"
    content = truncate_markdown(markdown, max_chars - utf16_len(frame))
    return f"{OUTCOME_MARKER}\n{content.rstrip()}\n\n{note}\n"


def _public(markdown: str) -> str:
    """The renderers already clean every user string; a comment is public, so once more."""
    return strip_bidi(redact(markdown))


def _meta(
    fingerprint: str, sha: str | None, form: Form, *, review: dict[str, object] | None
) -> str:
    data: dict[str, object] = {"fingerprint": fingerprint, "sha": sha, "form": form}
    if review is not None:
        data["review"] = review
    data["version"] = META_VERSION if review is not None else 1
    return f"<!-- trainops:meta {_json(data)} -->"


def _json(data: Mapping[str, object]) -> str:
    """One line of JSON with no `<`, `>` or `&`: model keys are the user's, and a `>` would end
    the HTML comment (and `_META` reads up to the first `<` or `>`)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _footer(fingerprint: str, sha: str | None) -> str:
    planned = f"planned at `{sha[:7]}` · " if sha else ""
    return f"<sub>{planned}plan fingerprint `{fingerprint[:12]}`</sub>"


def _assemble(marker: str, meta: str, content: str, note: str | None, footer: str | None) -> str:
    parts = [f"{marker}\n{meta}", content.strip("\n"), f"> {note}" if note else "", footer or ""]
    return "\n\n".join(p for p in parts if p) + "\n"
