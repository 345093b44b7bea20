"""GET /models and GET /jobs: filters with the real API's limits, cursor pagination.

Tokens are opaque to clients: the (sort key, id) of the last item served, so a page boundary
stays put when other clients insert concurrently.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request

from trainops.sandbox import payloads
from trainops.sandbox.context import Sandbox, base_url
from trainops.sandbox.deviations import IMAGE_PREVIEW
from trainops.sandbox.lifecycle import JobState
from trainops.sandbox.replies import bad_request, query_int
from trainops.sandbox.store import JobRow, Tx

T = TypeVar("T")
MODEL_STATUSES = frozenset({"new", "training", "trained", "failed", "deleted"})
JOB_STATUSES = frozenset(
    {
        "pending",
        "queued",
        "warming-up",
        "in-progress",
        "finalizing",
        "success",
        "failure",
        "canceled",
    }
)
_TRAINING_STATUSES = MODEL_STATUSES - {"deleted"}
_DELETED_WINDOW_S = 30 * 24 * 3600


def _encode(key: tuple[float, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode(token: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key, ident = json.loads(raw)
        return float(key), str(ident)
    except (ValueError, TypeError, RecursionError):
        raise bad_request("paginationToken is invalid: pass back a nextPaginationToken") from None


def paginate(
    items: Sequence[T],
    key: Callable[[T], tuple[float, str]],
    request: Request,
    size: int,
    desc: bool,
    *,
    repeat: bool = False,
) -> tuple[list[T], str | None]:
    """A page and the token to the next (`repeat`: the repeat-token deviation)."""
    ordered = sorted(items, key=key, reverse=desc)
    token = request.query_params.get("paginationToken")
    if token:
        after = _decode(token)
        ordered = [i for i in ordered if (key(i) < after if desc else key(i) > after)]
    page = ordered[:size]
    more = len(ordered) > size
    if repeat:
        return page, token or (_encode(key(page[-1])) if page else None)
    return page, (_encode(key(page[-1])) if more and page else None)


def _iso_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise bad_request(f"{name} must be an ISO 8601 date, got {raw!r}") from None


def _direction(request: Request) -> bool:
    value = request.query_params.get("sortDirection", "desc")
    if value not in ("asc", "desc"):
        raise bad_request(f"sortDirection must be asc or desc, got {value!r}")
    return value == "desc"


@dataclass(frozen=True)
class ModelQuery:
    size: int
    private: bool
    sort_by: str
    desc: bool
    status: str | None
    created_after: float | None
    created_before: float | None

    def created_in_range(self, t: float) -> bool:
        after, before = self.created_after, self.created_before
        return (after is None or t > after) and (before is None or t < before)


def _model_query(request: Request) -> ModelQuery:
    q = request.query_params
    size = query_int(request, "pageSize", 100, 1, 500)
    privacy = q.get("privacy", "private")
    if privacy not in ("private", "public", "unlisted"):
        raise bad_request(f"privacy must be private, public or unlisted, got {privacy!r}")
    sort_by = q.get("sortBy", "createdAt")
    if sort_by not in ("createdAt", "updatedAt", "score"):
        raise bad_request(f"sortBy must be createdAt, updatedAt or score, got {sort_by!r}")
    after, before = _iso_param(request, "createdAfter"), _iso_param(request, "createdBefore")
    if (after is not None or before is not None) and sort_by != "createdAt":
        raise bad_request("createdAfter and createdBefore require sortBy=createdAt")
    desc = _direction(request)
    return ModelQuery(size, privacy == "private", sort_by, desc, q.get("status"), after, before)


def list_models(sb: Sandbox, request: Request) -> dict[str, Any]:
    query = _model_query(request)
    if not query.private:
        # The sandbox hosts no public models; tags/type/types only ever filter those.
        return {"models": []}
    now, url = sb.now(), base_url(request)
    by_update = query.sort_by == "updatedAt"
    # Only a training-status filter or the update order needs every model's training state:
    # the default listing filters on deletion and creation alone, so it reads only its page's.
    every_state = by_update or query.status in _TRAINING_STATUSES
    with sb.store.read() as tx:
        keys = tx.model_keys()
        latest = _latest(sb, tx, [k.job_id for k in keys] if every_state else [], now)
        entries = []
        for k in keys:
            st = latest.get(k.job_id or "")
            status = payloads.model_status(st[1] if st else None)
            wanted = query.status
            if wanted is None and sb.deviations.list_deleted:
                wanted = "deleted" if k.deleted_at is not None else None
            if not _status_matches(k.deleted_at, status, wanted, now):
                continue
            if query.created_in_range(k.created_at):
                j, state = st if st else (None, None)
                stamp = (
                    payloads.model_updated_at(k.updated_at, j, state) if by_update else k.created_at
                )
                entries.append((stamp, k))
        page, token = paginate(
            entries,
            lambda e: (e[0], e[1].id),
            request,
            query.size,
            query.desc,
            repeat=sb.deviations.repeat_token,
        )
        if not every_state:
            latest = _latest(sb, tx, [k.job_id for _, k in page], now)
        ids = [k.id for _, k in page]
        rows, counts = tx.models(ids), tx.image_counts(ids)
        previews = tx.image_previews(ids, IMAGE_PREVIEW)
        models = [
            sb.deviations.model(
                payloads.model(
                    rows[i],
                    previews[i],
                    counts[i],
                    latest.get(rows[i].job_id or ""),
                    now,
                    url,
                    sample_key=sb.api_secret,
                )
            )
            for i in ids
        ]
    out: dict[str, Any] = {"models": models}
    if token:
        out["nextPaginationToken"] = token
    return out


def _latest(
    sb: Sandbox, tx: Tx, job_ids: list[str | None], now: float
) -> dict[str, tuple[JobRow, JobState]]:
    """The jobs of these ids (a model's latest training) with their states at `now`."""
    return {j.id: (j, sb.state(j, now)) for j in tx.jobs(i for i in job_ids if i)}


def _status_matches(deleted_at: float | None, status: str, wanted: str | None, now: float) -> bool:
    if wanted is None:
        return deleted_at is None
    if wanted not in MODEL_STATUSES:
        return True  # like the real API: an unknown status filter is ignored, deleted included
    if wanted == "deleted":
        return deleted_at is not None and now - deleted_at <= _DELETED_WINDOW_S
    return deleted_at is None and status == wanted


def list_jobs(sb: Sandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    size = query_int(request, "pageSize", 50, 1, 100)
    status = q.get("status")
    if status is not None and status not in JOB_STATUSES:
        raise bad_request(
            f"status must be one of {', '.join(sorted(JOB_STATUSES))}, got {status!r}"
        )
    types = {t for t in (q.get("types") or q.get("type") or "").split(",") if t}
    now = sb.now()
    with sb.store.read() as tx:
        found = [(j, sb.state(j, now)) for j in tx.jobs()]
    found = [(j, st) for j, st in found if (not types or j.job_type in types)]
    found = [(j, st) for j, st in found if status is None or st.status == status]
    # The API orders a job listing filtered by status or type by update date, others by creation
    # date (the SDK's `jobs.list` documents `updatedAfter` / `createdAfter` to match).
    by_update = bool(status or types)
    page, token = paginate(
        found,
        lambda e: (e[1].changed_at if by_update else e[0].created_at, e[0].id),
        request,
        size,
        _direction(request),
        repeat=sb.deviations.repeat_token,
    )
    out: dict[str, Any] = {"jobs": [payloads.job(j, st) for j, st in page]}
    if token:
        out["nextPaginationToken"] = token
    return out
