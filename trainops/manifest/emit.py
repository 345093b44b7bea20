"""Adoption (`trainops import`) as pure functions: a live model -> its manifest text and the file
names its training files get. The command downloads and writes; nothing here does I/O.

The manifest adopts the model by `spec.modelId`, declares the files by folder glob (so adding an
image later is just dropping it in), and writes the stored parameters that trainops accepts for
the type. Secrets are never written: a stored `wandbKey` becomes a commented `{env: ...}` hint.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath

import yaml

from trainops.desired import SECRET_PARAMETERS
from trainops.live import LiveImage, LiveModel
from trainops.manifest.parameters import MODEL_TYPES, PARAMETERS, TypeInfo, check_parameters
from trainops.manifest.schema import API_VERSION, KEY_PATTERN

# The extension a file of each sniffed format gets (`trainops.manifest.media.sniff` kinds).
EXTENSIONS: Mapping[str, tuple[str, ...]] = {
    "png": (".png",),
    "jpeg": (".jpg", ".jpeg"),
    "webp": (".webp",),
    "wav": (".wav",),
    "mp3": (".mp3",),
    "flac": (".flac",),
    "ogg": (".ogg",),
    "m4a": (".m4a",),
}
_KNOWN_SUFFIXES = frozenset(s for suffixes in EXTENSIONS.values() for s in suffixes) | {".txt"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_SECRET_ENV = {"wandbKey": "WANDB_KEY"}


@dataclass(frozen=True)
class ImportedFile:
    image_id: str
    name: str  # file name inside the files folder
    caption: str | None  # written to `<stem>.txt` beside the file


@dataclass(frozen=True)
class ImportedPair:
    source: str  # file names inside the files folder
    target: str
    instruction: str


def folder_for(info: TypeInfo) -> str:
    return "samples" if info.audio else ("pairs" if info.pairs else "images")


def default_key(model: LiveModel) -> str:
    """The key trainops recorded on the model, else one made from its name, else its id."""
    if model.recorded.key and re.fullmatch(KEY_PATTERN, model.recorded.key):
        return model.recorded.key
    for text in (model.name or "", model.id):
        slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
        if slug:
            return slug
    return "imported-model"


def file_name(image: LiveImage, kind: str | None) -> str:
    """A safe file name for a downloaded file: the API name (trainops's content-hash prefix is
    already stripped) with the extension its content calls for."""
    name = _UNSAFE.sub("-", PurePosixPath(image.name.replace("\\", "/")).name).strip(" .")
    path = PurePosixPath(name or image.id)
    wanted = EXTENSIONS.get(kind or "")
    if wanted and path.suffix.lower() not in wanted:
        # A known but wrong extension is replaced; anything else (a dotted title) is kept.
        stem = path.stem if path.suffix.lower() in _KNOWN_SUFFIXES else path.name
        path = PurePosixPath(f"{stem or image.id}{wanted[0]}")
    return path.name


def unique_names(names: Sequence[str]) -> list[str]:
    """Distinct names, compared by stem without case: a caption file is `<stem>.txt`, and a
    case-insensitive file system would merge `A.png` and `a.png`."""
    taken: set[str] = set()
    out = []
    for name in names:
        path = PurePosixPath(name)
        candidate, n = name, 1
        while PurePosixPath(candidate).stem.lower() in taken:
            n += 1
            candidate = f"{path.stem}-{n}{path.suffix}"
        taken.add(PurePosixPath(candidate).stem.lower())
        out.append(candidate)
    return out


def plan_files(
    images: Sequence[LiveImage], kinds: Mapping[str, str | None], *, captions: bool
) -> list[ImportedFile]:
    """The file each image is written to (in API order), with its caption when it has one."""
    names = unique_names([file_name(i, kinds.get(i.id)) for i in images])
    return [
        ImportedFile(i.id, name, (i.description.strip() or None) if captions else None)
        for i, name in zip(images, names, strict=True)
    ]


def importable_parameters(
    model_type: str, stored: Mapping[str, object]
) -> tuple[dict[str, object], list[str]]:
    """(parameters trainops accepts for the type, `name: why` for each one left out).

    Secrets are neither: they are only ever hinted at (see `manifest_text`)."""
    params = {
        k: _typed(k, v) for k, v in stored.items() if v is not None and k not in SECRET_PARAMETERS
    }
    dropped: list[str] = []
    # Dropping one may resolve a cross-field problem of another: check again until clean.
    while problems := [(n, why) for n, why in check_parameters(model_type, params) if n in params]:
        for name, why in problems:
            params.pop(name, None)
            dropped.append(f"{name}: {why}")
    return dict(sorted(params.items())), dropped


def _typed(name: str, value: object) -> object:
    """JSON numbers come back as floats through the SDK: `rank: 16.0` would read as a float."""
    spec = PARAMETERS.get(name)
    if spec and spec.whole and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def secret_hints(stored: Mapping[str, object]) -> list[str]:
    return sorted(k for k in SECRET_PARAMETERS if stored.get(k))


# --- YAML text --------------------------------------------------------------------------------


def scalar(value: object) -> str:
    """One YAML flow value on one line (a caption or prompt may hold newlines: JSON-quote it)."""
    if isinstance(value, float) and math.isfinite(value):
        text = format(Decimal(repr(value)), "f")  # 0.00005, not 5e-05
        return text if "." in text else f"{text}.0"
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 20)
    text = dumped.removesuffix("\n").removesuffix("\n...").removesuffix("...").rstrip("\n")
    if "\n" in text:
        return json.dumps(value, ensure_ascii=False)
    return text


@dataclass(frozen=True)
class ManifestInput:
    model: LiveModel
    key: str
    folder: str  # posix, relative to the manifest's directory
    files: Sequence[ImportedFile]
    pairs: Sequence[ImportedPair] = ()
    skipped_pairs: int = 0  # pairs missing a side or an instruction


def manifest_text(m: ManifestInput) -> str:
    model = m.model
    info = MODEL_TYPES[model.type]
    lines = [
        f"# Imported from Scenario model {model.id} by `trainops import`.",
        "# spec.modelId adopts it: plan and apply update this model instead of creating one.",
        f"apiVersion: {API_VERSION}",
        "kind: Model",
        "metadata:",
        f"  name: {m.key}",
        "spec:",
        f"  modelId: {scalar(model.id)}",
        f"  type: {model.type}",
    ]
    if model.name is not None:
        lines.append(f"  name: {scalar(model.name)}")
    if model.short_description is not None:
        lines.append(f"  shortDescription: {scalar(model.short_description)}")
    if model.user_tags:
        lines.append(f"  tags: {scalar(list(model.user_tags))}")
    lines += _data_lines(m, info)
    lines += _parameter_lines(model)
    return "\n".join(lines) + "\n"


def _data_lines(m: ManifestInput, info: TypeInfo) -> list[str]:
    if info.pairs:
        out = ["  trainingImagePairs:"]
        for p in m.pairs:
            source, target = f"{m.folder}/{p.source}", f"{m.folder}/{p.target}"
            out.append(
                f"    - {{source: {scalar(source)}, target: {scalar(target)}, "
                f"instruction: {scalar(p.instruction)}}}"
            )
        if m.skipped_pairs:
            out.append(f"    # {m.skipped_pairs} live pair(s) lacked a side or an instruction")
        return out
    glob = scalar(f"{m.folder}/*")
    if info.audio:
        return ["  trainingSamples:", f"    - {glob}"]
    note = ""
    if any(f.caption for f in m.files):
        note = f"  # captions come from {m.folder}/<stem>.txt"
    return ["  trainingImages:", f"    - {glob}{note}"]


def _parameter_lines(model: LiveModel) -> list[str]:
    params, dropped = importable_parameters(model.type, model.params)
    secrets = secret_hints(model.params)
    if not params and not secrets and not dropped:
        return []
    out = ["  parameters:" + ("" if params else " {}")]
    out += [f"    {k}: {scalar(v)}" for k, v in params.items()]
    for name in dropped:
        out.append(f"    # not imported, {_comment(name)}")
    for name in secrets:
        env = _SECRET_ENV.get(name, re.sub(r"[^A-Z0-9]+", "_", name.upper()))
        out += [
            f"    # The model stores a {name}; secrets are never written, only referenced.",
            f"    # Uncomment and export {env} where apply runs:",
            f"    # {name}: {{env: {env}}}",
        ]
    return out


def _comment(text: str) -> str:
    return " ".join(text.split())
