"""The tag protocol: what trainops records on a live model, since it keeps no state file.

 What it needs to remember lives on the model itself:
- identity:     tag `trainops:<workspace>/<key>`           (set at create or adoption; a model
                may carry other workspaces' too, each finds its own)
- trained with: tag `trainops-fp:<fingerprint[:32]>`        (set after a training was triggered)
- git commit:   tag `trainops-commit:<sha[:12]>`            (the manifests' commit at trigger)
- in flight:    tag `trainops-pending:<fingerprint[:32]>@<unix seconds>/<previous job id>`
                (set just before a trigger; lets a rerun after a crash tell "triggered, not
                recorded" from "never triggered": only a job other than the previous one can be
                the pending trigger's; `none` when the model had no job)
- price probe:  tag `trainops-probe:<workspace>` on an empty, never-trained model of one type,
                created by `plan` to price models that do not exist yet (a dry run needs a model
                id); reused by every later plan, never trained, never an orphan; used only once
                tagged (one left untagged is claimed first, see `trainops.leaks`)
- image content: each uploaded training image is named `<sha256[:16]>-<file name>`, because the
                API stores no content hash and re-downloading every image to hash it is slow.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass

FP_LEN = 32
IDENTITY_PREFIX = "trainops:"
FP_PREFIX = "trainops-fp:"
COMMIT_PREFIX = "trainops-commit:"
PENDING_PREFIX = "trainops-pending:"
PROBE_PREFIX = "trainops-probe:"
SHA_PREFIX_LEN = 16  # of an uploaded image's sha256, in its name
_IMAGE_NAME = re.compile(rf"^(?P<sha>[0-9a-f]{{{SHA_PREFIX_LEN}}})-(?P<name>.+)$")

NO_JOB = "none"


def identity_tag(workspace: str, key: str) -> str:
    return f"{IDENTITY_PREFIX}{workspace}/{key}"


def fingerprint_tag(fingerprint: str) -> str:
    return f"{FP_PREFIX}{fingerprint[:FP_LEN]}"


def commit_tag(sha: str) -> str:
    return f"{COMMIT_PREFIX}{sha[:12]}"


def pending_tag(fingerprint: str, at: int, previous_job: str | None = None) -> str:
    return f"{PENDING_PREFIX}{fingerprint[:FP_LEN]}@{at}/{previous_job or NO_JOB}"


def probe_tag(workspace: str) -> str:
    return f"{PROBE_PREFIX}{workspace}"


def probe_name(model_type: str) -> str:
    return f"trainops price probe ({model_type})"


def is_trainops_tag(tag: str) -> bool:
    return tag.startswith((IDENTITY_PREFIX, FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX, PROBE_PREFIX))


def sha_prefix(sha256: str) -> str:
    """The part of a content hash an uploaded image's name carries (`LiveImage.sha_prefix`)."""
    return sha256[:SHA_PREFIX_LEN]


def image_name(sha256: str, file_name: str) -> str:
    return f"{sha_prefix(sha256)}-{file_name}"


def parse_image_name(name: str) -> tuple[str | None, str]:
    """(sha256 prefix or None when not uploaded by trainops, original file name)."""
    m = _IMAGE_NAME.match(name)
    return (m["sha"], m["name"]) if m else (None, name)


Identity = tuple[str, str]  # (workspace, key) of one identity tag


@dataclass(frozen=True)
class Recorded:
    """What trainops wrote on the model, parsed from its tags.

    A model may carry identity tags of several workspaces (another workspace's, or one added by
    hand): each workspace looks for its own (`keys`, `of`), and another's never hides it. A
    record a model must carry once (fingerprint, pending trigger) found twice is no record:
    its value is None and the tags are listed in `conflicts`, for the reader to refuse.
    """

    workspace: str | None  # of the one identity tag: None when none or several (`of`)
    key: str | None
    fingerprint: str | None  # FP_LEN hex chars
    commit: str | None  # None when two differ too: it is shown, never acted on
    pending_fingerprint: str | None
    pending_at: int | None
    # The model's job before the pending trigger: NO_JOB for none, None when not recorded.
    pending_after_job: str | None = None
    identities: tuple[Identity, ...] = ()  # every identity tag's, sorted
    conflicts: tuple[tuple[str, ...], ...] = ()  # each: the tags recording one thing, sorted

    def keys(self, workspace: str) -> tuple[str, ...]:
        """The keys this model's identity tags give it in `workspace` (one, or an ambiguity)."""
        return tuple(k for w, k in self.identities if w == workspace)

    def of(self, workspace: str) -> Recorded:
        """This record as `workspace` sees it: its identity is the workspace's own tag, or
        none when the model carries none of them or several."""
        keys = self.keys(workspace)
        key = keys[0] if len(keys) == 1 else None
        return dataclasses.replace(self, workspace=workspace if key else None, key=key)


def parse_recorded(tags: tuple[str, ...] | list[str]) -> Recorded:
    # A plan parses each listed model's tags several times (matching, staleness, reading).
    return _parse_recorded(tuple(tags))


@functools.lru_cache(maxsize=8192)
def _parse_recorded(tags: tuple[str, ...]) -> Recorded:
    found: dict[str, set[str]] = {p: set() for p in (FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX)}
    identities: set[Identity] = set()
    for tag in tags:
        if tag.startswith(IDENTITY_PREFIX):
            workspace, _, key = tag[len(IDENTITY_PREFIX) :].rpartition("/")
            if workspace and key:
                identities.add((workspace, key))
        for prefix, values in found.items():
            if tag.startswith(prefix):
                values.add(tag[len(prefix) :])
    one = {p: next(iter(v)) if len(v) == 1 else None for p, v in found.items()}
    conflicts = tuple(
        tuple(sorted(p + v for v in found[p]))
        for p in (FP_PREFIX, PENDING_PREFIX)
        if len(found[p]) > 1
    )
    pending_fp = pending_at = after_job = None
    if pending := one[PENDING_PREFIX]:
        fp, _, rest = pending.partition("@")
        at, _, after_job = rest.partition("/")
        pending_fp, pending_at = fp, int(at) if at.isdigit() else None
    only = next(iter(identities)) if len(identities) == 1 else (None, None)
    return Recorded(
        workspace=only[0],
        key=only[1],
        fingerprint=one[FP_PREFIX],
        commit=one[COMMIT_PREFIX],
        pending_fingerprint=pending_fp,
        pending_at=pending_at,
        pending_after_job=after_job or None,
        identities=tuple(sorted(identities)),
        conflicts=conflicts,
    )
