"""`trainops doctor`'s values: the report and its checks, each check's fixed words (`Spec`), and
the scratch model's fate (`Scratch`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["ok", "FAIL", "unknown"]
Progress = Callable[[str], None]

DOCTOR_PREFIX = "trainops-doctor:"
CASE_PREFIX = "Trainops-Doctor-Case:"  # upper case on purpose: does the API keep it?
SCRATCH_TYPE = "flux.1-lora"
SCRATCH_NAME = "trainops doctor"
LEFTOVER_AGE = 15 * 60.0  # seconds; a doctor run takes a minute or two
SMALL_IMAGES = 4  # with the large one, more than the 3 a listing previews
PAGES = 5  # pages of one model that the paging check follows, at most
CAPTION = "a flat colour swatch, uploaded by trainops doctor"
# A value equal to the documented default and an integer: an echo that drops defaults or turns
# every number into a float shows.
PARAMETERS: dict[str, object] = {"learningRate": 0.0001, "maxTrainSteps": 120}
BULK_REQUEST = "POST /models/get-bulk"  # its key in `Scenario.requests`
TRAINED_STATUSES = frozenset({"trained", "training", "failed", "training-canceled"})


@dataclass(frozen=True)
class Check:
    name: str
    expected: str
    seen: str
    verdict: Verdict
    remedy: str  # what trainops does about a FAIL

    def data(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    scratch: str  # the scratch model's id (deleted)
    removed: tuple[str, ...] = ()  # leftovers of earlier runs, deleted
    kept: tuple[str, ...] = ()  # recent doctor models left alone (another run's?)

    @property
    def holds(self) -> bool:
        return all(c.verdict != "FAIL" for c in self.checks)

    def data(self) -> dict[str, Any]:
        return {
            "format_version": "1.1",  # 1.1 added `command`
            "command": "doctor",
            "holds": self.holds,
            "scratch_model": self.scratch,
            "leftovers_removed": list(self.removed),
            "leftovers_kept": list(self.kept),
            "checks": [c.data() for c in self.checks],
        }


@dataclass
class Scratch:
    """The scratch model's fate, readable after a ^C: made (`model_id`) and `deleted` yet?"""

    nonce: str
    model_id: str | None = None
    deleted: bool = False
    # Every asset the checks uploaded: deleted after the model (an audio sample is on no model,
    # and nothing documents that deleting a model deletes its images' assets).
    assets: list[str] = dataclasses.field(default_factory=list)

    @property
    def tag(self) -> str:
        return f"{DOCTOR_PREFIX}{self.nonce}"

    @property
    def case_tag(self) -> str:
        return f"{CASE_PREFIX}{self.nonce}"

    @property
    def name(self) -> str:
        return f"{SCRATCH_NAME} {self.nonce}"


@dataclass(frozen=True)
class Spec:
    """A check's fixed words: what it tries, what trainops does when it fails."""

    name: str
    expected: str
    remedy: str

    def result(self, seen: str, ok: bool | None) -> Check:
        verdict: Verdict = "unknown" if ok is None else "ok" if ok else "FAIL"
        return Check(self.name, self.expected, seen, verdict, self.remedy)


TAGS = Spec(
    "tags kept verbatim",
    "a mixed-case tag reads back as written (reply, get, list)",
    "trainops writes lowercase tags only ([a-z0-9:._@/-], at most 64 characters)",
)
NAMES = Spec(
    "names kept",
    "model and file names read back as sent",
    "none: apply would take every file for a new one; do not apply, report it to Scenario",
)
SMALL = Spec(
    "small image upload",
    "images under 6 MB added as data URLs",
    "apply stops at that model with the API's error",
)
LARGE = Spec(
    "large image upload",
    "an image over 6 MB: POST /uploads, parts, complete, then assetIds",
    "apply stops at that model with the API's error",
)
AUDIO = Spec(
    "audio upload",
    "an audio sample: POST /uploads (kind audio), parts, complete",
    "apply stops at that voice model with the API's error",
)
FULL_LIST = Spec(
    "full image list",
    "a model's read lists trainingImagesNumber images",
    "trainops reads a short list again with get-bulk allTrainingImages, and stops that model "
    "if it is still short",
)
BULK_LIST = Spec(
    "full image list, get-bulk",
    "get-bulk allTrainingImages lists trainingImagesNumber images",
    "trainops stops that model rather than sync against a partial list",
)
CAPTION_KEPT = Spec(
    "caption kept",
    "an image's description reads back as set",
    "apply checks each caption after setting it and stops that model before its training",
)
PARAMETERS_KEPT = Spec(
    "parameters echoed",
    "read back as sent: same keys, values, JSON types",
    "plan compares parameters with what trainops sent, in one canonical form",
)
JOB_ID = Spec(
    "jobId on trained models",
    "trained models show their jobId",
    "trainops takes a new job's id from the trigger's reply, never from the model",
)
DELETED = Spec(
    "deleted model unlisted",
    "a deleted model leaves the listing",
    "trainops skips listed models that carry deletedAt",
)
DRY_RUNS = Spec(
    "dry runs: true and api",
    "both answer HTTP 269 with a price; the model does not train",
    "plans price with dryRun=api, the API keys' tier (`pricing:` in trainops.yaml); a dry run "
    "answered otherwise stops the plan",
)
PAGING = Spec(
    "paging never repeats",
    f"GET /models?pageSize=1: a new token each page (up to {PAGES} pages)",
    "trainops stops a listing at a token seen before, or past a page cap, with an error",
)
