"""Thumbnails for the plan comment: where each image a change names is served, as a pure value.

The renderer never reads the environment or the network: the caller (`trainops.commands.plan`)
builds `Pictures` from the GitHub context and git, and `render_markdown` looks each image up.
GitHub serves a repository file at `{server}/{owner/name}/blob/{sha}/{path}`; with `?raw=true`
it answers with the bytes (a redirect to media.githubusercontent.com for a Git LFS file), which is
what an `<img>` needs. The new side of a change is at the pull request's head commit; the removed
image and the old side of a replaced one at its base commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit

from trainops.plan import Plan

Side = Literal["old", "new"]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
_SHA = re.compile(r"[0-9a-f]{7,64}")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Picture:
    img: str  # the file's bytes (`?raw=true`), for `<img src>`
    link: str  # the file's page on GitHub, for `<a href>`


@dataclass(frozen=True)
class Pictures:
    """(model key, image name, side) -> where it is served; a missing entry shows no picture."""

    items: Mapping[tuple[str, str, Side], Picture] = field(default_factory=dict)

    def get(self, key: str, name: str, side: Side) -> Picture | None:
        return self.items.get((key, name, side))


@dataclass(frozen=True)
class Blobs:
    """Where a repository's files are served: `{server}/{repository}/blob/{sha}/...`."""

    server_url: str
    repository: str

    def picture(self, sha: str | None, path: str | None) -> Picture | None:
        if not (sha and path and self.valid(sha)):
            return None
        link = f"{self.server_url}/{self.repository}/blob/{sha}/{quote(path, safe='/')}"
        return Picture(img=f"{link}?raw=true", link=link)

    def valid(self, sha: str) -> bool:
        # Only an http(s) server: never a `javascript:` or `data:` URL in the comment.
        parts = urlsplit(self.server_url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.netloc)
            and _REPOSITORY.fullmatch(self.repository) is not None
            and _SHA.fullmatch(sha) is not None
        )


def plan_pictures(
    plan: Plan,
    blobs: Blobs,
    *,
    head: str | None,
    base: str | None,
    prefix: str,
    removed: Mapping[tuple[str, str], str],
) -> Pictures:
    """The thumbnails of `plan`'s image changes. `prefix` is the workspace root's path in the
    repository ("" at its top); `removed` maps (model key, image name) to the removed image's
    repository path at `base`, as found there (`trainops.repo.paths_at`)."""
    items: dict[tuple[str, str, Side], Picture] = {}
    for m in plan.models:
        for c in m.changes:
            if c.kind != "image" or not c.subject.lower().endswith(IMAGE_SUFFIXES):
                continue
            new_path = _join(prefix, str(c.new)) if isinstance(c.new, str) else None
            old_path = new_path if c.op == "replace" else removed.get((m.key, c.subject))
            sides: list[tuple[Side, str | None, str | None]] = []
            if c.op in ("replace", "remove"):
                sides.append(("old", base, old_path))
            if c.op in ("add", "replace"):
                sides.append(("new", head, new_path))
            for side, sha, path in sides:
                if (pic := blobs.picture(sha, path)) is not None:
                    items[(m.key, c.subject, side)] = pic
    return Pictures(items)


def _join(prefix: str, path: str) -> str:
    return f"{prefix.strip('/')}/{path}" if prefix.strip("/") not in ("", ".") else path


def locate_removed(
    plan: Plan, files: tuple[str, ...], dirs: Mapping[str, frozenset[str]]
) -> dict[tuple[str, str], str]:
    """Where each removed image was at the base commit: the plan knows only its file name. Of
    `files` (repository paths at base), the one of that name; of several, the one in a
    directory of the model's other files (`dirs`, per model key); none when still ambiguous."""
    by_name: dict[str, list[str]] = {}
    for path in files:
        by_name.setdefault(path.rpartition("/")[2], []).append(path)
    out: dict[tuple[str, str], str] = {}
    for m in plan.models:
        for c in m.changes:
            if c.kind != "image" or c.op != "remove":
                continue
            found = by_name.get(c.subject, [])
            if len(found) > 1:
                found = [p for p in found if p.rpartition("/")[0] in dirs.get(m.key, ())]
            if len(found) == 1:
                out[(m.key, c.subject)] = found[0]
    return out
