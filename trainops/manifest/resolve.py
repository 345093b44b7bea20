"""A model's training inputs: its files (images, audio samples, pairs) and its parameters,
resolved from a validated `ModelSpec` and checked against the API's rules.

Every problem becomes a located diagnostic on the `Located` context; nothing raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from trainops.desired import DesiredImage, DesiredPair, ParamValue, SecretRef
from trainops.errors import Diagnostic
from trainops.manifest.files import FileFacts, FileProblem, check_media, expand, read_caption
from trainops.manifest.guard import Refused
from trainops.manifest.media import FactSource
from trainops.manifest.parameters import MODEL_TYPES, PARAMETERS, TypeInfo, check_parameters
from trainops.manifest.schema import (
    ENV_PATTERN,
    FileEntry,
    Loc,
    ModelSpec,
    SecretRefSpec,
    did_you_mean,
    field_name,
)
from trainops.manifest.yamlmarks import Document

_SPEC: Loc = ("spec",)


@dataclass
class Located:
    """Where diagnostics about one document go: its file, its line marks, the collected list."""

    doc: Document
    file: Path
    shown: str
    root: Path
    facts: FactSource
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self,
        loc: Loc,
        message: str,
        hint: str | None = None,
        severity: Literal["error", "warning", "note"] = "error",
    ) -> None:
        line = self.doc.line_of(loc)
        self.diagnostics.append(
            Diagnostic(self.shown, line, field_name(loc), message, hint, severity)
        )

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True)
class TrainingFile:
    """A resolved file with the manifest entry that brought it in (for lint locations)."""

    image: DesiredImage
    facts: FileFacts
    loc: Loc
    inline_caption: bool


def _relative(path: Path, root: Path) -> str:
    # Both already resolved: string slicing, because Path.relative_to is slow for every file.
    text, top = path.as_posix(), root.as_posix().rstrip("/") + "/"
    return text[len(top) :] if text.startswith(top) else path.relative_to(root).as_posix()


def _resolve(at: Located, pattern: str, loc: Loc) -> list[Path]:
    try:
        return expand(pattern, at.file.parent, at.root)
    except FileProblem as p:
        at.report(loc, p.message, p.hint)
        return []


def _load(at: Located, path: Path, loc: Loc, *, audio: bool) -> FileFacts | None:
    try:
        facts = at.facts.facts(path)
    except OSError as exc:
        at.report(loc, f"{_relative(path, at.root)} cannot be read: {exc.strerror}")
        return None
    except Refused as r:
        at.report(loc, f"{_relative(path, at.root)} {r.reason}", r.hint)
        return None
    try:
        check_media(facts, _relative(path, at.root), audio=audio)
    except FileProblem as p:
        at.report(loc, p.message, p.hint)
        return None
    return facts


def _file(path: Path, facts: FileFacts, root: Path, caption: str | None) -> DesiredImage:
    return DesiredImage(_relative(path, root), path.name, facts.sha256, facts.size, caption)


def resolve_files(
    at: Located, entries: list[FileEntry], base: Loc, *, audio: bool
) -> list[TrainingFile]:
    """Every file the entries name, once each (an inline caption wins over a glob's file)."""
    found: dict[Path, TrainingFile] = {}
    for i, entry in enumerate(entries):
        loc = (*base, i)
        if audio and entry.caption is not None:
            at.report((*loc, "caption"), "audio samples take no caption")
        for path in _resolve(at, entry.path, loc):
            facts = _load(at, path, loc, audio=audio)
            if facts is None:
                continue
            inline = entry.caption is not None and not audio
            known = found.get(path)
            if known is not None and (known.inline_caption or not inline):
                continue
            caption = entry.caption if inline else (None if audio else _caption(at, path, loc))
            found[path] = TrainingFile(_file(path, facts, at.root, caption), facts, loc, inline)
    return sorted(found.values(), key=lambda f: f.image.path)


def _caption(at: Located, path: Path, loc: Loc) -> str | None:
    try:
        return read_caption(path, at.root)
    except FileProblem as p:
        at.report(loc, p.message, p.hint)
        return None


def _single(at: Located, pattern: str, loc: Loc) -> TrainingFile | None:
    paths = _resolve(at, pattern, loc)
    if len(paths) > 1:
        at.report(loc, f"{pattern} matches {len(paths)} files; a pair side takes exactly one")
        return None
    if not paths:
        return None
    facts = _load(at, paths[0], loc, audio=False)
    if facts is None:
        return None
    # Pair images are described by the pair's instruction, not by per-image captions.
    return TrainingFile(_file(paths[0], facts, at.root, None), facts, loc, False)


def resolve_pairs(at: Located, spec: ModelSpec) -> tuple[list[DesiredPair], list[TrainingFile]]:
    pairs: list[DesiredPair] = []
    files: list[TrainingFile] = []
    for i, entry in enumerate(spec.training_image_pairs):
        loc = (*_SPEC, "trainingImagePairs", i)
        source = _single(at, entry.source, (*loc, "source"))
        target = _single(at, entry.target, (*loc, "target"))
        if source and target:
            pairs.append(DesiredPair(source.image, target.image, entry.instruction))
            files += [source, target]
    return pairs, files


_FIELD_HINTS = {
    "trainingImages": "image files or globs",
    "trainingImagePairs": "source/target/instruction pairs",
    "trainingSamples": "audio samples",
}


def _expected_field(info: TypeInfo) -> str:
    if info.audio:
        return "trainingSamples"
    return "trainingImagePairs" if info.pairs else "trainingImages"


def check_file_fields(at: Located, spec: ModelSpec, info: TypeInfo) -> None:
    """Each type trains on one kind of input: flag the others and a missing one."""
    expected = _expected_field(info)
    given = {
        "trainingImages": spec.training_images,
        "trainingImagePairs": spec.training_image_pairs,
        "trainingSamples": spec.training_samples,
    }
    for name, value in given.items():
        if value and name != expected:
            at.report(
                (*_SPEC, name),
                f"{spec.type} does not train on {_FIELD_HINTS[name]}",
                hint=f"declare its training data under {expected}",
            )
    if not given[expected]:
        at.report(
            _SPEC,
            f"{spec.type} needs {expected}: a training with no data fails",
            hint=f"add {expected} ({_FIELD_HINTS[expected]})",
        )


def check_type(at: Located, spec: ModelSpec) -> TypeInfo | None:
    info = MODEL_TYPES.get(spec.type)
    if info is None:
        hint = did_you_mean(spec.type, sorted(MODEL_TYPES))
        hint = hint or "run `trainops schema` to see every trainable type"
        at.report((*_SPEC, "type"), f"{spec.type!r} is not a trainable model type", hint)
    elif info.legacy:
        at.report(
            (*_SPEC, "type"),
            f"{spec.type} is a legacy type: Scenario's train page documents it, but scenario-sdk "
            "2.4 no longer lists it, and the API may refuse new models of it",
            hint="prefer flux.1-lora or a Musubi type (`trainops schema` lists them)",
            severity="warning",
        )
    return info


def _secret(at: Located, name: str, value: object) -> SecretRef | None:
    loc = (*_SPEC, "parameters", name)
    if isinstance(value, dict):
        try:
            return SecretRef(SecretRefSpec.model_validate(value).env)
        except ValueError:
            at.report(loc, "must be {env: NAME}", f"NAME must match {ENV_PATTERN}")
            return None
    env = "".join(c if c.isalnum() else "_" for c in name).upper()
    # Never echo the value: it is a secret that just got committed.
    at.report(
        loc,
        "literal secret in a manifest; reference an environment variable instead",
        hint=f"write `{name}: {{env: WANDB_KEY}}` and export WANDB_KEY where apply runs"
        if name == "wandbKey"
        else f"write `{name}: {{env: {env}}}` and export {env} where apply runs",
    )
    return None


def resolve_parameters(
    at: Located, model_type: str, raw: dict[str, object]
) -> dict[str, ParamValue]:
    """The parameters as values (secrets as references); every problem reported."""
    out: dict[str, ParamValue] = {}
    plain: dict[str, object] = {}
    for name, value in raw.items():
        spec = PARAMETERS.get(name)
        if spec is not None and spec.secret:
            ref = _secret(at, name, value)
            if ref is not None:
                out[name] = ref
        elif isinstance(value, dict) and "env" in value:
            at.report(
                (*_SPEC, "parameters", name),
                "only secret parameters (wandbKey) take {env: NAME}",
                hint="write the value itself",
            )
        else:
            plain[name] = value
    problems = check_parameters(model_type, plain)
    for name, message in problems:
        hint = did_you_mean(name, sorted(PARAMETERS)) if name not in PARAMETERS else None
        at.report((*_SPEC, "parameters", name), message, hint)
    bad = {name for name, _ in problems}  # keep lint quiet about values already reported
    out.update(
        {
            k: v
            for k, v in plain.items()
            if k not in bad and isinstance(v, str | int | float | bool | list)
        }
    )
    return out


MIN_DENOISED_SECONDS = 5.0


def check_sample_lengths(
    at: Located, params: dict[str, ParamValue], samples: list[TrainingFile]
) -> None:
    """With removeBackgroundNoise the API refuses samples under 5 s (known for WAV only)."""
    if params.get("removeBackgroundNoise") is not True:
        return
    for f in samples:
        seconds = f.facts.seconds
        if seconds is not None and seconds < MIN_DENOISED_SECONDS:
            at.report(
                f.loc,
                f"{f.image.path} is {seconds:.1f} s long: with removeBackgroundNoise every "
                f"sample must be at least {MIN_DENOISED_SECONDS:g} s",
                hint="use longer samples or set removeBackgroundNoise: false",
            )
