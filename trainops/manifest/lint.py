"""Dataset lint: warnings (never errors unless --strict) about choices that waste a training.

The thresholds follow Scenario's own training guide (scenario-api.md section 9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from trainops.desired import ParamValue
from trainops.manifest.parameters import FAMILY_LABELS, PARAMETERS, SAMPLE_PROMPT_CAPS, TypeInfo
from trainops.manifest.resolve import Located, TrainingFile
from trainops.manifest.schema import Loc

# What trainops's own tags keep to (trainops.tags.TAG_PATTERN), so they survive an API that
# lowercases tags or trims their character set; `trainops doctor` shows what this account does.
USER_TAG_MAX = 64
USER_TAG = re.compile(rf"^[a-z0-9:._@/-]{{1,{USER_TAG_MAX}}}$")
MIN_SIDE = 1024
SWEET_SPOT = (5, 15)
STYLE_MAX = 20  # styles tolerate a few more images than subjects
# (dataset size upper bound, guidance learning rate); the last applies to anything larger.
LR_GUIDE = ((10, 5e-5), (25, 1e-4), (None, 2e-4))
LR_FACTOR = 3.0  # "far" = more than this factor away from the guidance


def user_tags(at: Located, tags: Sequence[tuple[int, str]]) -> None:
    """Tags (with their index in `spec.tags`) the API may not keep verbatim. trainops checks
    every tag write against the API's reply, so such a tag stops the model at apply if the API
    normalises it: say so now."""
    for i, tag in tags:
        if not USER_TAG.match(tag):
            at.report(
                ("spec", "tags", i),
                f"tag {tag!r} has more than lower-case letters, digits and :._@/- or is over "
                f"{USER_TAG_MAX} characters: an API that normalises tags would store it otherwise "
                "and apply would stop this model",
                hint="`trainops doctor` shows whether this account keeps tags verbatim",
                severity="warning",
            )


def _warn(at: Located, loc: Loc, message: str) -> None:
    at.report(loc, message, severity="warning")


def duplicates(at: Located, files: Sequence[TrainingFile]) -> None:
    first: dict[str, str] = {}
    for f in sorted(files, key=lambda f: (f.loc, f.image.path)):  # manifest order
        seen = first.setdefault(f.image.sha256, f.image.path)
        if seen != f.image.path:
            msg = f"{f.image.path} is an exact duplicate of {seen}: duplicates over-weight one "
            _warn(at, f.loc, msg + "example and teach the model to copy it; remove one")


def small_images(at: Located, files: Sequence[TrainingFile]) -> None:
    for f in files:
        w, h = f.facts.width, f.facts.height
        if w is not None and h is not None and min(w, h) < MIN_SIDE:
            _warn(
                at,
                f.loc,
                f"{f.image.path} is {w}x{h} px, under {MIN_SIDE} px on a side: "
                "the trainer upscales it and the model learns blur; use a larger source",
            )


LFS_NOTE = "pixel checks skipped; `git lfs pull` runs them"
NAMED = 2  # pointers named in the model's line; the rest are counted


def lfs_pointers(at: Located, files: Sequence[TrainingFile], loc: Loc) -> None:
    """A Git LFS pointer has no pixels or samples here: the checks that need them are skipped.
    One line per model (the terminal joins them into one, `trainops.manifest.lintgroups`)."""
    paths = list(dict.fromkeys(f.image.path for f in files if f.facts.lfs))
    if not paths:
        return
    named = ", ".join(paths[:NAMED]) + (
        f", +{len(paths) - NAMED} more" if len(paths) > NAMED else ""
    )
    many = f"{len(paths)} training files are Git LFS pointers"
    what = many if len(paths) > 1 else "1 training file is a Git LFS pointer"
    # A note: `--strict` must not fail a plan that only lacks the LFS download.
    at.report(loc, f"{what} ({named}): {LFS_NOTE}", severity="note")


def image_count(at: Located, n: int, loc: Loc, *, pairs: bool) -> None:
    lo, hi = SWEET_SPOT
    top = hi if pairs else STYLE_MAX
    noun = "pairs" if pairs else "images"
    one = "pair" if pairs else "image"
    spot = f"{lo}-{hi} {noun} is the sweet spot" + ("" if pairs else " (styles up to about 20)")
    if n and n < lo:
        _warn(
            at, loc, f"only {n} training {one if n == 1 else noun}: too few to generalise; {spot}"
        )
    elif n > top:
        _warn(
            at,
            loc,
            f"{n} training {noun}: more than the sweet spot costs more and dilutes it; {spot}",
        )


def sample_prompts(at: Located, info: TypeInfo, params: Mapping[str, ParamValue]) -> None:
    prompts = params.get("samplePrompts")
    cap = SAMPLE_PROMPT_CAPS.get(info.family)
    if isinstance(prompts, list) and cap is not None and len(prompts) > cap:
        _warn(
            at,
            ("spec", "parameters", "samplePrompts"),
            f"{len(prompts)} sample prompts, over the {FAMILY_LABELS[info.family]} cap of {cap}: "
            "the extra prompts are refused or ignored by the trainer",
        )
    epochs = params.get("nbEpochs")
    if isinstance(epochs, int | float) and epochs > 1 and not prompts:
        _warn(
            at,
            ("spec", "parameters", "nbEpochs"),
            f"{epochs:g} epochs but no samplePrompts: a checkpoint per epoch is only published "
            "with sample prompts, so the run keeps the final weights alone",
        )


def sdxl_steps(at: Located, info: TypeInfo, params: Mapping[str, ParamValue]) -> None:
    if info.family == "sdxl-lora" and "maxTrainSteps" in params:
        _warn(
            at,
            ("spec", "parameters", "maxTrainSteps"),
            "SDXL LoRA training takes numTextTrainSteps and numUNetTrainSteps instead: "
            "maxTrainSteps alone does not set how long it trains",
        )


def whole_numbers(at: Located, params: Mapping[str, ParamValue]) -> None:
    for name, value in params.items():
        spec = PARAMETERS.get(name)
        if spec is None or not spec.whole or isinstance(value, bool):
            continue
        if isinstance(value, float) and not value.is_integer():
            _warn(
                at,
                ("spec", "parameters", name),
                f"{name} {value:g} is not a whole number: the API's schema takes it, but the "
                "trainer counts whole steps, epochs and ranks; write the number you mean",
            )


def guidance_lr(n: int) -> float:
    for bound, lr in LR_GUIDE:
        if bound is None or n < bound:
            return lr
    raise AssertionError("unreachable: the last guide entry has no bound")


def learning_rate(at: Located, info: TypeInfo, params: Mapping[str, ParamValue], n: int) -> None:
    lr = params.get("learningRate")
    if info.family not in ("flux-lora", "musubi") or not n:
        return
    if not isinstance(lr, int | float) or isinstance(lr, bool) or lr <= 0:
        return
    guide = guidance_lr(n)
    if lr > guide * LR_FACTOR or lr < guide / LR_FACTOR:
        _warn(
            at,
            ("spec", "parameters", "learningRate"),
            f"learningRate {lr:g} is far from the guidance of {guide:g} for {n} training "
            f"examples (5-10: 5e-05, 10-25: 0.0001, 25-50: 0.0002): too high overfits, "
            "too low underfits",
        )


def lint(
    at: Located,
    info: TypeInfo,
    params: Mapping[str, ParamValue],
    files: Sequence[TrainingFile],
    *,
    examples: int,
    count_loc: Loc,
) -> None:
    """Every dataset warning for one model. `examples` counts images, or pairs for edit types."""
    if not info.pairs:  # one image may serve several pairs on purpose
        duplicates(at, files)
    if not info.audio:
        small_images(at, files)
        image_count(at, examples, count_loc, pairs=info.pairs)
        learning_rate(at, info, params, examples)
    lfs_pointers(at, files, count_loc)
    sample_prompts(at, info, params)
    sdxl_steps(at, info, params)
    whole_numbers(at, params)
