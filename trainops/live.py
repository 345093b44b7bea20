"""The live state: frozen values read from the API, and trainops's recorded state in tags.

trainops keeps no state file. What it needs to remember lives on the model itself:
- identity:     tag `trainops:<workspace>/<key>`           (set at create or adoption)
- trained with: tag `trainops-fp:<fingerprint[:32]>`        (set after a training was triggered)
- git commit:   tag `trainops-commit:<sha[:12]>`            (the manifests' commit at trigger)
- in flight:    tag `trainops-pending:<fingerprint[:32]>@<unix seconds>/<previous job id>`
                (set just before a trigger; lets a rerun after a crash tell "triggered, not
                recorded" from "never triggered": only a job other than the previous one can be
                the pending trigger's; `none` when the model had no job)
- price probe:  tag `trainops-probe:<workspace>` on an empty, never-trained model of one type,
                created by `plan` to price models that do not exist yet (a dry run needs a model
                id); reused by every later plan, never trained, never an orphan
- image content: each uploaded training image is named `<sha256[:16]>-<file name>`, because the
                API stores no content hash and re-downloading every image to hash it is slow.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

FP_LEN = 32
IDENTITY_PREFIX = "trainops:"
FP_PREFIX = "trainops-fp:"
COMMIT_PREFIX = "trainops-commit:"
PENDING_PREFIX = "trainops-pending:"
PROBE_PREFIX = "trainops-probe:"
_IMAGE_NAME = re.compile(r"^(?P<sha>[0-9a-f]{16})-(?P<name>.+)$")

NO_JOB = "none"

TERMINAL_JOB_STATUSES = frozenset({"success", "failure", "canceled"})


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


def image_name(sha256: str, file_name: str) -> str:
    return f"{sha256[:16]}-{file_name}"


def epoch_seconds(iso: str) -> float | None:
    """An API ISO timestamp (`2023-02-03T11:19:41.579Z`) as epoch seconds, None if unreadable."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_image_name(name: str) -> tuple[str | None, str]:
    """(sha256 prefix or None when not uploaded by trainops, original file name)."""
    m = _IMAGE_NAME.match(name)
    return (m["sha"], m["name"]) if m else (None, name)


@dataclass(frozen=True)
class LiveImage:
    id: str
    name: str  # the original file name (prefix stripped)
    sha_prefix: str | None  # 16 hex chars when uploaded by trainops, else None (drift)
    description: str  # the caption used for training
    automatic_captioning: str
    download_url: str


@dataclass(frozen=True)
class LivePair:
    source_id: str | None
    target_id: str | None
    instruction: str | None


@dataclass(frozen=True)
class LiveJob:
    id: str
    status: str  # pending|queued|warming-up|in-progress|finalizing|success|failure|canceled
    progress: float | None
    created_at: str  # ISO
    updated_at: str
    cost: float | None  # billing.cuCost
    error: str | None  # metadata.error

    @property
    def running(self) -> bool:
        return self.status not in TERMINAL_JOB_STATUSES


@dataclass(frozen=True)
class Recorded:
    """What trainops wrote on the model, parsed from its tags."""

    workspace: str | None
    key: str | None
    fingerprint: str | None  # FP_LEN hex chars
    commit: str | None
    pending_fingerprint: str | None
    pending_at: int | None
    # The model's job before the pending trigger: NO_JOB for none, None when not recorded.
    pending_after_job: str | None = None


@dataclass(frozen=True)
class LiveModel:
    id: str
    type: str
    status: str  # new|training|trained|failed|training-canceled|copying
    name: str | None
    short_description: str | None
    tags: tuple[str, ...]  # all tags, trainops's included
    parameters: Mapping[str, object]
    images: tuple[LiveImage, ...]  # every training image when complete, else none
    images_count: int  # trainingImagesNumber: the truth even when `images` is empty
    complete: bool  # True when read in full; False when known from a listing only
    pairs: tuple[LivePair, ...]
    job: LiveJob | None  # the latest training job, when known
    progress: float | None  # trainingProgress.progress
    stage: str | None  # trainingProgress.stage
    remaining_ms: float | None
    updated_at: str
    recorded: Recorded
    job_id: str | None = None  # the latest training job's id (`jobId`), without reading the job

    @property
    def user_tags(self) -> tuple[str, ...]:
        return tuple(t for t in self.tags if not is_trainops_tag(t))


def parse_recorded(tags: tuple[str, ...] | list[str]) -> Recorded:
    # A plan parses each listed model's tags several times (matching, staleness, reading).
    return _parse_recorded(tuple(tags))


@functools.lru_cache(maxsize=8192)
def _parse_recorded(tags: tuple[str, ...]) -> Recorded:
    fields: dict[str, str] = {}
    for tag in tags:
        for prefix in (IDENTITY_PREFIX, FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX):
            if tag.startswith(prefix):
                fields[prefix] = tag[len(prefix) :]
    workspace = key = None
    if ident := fields.get(IDENTITY_PREFIX):
        workspace, _, key = ident.rpartition("/")
    pending_fp = pending_at = after_job = None
    if pending := fields.get(PENDING_PREFIX):
        fp, _, rest = pending.partition("@")
        at, _, after_job = rest.partition("/")
        pending_fp, pending_at = fp, int(at) if at.isdigit() else None
    return Recorded(
        workspace=workspace or None,
        key=key or None,
        fingerprint=fields.get(FP_PREFIX),
        commit=fields.get(COMMIT_PREFIX),
        pending_fingerprint=pending_fp,
        pending_at=pending_at,
        pending_after_job=after_job or None,
    )


@dataclass(frozen=True)
class Live:
    """Every model of the team that is relevant to this workspace."""

    workspace: str
    models: tuple[LiveModel, ...]  # managed by this workspace (identity tag) or adopted by id
    probes: Mapping[str, str] = field(default_factory=dict)  # model type -> price probe id

    def by_id(self) -> dict[str, LiveModel]:
        return {m.id: m for m in self.models}

    def by_key(self) -> Mapping[str, LiveModel]:
        return {m.recorded.key: m for m in self.models if m.recorded.key}
