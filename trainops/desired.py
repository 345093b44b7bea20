"""The declared state: frozen values that `manifest` + `dataset` produce and `plan` consumes.

Nothing here does I/O. Secrets stay references (`SecretRef`) until `apply` resolves them at the
last moment, so no plan, render or fingerprint can ever contain one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from trainops.errors import ConfigError
from trainops.links import MODEL_LINK
from trainops.tags import sha_prefix


@dataclass(frozen=True)
class SecretRef:
    """`{env: NAME}` in a manifest: the value is read from the environment at apply time."""

    env: str


# JSON-like parameter values; SecretRef only for secret parameters (wandbKey).
ParamValue = str | int | float | bool | list[str] | SecretRef

SECRET_PARAMETERS = frozenset({"wandbKey"})
FINGERPRINT_VERSION = 1  # a new version retrains every model: never change what it covers
# What a training file may be, by format (also its file extension, `.jpg` aside).
IMAGE_FORMATS = frozenset({"png", "jpeg", "webp"})
AUDIO_FORMATS = frozenset({"wav", "mp3", "flac", "ogg", "m4a"})


def is_secret(name: str, value: object) -> bool:
    return name in SECRET_PARAMETERS or isinstance(value, SecretRef)


def canonical_value(value: object) -> object:
    """The form in which two parameter values that train the same model are equal: 800 and
    800.0 (or 1e-4 and 0.0001) are one number, as the API types every number as float."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [canonical_value(v) for v in value]
    return value


def canonical_parameters(parameters: Mapping[str, object]) -> dict[str, object]:
    """What counts of a model's parameters, for its fingerprint and for the diff: secrets never
    do (they are sent with every training, never compared by value)."""
    return {k: canonical_value(v) for k, v in sorted(parameters.items()) if not is_secret(k, v)}


def fingerprint(
    model_type: str,
    parameters: Mapping[str, ParamValue],
    images: Sequence[DesiredImage],
    pairs: Sequence[DesiredPair],
) -> str:
    """sha256 hex of everything that changes what a training learns.

    File names and order do not count (only content + caption); secrets never do.
    """
    body = {
        "v": FINGERPRINT_VERSION,
        "type": model_type,
        "parameters": canonical_parameters(parameters),
        "images": sorted({(i.sha256, i.caption or "") for i in images}),
        "pairs": sorted({(p.source.sha256, p.target.sha256, p.instruction) for p in pairs}),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Source:
    """Where something was declared: a path relative to the current directory, 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class DesiredImage:
    """One training file (image, or audio for voice models), identified by its content."""

    path: str  # posix path relative to the workspace root
    name: str  # file name, sent to the API as the image's `name`
    sha256: str
    size: int
    caption: str | None  # the training caption (`description`); None = let the API caption it

    @property
    def sha_prefix(self) -> str:
        """What the live image uploaded from this file carries in its name."""
        return sha_prefix(self.sha256)


@dataclass(frozen=True)
class DesiredPair:
    """Edit-LoRA training example: source -> target with an instruction."""

    source: DesiredImage
    target: DesiredImage
    instruction: str


@dataclass(frozen=True)
class DesiredModel:
    key: str  # metadata.name: the stable identity inside a workspace
    type: str
    name: str
    short_description: str | None
    tags: tuple[str, ...]  # user tags only (trainops's own tags are added by `live`/`apply`)
    parameters: Mapping[str, ParamValue]  # camelCase as in the API; effective, explicit only
    images: tuple[DesiredImage, ...]  # sorted by path
    pairs: tuple[DesiredPair, ...]
    model_id: str | None  # spec.modelId: adopt this existing live model
    fingerprint: str  # sha256 hex of the training inputs (see `fingerprint`)
    source: Source
    # Keys it had before (`metadata.previousNames`, `moved:`): a live model tagged with one is
    # this model, re-tagged by apply (`trainops.diff`).
    previous_names: tuple[str, ...] = ()

    @functools.cached_property  # read several times per model by a plan; the value is frozen
    def training_files(self) -> tuple[DesiredImage, ...]:
        """Every distinct file to upload: plain images plus both sides of every pair."""
        seen: dict[str, DesiredImage] = {i.sha256: i for i in self.images}
        for p in self.pairs:
            seen.setdefault(p.source.sha256, p.source)
            seen.setdefault(p.target.sha256, p.target)
        return tuple(sorted(seen.values(), key=lambda i: i.path))

    def public_parameters(self) -> dict[str, ParamValue]:
        """Parameters safe to show, save or hash: secrets replaced by their reference text."""
        return {
            k: (f"${{env:{v.env}}}" if isinstance(v, SecretRef) else v)
            for k, v in sorted(self.parameters.items())
        }

    def resolved_parameters(
        self, environ: Mapping[str, str] | None = None
    ) -> dict[str, ParamValue]:
        """Parameters to send to the API, secrets read from the environment. Never log these."""
        env = os.environ if environ is None else environ
        out: dict[str, ParamValue] = {}
        for k, v in sorted(self.parameters.items()):
            if isinstance(v, SecretRef):
                if v.env not in env:
                    raise ConfigError(
                        f"{self.source}: parameters.{k}: environment variable {v.env} is not set",
                        hint=f"export {v.env}=... before running apply",
                    )
                out[k] = env[v.env]
            else:
                out[k] = v
        return out


@dataclass(frozen=True)
class Workspace:
    """Settings from the optional root `trainops.yaml`."""

    name: str  # namespaces identity tags: two repos sharing one team never claim each other's
    root: Path
    project_id: str | None = None
    parallelism: int = 8
    budget: float | None = None  # max creative units for one plan
    pricing: Literal["true", "api"] = "api"  # the `dryRun` value plans are priced with
    # How much more (percent) the trainings apply starts at merge may cost than reviewed.
    merge_cost_tolerance: float = 10.0
    moved: tuple[tuple[str, str], ...] = ()  # `moved:` renames, (from, to) each
    model_link: str = MODEL_LINK  # `links.model`: a model's page in the web app, {modelId}


@dataclass(frozen=True)
class Desired:
    workspace: Workspace
    models: tuple[DesiredModel, ...] = field(default=())  # sorted by key
    # Manifest files that declared nothing (empty), workspace-relative, sorted: while any is
    # listed, a model missing from `models` may be one whose manifest failed to load.
    unloaded_files: tuple[str, ...] = ()

    def by_key(self) -> dict[str, DesiredModel]:
        return {m.key: m for m in self.models}

    def by_previous_name(self) -> dict[str, DesiredModel]:
        """Each previous key (`previous_names`) and the model that has it now."""
        return {old: m for m in self.models for old in m.previous_names}
