"""Desired models, workspaces and diagnostics as plain JSON values and back, for the load cache.

Lists rather than objects: a warm load decodes every image of the workspace, and a positional
list parses and unpacks faster than a keyed one. Decoding trusts nothing:
any shape it does not expect raises `ValueError`, and the caller treats that as a cache miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainops.desired import (
    DesiredImage,
    DesiredModel,
    DesiredPair,
    ParamValue,
    SecretRef,
    Source,
    Workspace,
)
from trainops.errors import Diagnostic

__all__ = [
    "decode_diagnostic",
    "decode_model",
    "decode_workspace",
    "encode_diagnostic",
    "encode_model",
    "encode_workspace",
]

Json = Any  # what json.loads returns; every decoder checks the shape it needs


def _image(i: DesiredImage) -> list[object]:
    return [i.path, i.sha256, i.size, i.caption]  # the name is the path's last part


def _images(images: tuple[DesiredImage, ...]) -> list[object]:
    return [x for i in images for x in _image(i)]  # flat: faster to parse than nested


def _param(value: ParamValue) -> object:
    # Plain parameter values are never mappings (resolve_parameters drops them), so a mapping
    # can only be a secret reference.
    return {"env": value.env} if isinstance(value, SecretRef) else value


def encode_model(m: DesiredModel) -> dict[str, object]:
    return {
        "key": m.key,
        "type": m.type,
        "name": m.name,
        "short": m.short_description,
        "tags": list(m.tags),
        "params": [[k, _param(v)] for k, v in m.parameters.items()],  # order kept
        "images": _images(m.images),
        "pairs": [[_image(p.source), _image(p.target), p.instruction] for p in m.pairs],
        "modelId": m.model_id,
        "fingerprint": m.fingerprint,
        "source": [m.source.file, m.source.line],
        "previous": list(m.previous_names),
    }


def encode_diagnostic(d: Diagnostic) -> list[object]:
    return [d.file, d.line, d.field, d.message, d.hint, d.severity]


def encode_workspace(ws: Workspace) -> list[object]:
    return [
        ws.name,
        str(ws.root),
        ws.project_id,
        ws.parallelism,
        ws.budget,
        ws.pricing,
        ws.merge_cost_tolerance,
        [[old, new] for old, new in ws.moved],
    ]


def _expect(value: Json, kind: type | tuple[type, ...]) -> Json:
    if not isinstance(value, kind):
        raise ValueError(f"expected {kind}, got {type(value).__name__}")
    return value


def _opt_str(value: Json) -> str | None:
    return None if value is None else str(_expect(value, str))


def _decode_image(raw: Json) -> DesiredImage:
    path, sha, size, caption = _expect(raw, list)
    return _new_image(path, sha, size, caption)


def _new_image(path: Json, sha: Json, size: Json, caption: Json) -> DesiredImage:
    # One check for all fields: this runs for every training file of a warm load.
    if (
        type(path) is not str
        or type(sha) is not str
        or type(size) is not int
        or (caption is not None and type(caption) is not str)
    ):
        raise ValueError("image: unexpected field types")
    return DesiredImage(path, path.rpartition("/")[2], sha, size, caption)


def _decode_images(raw: Json) -> tuple[DesiredImage, ...]:
    flat = _expect(raw, list)
    if len(flat) % 4:
        raise ValueError("images: not groups of 4")
    it = iter(flat)
    return tuple(_new_image(*group) for group in zip(it, it, it, it, strict=False))


def _decode_param(raw: Json) -> ParamValue:
    if isinstance(raw, dict):
        return SecretRef(_expect(raw["env"], str))
    if isinstance(raw, list):
        return [_expect(v, str) for v in raw]
    return _expect(raw, (str, int, float, bool))  # type: ignore[no-any-return]


def decode_model(raw: Json) -> DesiredModel:
    _expect(raw, dict)
    params: dict[str, ParamValue] = {}
    for name, value in _expect(raw["params"], list):
        params[_expect(name, str)] = _decode_param(value)
    file, line = _expect(raw["source"], list)
    return DesiredModel(
        key=_expect(raw["key"], str),
        type=_expect(raw["type"], str),
        name=_expect(raw["name"], str),
        short_description=_opt_str(raw["short"]),
        tags=tuple(_expect(t, str) for t in _expect(raw["tags"], list)),
        parameters=params,
        images=_decode_images(raw["images"]),
        pairs=tuple(
            DesiredPair(_decode_image(s), _decode_image(t), _expect(instruction, str))
            for s, t, instruction in _expect(raw["pairs"], list)
        ),
        model_id=_opt_str(raw["modelId"]),
        fingerprint=_expect(raw["fingerprint"], str),
        source=Source(_expect(file, str), _expect(line, int)),
        previous_names=tuple(_expect(k, str) for k in _expect(raw["previous"], list)),
    )


def decode_diagnostic(raw: Json) -> Diagnostic:
    file, line, field, message, hint, severity = _expect(raw, list)
    if severity not in ("error", "warning", "note"):
        raise ValueError(f"unknown severity {severity!r}")
    return Diagnostic(
        _expect(file, str),
        _expect(line, int),
        _expect(field, str),
        _expect(message, str),
        _opt_str(hint),
        severity,
    )


def decode_workspace(raw: Json) -> Workspace:
    name, root, project_id, parallelism, budget, pricing, tolerance, moved = _expect(raw, list)
    if pricing not in ("true", "api"):
        raise ValueError(f"unknown pricing {pricing!r}")
    return Workspace(
        name=_expect(name, str),
        root=Path(_expect(root, str)),
        project_id=_opt_str(project_id),
        parallelism=_expect(parallelism, int),
        budget=None if budget is None else _expect(budget, (int, float)),
        pricing="true" if pricing == "true" else "api",
        merge_cost_tolerance=float(_expect(tolerance, (int, float))),
        moved=tuple((_expect(old, str), _expect(new, str)) for old, new in _expect(moved, list)),
    )
