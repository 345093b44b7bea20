"""The tag protocol: what trainops records on a live model, since it keeps no state file.

 What it needs to remember lives on the model itself:
- identity:     tag `trainops:<workspace>/<key>`           (set at create or adoption; a model
                may carry other workspaces' too, each finds its own)
- trained with: tag `trainops-fp:<fingerprint[:32]>`        (set after a training was triggered)
- git commit:   tag `trainops-commit:<sha[:12]>`            (the manifests' commit at trigger)
- in flight:    tag `trainops-pending:<fingerprint, base32>@<unix seconds>/<previous job>`
                (set just before a trigger; lets a rerun after a crash tell "triggered, not
                recorded" from "never triggered": only a job other than the previous one can be
                the pending trigger's; the previous job is `none` when the model had none,
                `unknown` when it did not name it, else a hash of its id: ids mix cases)
- price probe:  tag `trainops-probe:<workspace>` on an empty, never-trained model of one type,
                created by `plan` to price models that do not exist yet (a dry run needs a model
                id); reused by every later plan, never trained, never an orphan; used only once
                tagged (one left untagged is claimed first, see `trainops.leaks`)
- image content: each uploaded training image is named `<sha256[:16]>-<file name>`, because the
                API stores no content hash and re-downloading every image to hash it is slow.

Tags are trainops's memory, and nothing documents that the API stores them verbatim (a tag
namespace shared across the project may well be normalised). So every tag written matches
`TAG_PATTERN`: lower case, a small character set, at most 64 characters. A workspace name that
does not fit is written as a slug (`workspace_slug`), a key too long for the rest of the tag is
shortened with a hash of it (`identity_tag`). Tags of the older formats (a workspace verbatim, a
raw job id, a hex fingerprint in the pending tag) are still read.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from trainops.errors import TagWriteError

FP_LEN = 32
IDENTITY_PREFIX = "trainops:"
FP_PREFIX = "trainops-fp:"
COMMIT_PREFIX = "trainops-commit:"
PENDING_PREFIX = "trainops-pending:"
PROBE_PREFIX = "trainops-probe:"
# Every tag trainops writes (records, probes, leak claims, doctor's scratch model) starts so;
# a manifest may declare none of them.
RESERVED_PREFIXES = ("trainops:", "trainops-")
SHA_PREFIX_LEN = 16  # of an uploaded image's sha256, in its name
_IMAGE_NAME = re.compile(rf"^(?P<sha>[0-9a-f]{{{SHA_PREFIX_LEN}}})-(?P<name>.+)$")

NO_JOB = "none"
# The model had trained but did not name its job (`jobId` is optional): a pending tag then
# records no previous job, and a rerun falls back to time to tell the pending trigger's job.
UNKNOWN_JOB = "unknown"

# What survives a plausible normalisation of the API's shared tag namespace.
TAG_MAX = 64
TAG_PATTERN = re.compile(rf"^[a-z0-9:._@/-]{{1,{TAG_MAX}}}$")
_SLUG = re.compile(r"^[a-z0-9._-]+$")
_KEY = re.compile(r"^[a-z0-9-]+$")  # a manifest key, as a tag carries it whole: never a "."
_SLUG_MAX = 32
_HASH_LEN = 8
_B32_FP_LEN = 26  # FP_LEN hex digits (16 bytes) in unpadded base32


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LEN]


def workspace_slug(workspace: str) -> str:
    """The workspace as its tags name it: itself when it is short and lower case already (the
    common case, and the only one older versions wrote verbatim that a normalising API keeps),
    else a readable lower-case stem and a hash that keeps two such names apart."""
    if _SLUG.match(workspace) and len(workspace) <= _SLUG_MAX:
        return workspace
    stem = re.sub(r"[^a-z0-9._-]+", "-", workspace.lower()).strip("-")[: _SLUG_MAX - _HASH_LEN - 1]
    return f"{stem}-{_hash(workspace)}" if stem else _hash(workspace)


def _workspace_names(workspace: str) -> frozenset[str]:
    # Its slug, and for older tags its name verbatim, or lowercased by the API.
    return frozenset({workspace_slug(workspace), workspace, workspace.lower()})


def _key_part(head: str, key: str) -> str:
    """The key as a tag starting with `head` carries it: whole when it fits, else shortened and
    a hash of it after a "." (which no key holds), resolved back by `Recorded.keys`."""
    room = TAG_MAX - len(head)
    if _KEY.match(key) and len(key) <= room:
        return key
    stem = re.sub(r"[^a-z0-9-]+", "-", key.lower())[: room - _HASH_LEN - 1]
    return f"{stem}.{_hash(key)}"


def identity_tag(workspace: str, key: str) -> str:
    head = f"{IDENTITY_PREFIX}{workspace_slug(workspace)}/"
    return head + _key_part(head, key)


def identity_tags_of(tags: Sequence[str], workspace: str, key: str) -> list[str]:
    """The tags among `tags` that name `key` in `workspace`, in any format trainops wrote
    (a rename removes them all: `trainops.apply`)."""
    names = _workspace_names(workspace)
    out = []
    for tag in tags:
        if not tag.startswith(IDENTITY_PREFIX):
            continue
        ws, _, part = tag[len(IDENTITY_PREFIX) :].rpartition("/")
        if ws in names and part in (key, _key_part(f"{IDENTITY_PREFIX}{ws}/", key)):
            out.append(tag)
    return out


def fingerprint_tag(fingerprint: str) -> str:
    return f"{FP_PREFIX}{fingerprint[:FP_LEN].lower()}"


def commit_tag(sha: str) -> str:
    return f"{COMMIT_PREFIX}{re.sub(r'[^a-z0-9]', '', sha.lower())[:12]}"


def job_ref(job_id: str) -> str:
    """A job id as a pending tag records it: ids mix cases, and a hash is all the tag needs
    (it only ever tells the job from another one)."""
    return _hash(job_id)


def pending_tag(fingerprint: str, at: int, previous_job: str | None = None) -> str:
    """`previous_job`: the model's job before the trigger, None for none, or `UNKNOWN_JOB`."""
    fp = base64.b32encode(bytes.fromhex(fingerprint[:FP_LEN])).decode("ascii")
    after = UNKNOWN_JOB if previous_job == UNKNOWN_JOB else NO_JOB
    if previous_job and previous_job != UNKNOWN_JOB:
        after = job_ref(previous_job)
    return f"{PENDING_PREFIX}{fp.rstrip('=').lower()}@{at}/{after}"


def _pending_fingerprint(written: str) -> str:
    """The hex fingerprint of a pending tag: base32 in the current format, hex in older ones."""
    if len(written) != _B32_FP_LEN:
        return written
    padded = written.upper() + "=" * (-len(written) % 8)
    try:
        return base64.b32decode(padded).hex()
    except (binascii.Error, ValueError):
        return written


def probe_tag(workspace: str) -> str:
    return f"{PROBE_PREFIX}{workspace_slug(workspace)}"


def probe_name(model_type: str) -> str:
    return f"trainops price probe ({model_type})"


class Written(Protocol):
    """What the API says a tag update stored (`trainops.live.TagsReply`)."""

    @property
    def added(self) -> tuple[str, ...]: ...

    @property
    def deleted(self) -> tuple[str, ...]: ...


def check_written(reply: Written, add: Sequence[str], delete: Sequence[str]) -> None:
    """Raise `TagWriteError` when the API stored or removed a tag other than those asked for
    (normalised, cut short, ...): a tag trainops cannot find again is a lost record."""
    asked = set(add)
    stored = [t for t in reply.added if t not in asked]
    removed = [t for t in reply.deleted if t not in set(delete)]
    if not stored and not removed:
        return
    said = []
    if stored:
        said.append(f"stored {_quoted(stored)} when asked to add {_quoted(sorted(asked))}")
    if removed:
        said.append(f"removed {_quoted(removed)}, never asked to")
    user = [t for t in add if not is_trainops_tag(t) and not TAG_PATTERN.match(t)]
    hint = (
        f"write the manifest's tags as the API keeps them (lower case, [a-z0-9:._@/-], at most "
        f"{TAG_MAX} characters): {_quoted(user)}"
        if user
        else "trainops cannot keep its records on this account: run `trainops doctor` and "
        "report what it shows"
    )
    raise TagWriteError("the API did not keep the tags as written: " + "; ".join(said), hint=hint)


def _quoted(tags: Collection[str]) -> str:
    return ", ".join(repr(t) for t in tags) or "none"


def is_trainops_tag(tag: str) -> bool:
    return tag.startswith((IDENTITY_PREFIX, FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX, PROBE_PREFIX))


def sha_prefix(sha256: str) -> str:
    """The part of a content hash an uploaded image's name carries (`LiveImage.sha_prefix`)."""
    return sha256[:SHA_PREFIX_LEN]


def image_name(sha256: str, file_name: str) -> str:
    return f"{sha_prefix(sha256)}-{file_name}"


def parse_image_name(name: str) -> tuple[str | None, str]:
    """(sha256 prefix or None when not uploaded by trainops, original file name)."""
    m = _IMAGE_NAME.match(name)
    return (m["sha"], m["name"]) if m else (None, name)


Identity = tuple[str, str]  # (workspace, key) of one identity tag


@dataclass(frozen=True)
class Recorded:
    """What trainops wrote on the model, parsed from its tags.

    A model may carry identity tags of several workspaces (another workspace's, or one added by
    hand): each workspace looks for its own (`keys`, `of`), and another's never hides it. A
    record a model must carry once (fingerprint, pending trigger) found twice is no record:
    its value is None and the tags are listed in `conflicts`, for the reader to refuse.
    """

    workspace: str | None  # of the one identity tag: None when none or several (`of`)
    key: str | None
    fingerprint: str | None  # FP_LEN hex chars
    commit: str | None  # None when two differ too: it is shown, never acted on
    pending_fingerprint: str | None
    pending_at: int | None
    # The model's job before the pending trigger: NO_JOB for none, None when not recorded.
    pending_after_job: str | None = None
    identities: tuple[Identity, ...] = ()  # every identity tag's, sorted
    conflicts: tuple[tuple[str, ...], ...] = ()  # each: the tags recording one thing, sorted

    def keys(self, workspace: str, known: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The keys this model's identity tags give it in `workspace` (one, or an ambiguity).
        A key too long to be written whole is resolved against the `known` keys (the
        manifests'); one of no manifest stays as written."""
        names = _workspace_names(workspace)
        parts = (k for w, k in self.identities if w in names)
        shortened = _shortened(workspace, known)
        return tuple(dict.fromkeys(shortened.get(k, k) for k in parts))

    def of(self, workspace: str, known: frozenset[str] = frozenset()) -> Recorded:
        """This record as `workspace` sees it: its identity is the workspace's own tag, or
        none when the model carries none of them or several."""
        keys = self.keys(workspace, known)
        key = keys[0] if len(keys) == 1 else None
        return dataclasses.replace(self, workspace=workspace if key else None, key=key)

    def pending_job_is_new(self, job_id: str) -> bool | None:
        """Whether `job_id` may be the pending trigger's: any job but the one the model had
        before it. None when the pending tag does not record that job (the oldest format)."""
        after = self.pending_after_job
        if after is None:
            return None
        return after == NO_JOB or after not in (job_id, job_ref(job_id))


@functools.lru_cache(maxsize=64)
def _shortened(workspace: str, known: frozenset[str]) -> dict[str, str]:
    """The known keys that identity tags carry shortened, by their shortened form."""
    head = f"{IDENTITY_PREFIX}{workspace_slug(workspace)}/"
    out: dict[str, str] = {}
    for key in known:
        if (part := _key_part(head, key)) != key:
            out[part] = key
    return out


def parse_recorded(tags: tuple[str, ...] | list[str]) -> Recorded:
    # A plan parses each listed model's tags several times (matching, staleness, reading).
    return _parse_recorded(tuple(tags))


@functools.lru_cache(maxsize=8192)
def _parse_recorded(tags: tuple[str, ...]) -> Recorded:
    found: dict[str, set[str]] = {p: set() for p in (FP_PREFIX, COMMIT_PREFIX, PENDING_PREFIX)}
    identities: set[Identity] = set()
    for tag in tags:
        if tag.startswith(IDENTITY_PREFIX):
            workspace, _, key = tag[len(IDENTITY_PREFIX) :].rpartition("/")
            if workspace and key:
                identities.add((workspace, key))
        for prefix, values in found.items():
            if tag.startswith(prefix):
                values.add(tag[len(prefix) :])
    one = {p: next(iter(v)) if len(v) == 1 else None for p, v in found.items()}
    conflicts = tuple(
        tuple(sorted(p + v for v in found[p]))
        for p in (FP_PREFIX, PENDING_PREFIX)
        if len(found[p]) > 1
    )
    pending_fp = pending_at = after_job = None
    if pending := one[PENDING_PREFIX]:
        fp, _, rest = pending.partition("@")
        at, _, after_job = rest.partition("/")
        pending_fp, pending_at = _pending_fingerprint(fp), int(at) if at.isdigit() else None
    only = next(iter(identities)) if len(identities) == 1 else (None, None)
    return Recorded(
        workspace=only[0],
        key=only[1],
        fingerprint=one[FP_PREFIX],
        commit=one[COMMIT_PREFIX],
        pending_fingerprint=pending_fp,
        pending_at=pending_at,
        pending_after_job=None if after_job == UNKNOWN_JOB else after_job or None,
        identities=tuple(sorted(identities)),
        conflicts=conflicts,
    )
