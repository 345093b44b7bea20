"""What differs between one manifest and its live model, as typed `Change`s and drift lines.

Pure helpers of `trainops.diff`; see its docstring for the rules that decide the action.
"""

from __future__ import annotations

from collections.abc import Mapping

from trainops.desired import (
    SECRET_PARAMETERS,
    DesiredImage,
    DesiredModel,
    canonical_value,
    is_secret,
)
from trainops.echo import differing
from trainops.live import LiveImage, LiveModel
from trainops.plan import Change, freeze
from trainops.tags import identity_tag


def is_busy(m: LiveModel) -> bool:
    """Training now (or being copied): nothing may start another training on it."""
    return m.status in ("training", "copying") or (m.job is not None and m.job.running)


def input_changes(d: DesiredModel, m: LiveModel) -> tuple[Change, ...]:
    return (
        *_type_change(d, m),
        *_param_changes(d, m),
        *_image_changes(d, m),
        *_pair_changes(d, m),
    )


def _type_change(d: DesiredModel, m: LiveModel) -> list[Change]:
    return [] if d.type == m.type else [Change("type", "change", "type", old=m.type, new=d.type)]


def _param_changes(d: DesiredModel, m: LiveModel) -> list[Change]:
    # One canonical form for both sides, the echo's omitted defaults filled in (`echo`); a key
    # at a time, so a live model with no `parameters` at all still shows each declared one.
    changed = differing(d.type, d.parameters, m.parameters, m.images_count)
    return [
        Change(
            "parameter",
            "add" if have is None else "change",
            k,
            old=freeze(have),
            new=freeze(want),
        )
        for k, (have, want) in sorted(changed.items())
    ]


def secret_changes(d: DesiredModel, m: LiveModel | None) -> tuple[Change, ...]:
    """Secrets are sent with every training; only their presence is ever compared."""
    declared = {k for k, v in d.parameters.items() if is_secret(k, v)}
    have = set() if m is None else {k for k in SECRET_PARAMETERS if m.params.get(k)}
    return (
        *(Change("parameter", "add", k, sensitive=True) for k in sorted(declared - have)),
        *(Change("parameter", "remove", k, sensitive=True) for k in sorted(have - declared)),
    )


def _image_changes(d: DesiredModel, m: LiveModel) -> list[Change]:
    files = sorted(d.training_files, key=lambda f: (f.name, f.path))
    want = {f.sha_prefix: f for f in files}
    if not m.complete:
        # A preview says nothing of the files it leaves out, but its captions are as good as
        # a full read's: compare those.
        previewed = sorted(m.preview, key=lambda i: (i.name, i.id))
        shown = {i.sha_prefix: i for i in previewed if i.sha_prefix}
        return _caption_changes(want, shown)
    have = {}
    extra: list[Change] = []
    for img in sorted(m.images, key=lambda i: (i.name, i.id)):
        if img.sha_prefix in want and img.sha_prefix not in have:
            have[img.sha_prefix] = img
        else:  # not declared, uploaded by hand, or the same content twice
            extra.append(Change("image", "remove", img.name, old=img.sha_prefix, ref=img.id))
    added = [f for sha, f in want.items() if sha not in have]
    return [*_replaced(added, extra, set(want)), *_caption_changes(want, have)]


def _replaced(added: list[DesiredImage], extra: list[Change], wanted: set[str]) -> list[Change]:
    """A file at the same name with new bytes is one `replace`: the new file's sha256 to upload
    (`ref`) and the old image's hash (`old`). Only an image trainops uploaded (it has a hash)
    whose content no file declares can be the old side: a foreign image or a duplicate stays
    a `remove` (drift, said so)."""
    rest, adds, replaces = list(extra), [], []
    for f in added:
        old = next((c for c in rest if c.subject == f.name and _stale(c, wanted)), None)
        if old is None:
            adds.append(Change("image", "add", f.name, new=f.path, ref=f.sha256))
        else:
            rest.remove(old)
            replaces.append(
                Change("image", "replace", f.name, old=old.old, new=f.path, ref=f.sha256)
            )
    return [*adds, *replaces, *rest]


def _stale(c: Change, wanted: set[str]) -> bool:
    return c.old is not None and str(c.old) not in wanted


def _caption_changes(
    want: Mapping[str, DesiredImage], have: Mapping[str, LiveImage]
) -> list[Change]:
    return [
        Change(
            "caption", "change", f.name, old=have[sha].description, new=f.caption, ref=have[sha].id
        )
        for sha, f in want.items()
        if sha in have and f.caption is not None and f.caption != have[sha].description
    ]


def _pair_changes(d: DesiredModel, m: LiveModel) -> list[Change]:
    if not m.complete or not (d.pairs or m.pairs):
        return []
    by_id = {i.id: i for i in m.images}

    def live_key(side: str | None) -> tuple[str | None, str]:
        img = by_id.get(side or "")
        return (img.sha_prefix, img.name) if img else (None, "?")

    want = {
        (p.source.sha_prefix, p.target.sha_prefix, p.instruction): (p.source.name, p.target.name)
        for p in d.pairs
    }
    have = {}
    for p in m.pairs:
        (src, src_name), (tgt, tgt_name) = live_key(p.source_id), live_key(p.target_id)
        have[(src, tgt, p.instruction or "")] = (src_name, tgt_name)
    return [
        *(
            Change("pair", "add", f"{want[k][0]} -> {want[k][1]}", new=k[2])
            for k in sorted(want.keys() - have.keys())
        ),
        *(
            Change("pair", "remove", f"{have[k][0]} -> {have[k][1]}", old=k[2])
            for k in sorted(have.keys() - want.keys(), key=str)
        ),
    ]


def meta_changes(d: DesiredModel, m: LiveModel, ws: str) -> tuple[Change, ...]:
    out: list[Change] = []
    if m.name != d.name:
        out.append(Change("name", "change", "name", old=m.name, new=d.name))
    if d.short_description is not None and d.short_description != m.short_description:
        out.append(
            Change(
                "description",
                "change",
                "shortDescription",
                old=m.short_description,
                new=d.short_description,
            )
        )
    missing = {*d.tags, identity_tag(ws, d.key)} - set(m.tags)
    out += [Change("tag", "add", t) for t in sorted(missing)]
    return tuple(out)


# --- drift and notes --------------------------------------------------------------------------


def is_foreign(c: Change) -> bool:
    return c.kind == "image" and c.op == "remove" and c.old is None


def drift_line(c: Change) -> str:
    if c.kind == "image" and c.op == "add":
        return f"image {c.subject} is missing on the live model"
    if c.kind == "image" and c.op == "replace":
        return f"image {c.subject} on the live model differs from the declared file"
    if is_foreign(c):
        return f"image {c.subject} was not uploaded by trainops"
    if c.kind == "image":
        return f"image {c.subject} is on the live model but not declared"
    if c.kind == "caption":
        return f"the caption of {c.subject} was changed outside trainops"
    if c.kind == "pair":
        return f"training pair {c.subject} was changed outside trainops"
    if c.kind == "type":
        return "the model type was changed outside trainops"
    return f"{c.kind} {c.subject} was changed outside trainops"


def image_notes(d: DesiredModel, m: LiveModel) -> tuple[str, ...]:
    if m.complete:
        return ()
    return (
        f"images were not read in full (the live model has {m.images_count}, "
        f"the manifest declares {len(d.training_files)}): compared by fingerprint only",
    )


def count_drift(d: DesiredModel, m: LiveModel) -> tuple[str, ...]:
    declared = len(d.training_files)
    if m.complete or m.images_count == declared:
        return ()
    return (
        f"the live model has {m.images_count} training files, the manifest declares {declared}",
    )


def create_changes(d: DesiredModel, ws: str) -> tuple[Change, ...]:
    """Everything a new model receives: parameters, files, pairs, tags."""
    params = [
        Change("parameter", "add", k, new=freeze(canonical_value(v)))
        for k, v in sorted(d.parameters.items())
        if not is_secret(k, v)
    ]
    images = [
        Change("image", "add", f.name, new=f.path, ref=f.sha256)
        for f in sorted(d.training_files, key=lambda f: (f.name, f.path))
    ]
    pairs = [
        Change("pair", "add", f"{p.source.name} -> {p.target.name}", new=p.instruction)
        for p in d.pairs
    ]
    meta = [Change("name", "add", "name", new=d.name)]
    if d.short_description is not None:
        meta.append(Change("description", "add", "shortDescription", new=d.short_description))
    tags = [Change("tag", "add", t) for t in sorted({*d.tags, identity_tag(ws, d.key)})]
    return (*params, *secret_changes(d, None), *images, *pairs, *meta, *tags)
