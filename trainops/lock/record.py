"""The apply lock's records as tags: a lock (`trainops-lock:<expires>.<id>/<holder>`) parsed
and written, the home's tag and name, and who holds it (see `trainops.lock`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from trainops.tags import TAG_MAX, workspace_slug

HOME_PREFIX = "trainops-lockmodel:"
LOCK_PREFIX = "trainops-lock:"
HOME_TYPE = "flux.1-lora"
TTL = 600.0  # seconds a lock lives unless renewed: how long a crashed apply blocks the next
ID_LEN = 6
_EXPIRES_LEN = 10  # unix seconds, until 2286
HOLDER_MAX = TAG_MAX - len(LOCK_PREFIX) - _EXPIRES_LEN - 1 - ID_LEN - 1
_LOCK = re.compile(
    rf"^{LOCK_PREFIX}(?P<expires>\d{{1,{_EXPIRES_LEN}}})\.(?P<id>[a-z2-7]{{{ID_LEN}}})/(?P<holder>.*)$"
)


@dataclass(frozen=True)
class Lock:
    """One lock tag: its id (what `trainops unlock` takes), who holds it, until when."""

    id: str
    holder: str
    expires: int

    @property
    def tag(self) -> str:
        return f"{LOCK_PREFIX}{self.expires}.{self.id}/{self.holder}"

    def describe(self, now: float) -> str:
        left = self.expires - now
        when = (
            f"expires in {duration(left)} unless renewed"
            if left > 0
            else f"expired {duration(-left)} ago"
        )
        return f"{_shown_holder(self.holder)} (lock {self.id}, {when})"


def parse_lock(tag: str) -> Lock | None:
    m = _LOCK.match(tag)
    return Lock(id=m["id"], holder=m["holder"], expires=int(m["expires"])) if m else None


def home_tag(workspace: str) -> str:
    return f"{HOME_PREFIX}{workspace_slug(workspace)}"


def home_name(workspace: str) -> str:
    return f"trainops apply lock ({workspace_slug(workspace)})"


def holder_of(environ: Mapping[str, str]) -> str:
    """Who takes the lock, as a tag can carry it: `TRAINOPS_LOCK_HOLDER` when set, the GitHub
    Actions run (`gh:<repository>/<run id>`), else `user@host:pid`. Never a secret."""
    if own := environ.get("TRAINOPS_LOCK_HOLDER"):
        return _fit(own)
    run, repo = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_REPOSITORY")
    if environ.get("GITHUB_ACTIONS") == "true" and run:
        whole = _clean(f"{repo or 'unknown'}/{run}")
        # The run id is what tells one run from another: cut the repository, never the id.
        room = HOLDER_MAX - len("gh:")
        return "gh:" + (whole if len(whole) <= room else ".." + whole[-room + 2 :])
    import getpass
    import os
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a container: not worth failing for
        user = "someone"
    pid = f":{os.getpid()}"
    host = socket.gethostname().split(".")[0]
    return _fit(f"{user}@{host}")[: HOLDER_MAX - len(pid)] + pid


def _fit(text: str) -> str:
    return _clean(text)[:HOLDER_MAX] or "someone"


def _clean(text: str) -> str:
    return re.sub(r"[^a-z0-9:._@/-]+", "-", text.lower())


def _shown_holder(holder: str) -> str:
    m = re.fullmatch(r"gh:(?P<repo>[^/.][^/]*/[^/]+)/(?P<run>\d+)", holder)
    if m:
        return f"{holder} (https://github.com/{m['repo']}/actions/runs/{m['run']})"
    return holder


def duration(seconds: float) -> str:
    if seconds < 10:
        return f"{round(seconds, 1):g} s"
    return f"{round(seconds)} s" if seconds < 120 else f"{round(seconds / 60)} min"


def new_lock_id() -> str:
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(ID_LEN))
