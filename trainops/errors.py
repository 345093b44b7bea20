"""The one exception tree. Exceptions never print themselves; only `cli` turns them into text.

TrainopsError                 any user-fixable failure (exit 1)
├── ManifestError             manifests or trainops.yaml are invalid; carries every Diagnostic
├── ConfigError               missing credentials, bad flags, bad environment
├── ApiError                  the API (or sandbox) refused or failed a call
│   ├── QuotaError            a team limit or cooldown (429 naming a limit): not transient
│   ├── PaginationError       a listing that repeats a page token or never ends
│   ├── IncompleteModelError  the API shows fewer training images than the model counts
│   ├── AmbiguousWriteError   a create or train failed without saying whether it was done
│   ├── TagWriteError         the API stored other tags than those sent (trainops's records)
│   └── CaptionError          a caption the model's read does not show as set: not trained
├── LiveStateError            the live models are ambiguous (two claim one manifest)
├── UnsafePlanError           the plan breaks a safety gate (budget, max-cost)
├── StalePlanError            a saved plan no longer matches manifests, images or live state
└── LockedError               another apply holds the workspace's apply lock (exit 75)

Interrupted (a KeyboardInterrupt, exit 130): ^C during apply, saying what may still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from trainops.redact import redact, strip_bidi

if TYPE_CHECKING:  # for types only: tags (which live imports) may raise errors of this module
    from trainops.live import LiveModel


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one place: renders as `FILE:LINE: FIELD: MESSAGE` plus an optional hint."""

    file: str
    line: int
    field: str
    message: str
    hint: str | None = None
    # A `note` is a warning that `--strict` leaves alone: it says a check could not run (an
    # LFS pointer has no pixels), not that the manifest should change.
    severity: Literal["error", "warning", "note"] = "error"

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}: {self.field}: {self.message}"
        # File names and fields are the user's: nothing that reorders the line when shown.
        return strip_bidi(f"{head}\n  hint: {self.hint}" if self.hint else head)


class TrainopsError(Exception):
    """Base of every error a user can fix. `hint` says what to do next. Both are redacted here,
    where they are made: an API error may quote a credential back (`trainops.redact`)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint is not None else None


class ManifestError(TrainopsError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in manifests")
        self.diagnostics = diagnostics


class ConfigError(TrainopsError):
    pass


class ApiError(TrainopsError):
    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


PARALLEL_TRAINING = "parallel-training"  # the action Scenario names for its cap on trainings
DATASET_IMAGES = "add-training-image"  # the action of the team's dataset ceiling


class QuotaError(ApiError):
    """A 429 that names a team limit (`action`, `actionLimit`) or a cooldown
    (`remainingSeconds`). `waitable` says whether time lifts it (see `trainops.schedule`)."""

    def __init__(
        self,
        message: str,
        *,
        action: str | None = None,
        limit: float | None = None,
        remaining_seconds: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=429, hint=hint)
        self.action = action
        self.limit = limit
        self.remaining_seconds = remaining_seconds

    @property
    def waitable(self) -> bool:
        """The refusal means "not now": a launch cooldown, or the cap on parallel trainings of a
        plan that allows any. A dataset ceiling (or a plan allowing no training) time does not
        lift."""
        if self.remaining_seconds is not None:
            return True
        return self.action == PARALLEL_TRAINING and self.limit != 0

    @property
    def limit_text(self) -> str:
        """The limit in words: `the team's limit of 1 parallel training`, `the team's launch
        cooldown`, `the team's dataset ceiling of 500 training images`."""
        if self.remaining_seconds is not None:
            return "the team's launch cooldown"
        n = f"{self.limit:g} " if self.limit is not None else ""
        if self.action == PARALLEL_TRAINING:
            s = "" if self.limit == 1 else "s"
            return f"the team's limit of {n}parallel training{s}"
        if self.action == DATASET_IMAGES:
            return (
                f"the team's dataset ceiling of {n}training images"
                if n
                else ("the team's dataset ceiling")
            )
        return f"the team's limit on {self.action or 'this action'}" + (
            f" ({self.limit:g})" if self.limit is not None else ""
        )


class PaginationError(ApiError):
    """A listing whose pages do not end: a `nextPaginationToken` seen before, or more pages
    than `Scenario` follows. Reading on would loop (or run for ever)."""


class IncompleteModelError(ApiError):
    """A model read in full, and again with get-bulk `allTrainingImages`, still shows fewer
    `trainingImages` than its `trainingImagesNumber`: syncing against that list would upload
    the "missing" files again. `model` is the best read (its images as a preview)."""

    def __init__(self, message: str, *, model: LiveModel, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.model = model


class AmbiguousWriteError(ApiError):
    """A create/train call failed in a way that does not say whether the server acted.

    Never retry it blindly: re-read the model (and its jobs) and decide from what is there.
    `reason` is what happened to the request, in words (`the request timed out`).
    """

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = redact(reason)


class LiveStateError(TrainopsError):
    """The live models are ambiguous for this workspace (e.g. two claim the same key)."""


class UnsafePlanError(TrainopsError):
    pass


class StalePlanError(TrainopsError):
    pass


class Interrupted(KeyboardInterrupt):
    """^C in the middle of a command that knows what it leaves behind: `message` says what may
    still be running, `hint` what to do. A KeyboardInterrupt, not a TrainopsError: it stops
    everything and exits 130 like any ^C."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class TagWriteError(ApiError):
    """A tag update the API answered with other tags than those sent (`PUT /models/{id}/tags`
    `added` / `deleted`): trainops's records would be lost, so that model stops."""


class CaptionError(ApiError):
    """A caption the model's read does not show as it was set: training on it would learn other
    captions than the manifests declare, so that model is not trained."""


class LockedError(TrainopsError):
    """Another apply holds the workspace's apply lock (`trainops.lock`): nothing was changed,
    and running again later is the fix, hence its own exit code (75, sysexits' EX_TEMPFAIL)."""
