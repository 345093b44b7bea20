"""The live state: frozen values read from the API (recorded state parsed per `trainops.tags`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from trainops.tags import Recorded, is_trainops_tag

TERMINAL_JOB_STATUSES = frozenset({"success", "failure", "canceled"})


def epoch_seconds(iso: str) -> float | None:
    """An API ISO timestamp (`2023-02-03T11:19:41.579Z`) as epoch seconds, None if unreadable."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


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
