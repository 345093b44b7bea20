"""The job summary: the same markdown as the comment, appended to GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from trainops.errors import ConfigError
from trainops.github.context import GithubContext
from trainops.github.markup import truncate_markdown, utf8_len

MAX_SUMMARY_BYTES = 1024 * 1024  # GitHub rejects a step's summary above 1 MiB
_NOTE = "\n> ⚠️ Truncated to fit GitHub's 1 MiB job summary limit; the full text is in the log.\n"


def write_step_summary(ctx_or_environ: GithubContext | Mapping[str, str], markdown: str) -> bool:
    """Append `markdown` to the step summary; False (and no error) when not on GitHub Actions."""
    if isinstance(ctx_or_environ, GithubContext):
        path = ctx_or_environ.step_summary
    else:
        path = ctx_or_environ.get("GITHUB_STEP_SUMMARY") or None
    if path is None:
        return False
    target = Path(path)
    used = target.stat().st_size if target.exists() else 0
    text = markdown.rstrip("\n") + "\n\n"
    if used + utf8_len(text) > MAX_SUMMARY_BYTES:
        budget = MAX_SUMMARY_BYTES - used - utf8_len(_NOTE)
        text = truncate_markdown(text, max(budget, 0), utf8_len) + _NOTE
    try:
        with target.open("a", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise ConfigError(f"GITHUB_STEP_SUMMARY: cannot append to {path}: {exc}") from exc
    return True
