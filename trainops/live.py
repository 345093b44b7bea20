"""The live state: frozen values read from the API (recorded state parsed per `trainops.tags`).

`trainops.scenario.parse` builds them from the API's JSON; nothing else sees that JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainops.tags import Recorded, is_trainops_tag

TERMINAL_JOB_STATUSES = frozenset({"success", "failure", "canceled"})


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
    created_at: float | None  # epoch seconds; None when unreadable
    updated_at: float | None
    cost: float | None  # billing.cuCost
    error: str | None  # metadata.error
    model_id: str | None = None  # metadata.outputModelId: the model it trains

    @property
    def running(self) -> bool:
        return self.status not in TERMINAL_JOB_STATUSES


@dataclass(frozen=True)
class LiveSample:
    """One sample image of an epoch (`epochs[].assets[]`): made from the training's
    `samplePrompts`, the i-th asset from the i-th prompt (the order is inferred: the API pairs
    them by position only)."""

    asset_id: str
    url: str  # as the API gives it: may be signed and expire (`trainops doctor` checks)


@dataclass(frozen=True)
class LiveEpoch:
    """One checkpoint of a Flux LoRA training (`epochs[]`): published per epoch only when the
    training had sample prompts."""

    epoch: str  # the epoch hash, what `PUT /models/{id}` `epoch` selects
    samples: tuple[LiveSample, ...]


@dataclass(frozen=True)
class TrainingStats:
    """`trainingStats` of a model: when its latest training ran, and for how long."""

    started_at: float | None  # epoch seconds
    ended_at: float | None
    queue_seconds: float | None  # `queueDuration`
    train_seconds: float | None  # `trainDuration`


@dataclass(frozen=True)
class LiveModel:
    id: str
    type: str
    status: str  # new|training|trained|failed|training-canceled|copying
    name: str | None
    short_description: str | None
    tags: tuple[str, ...]  # all tags, trainops's included
    # The stored parameters as the API echoes them (it may leave defaults out, see
    # `trainops.echo`); None when the reply had no `parameters` at all.
    parameters: Mapping[str, object] | None
    images: tuple[LiveImage, ...]  # every training image when complete, else none (see preview)
    images_count: int  # trainingImagesNumber: the truth even when `images` is empty
    complete: bool  # True when read in full; False when known from a listing only
    pairs: tuple[LivePair, ...]
    job: LiveJob | None  # the latest training job, when known
    progress: float | None  # trainingProgress.progress
    stage: str | None  # trainingProgress.stage
    remaining_ms: float | None
    updated_at: str  # as the API wrote it: compared, never computed with
    recorded: Recorded
    job_id: str | None = None  # the latest training job's id (`jobId`), without reading the job
    created_at: float | None = None  # epoch seconds
    # A listing's first few images (`trainingImages` there is a preview): enough to see a file
    # that trainops did not upload, never the full list, so never compared as one.
    preview: tuple[LiveImage, ...] = ()
    training_images_number: int | None = None  # `trainingImagesNumber` as sent; None if absent
    deleted_at: float | None = None  # `deletedAt` (epoch seconds): soft-deleted, gone for a user
    epochs: tuple[LiveEpoch, ...] = ()  # Flux LoRA checkpoints with their sample images
    epoch: str | None = None  # the selected epoch; None = the latest
    stats: TrainingStats | None = None  # `trainingStats`, when the reply has it

    @property
    def params(self) -> Mapping[str, object]:
        """The echoed parameters, empty when the API sent none."""
        return self.parameters or {}

    @property
    def sample_prompts(self) -> tuple[str, ...]:
        """The stored `samplePrompts`: the i-th sample of every epoch was made from the i-th."""
        raw = self.params.get("samplePrompts")
        return tuple(str(p) for p in raw) if isinstance(raw, list) else ()

    @property
    def user_tags(self) -> tuple[str, ...]:
        return tuple(t for t in self.tags if not is_trainops_tag(t))


@dataclass(frozen=True)
class DryRun:
    """The price of a training, from a dry run (`PUT /models/{id}/train?dryRun=true`)."""

    cost: float | None  # creativeUnitsCost
    discount: float | None
    details: Mapping[str, float] = field(default_factory=dict)  # costDetails, e.g. train-model


@dataclass(frozen=True)
class Live:
    """Every model of the team that is relevant to this workspace."""

    workspace: str
    models: tuple[LiveModel, ...]  # managed by this workspace (identity tag) or adopted by id
    probes: Mapping[str, str] = field(default_factory=dict)  # model type -> price probe id
    # Models a create left untagged, of a manifest's type and name or a probe's (`leaks`).
    leaked: tuple[LiveModel, ...] = ()

    def by_id(self) -> dict[str, LiveModel]:
        return {m.id: m for m in self.models}

    def by_key(self) -> Mapping[str, LiveModel]:
        return {m.recorded.key: m for m in self.models if m.recorded.key}


@dataclass(frozen=True)
class TagsReply:
    """What a tag update did, as the API says (`PUT /models/{id}/tags`): the tags it stored and
    those it removed, checked by `trainops.tags.check_written`."""

    added: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
