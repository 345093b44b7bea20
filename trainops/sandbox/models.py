"""Routes for models: create, list (paginated, with the real API's filter limits), read,
read many (get-bulk), update, tags and delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox import listing, payloads, rules
from trainops.sandbox.context import Sandbox, base_url, new_id
from trainops.sandbox.enums import ACCEPTED_MODEL_TYPES
from trainops.sandbox.replies import bad_request, json_object, opt_str, reply, str_list
from trainops.sandbox.store import ModelRow, Tx

_EXTRA_FIELDS = (
    "classSlug",
    "concepts",
    "collectionIds",
    "promptEmbedding",
    "negativePromptEmbedding",
)


def _model_type(body: dict[str, Any], default: str | None) -> str:
    value = body.get("type", default)
    if not isinstance(value, str) or value not in ACCEPTED_MODEL_TYPES:
        raise bad_request(f"type must be one of the model types, got {value!r}")
    return value


def parameters_problems(model_type: str, params: object) -> dict[str, Any]:
    """Validate a `parameters` object; returns it, or raises the API's 400."""
    if not isinstance(params, dict):
        raise bad_request("parameters must be an object")
    if model_type not in rules.TRAINABLE:
        # No document says what the API does with parameters on a model that does not train:
        # the sandbox keeps them unchecked and refuses the training itself.
        return params
    problems = rules.problems(model_type, params)
    if problems:
        detail = "; ".join(f"{name}: {msg}" for name, msg in problems)
        raise bad_request(
            f"Invalid training parameters for {model_type}: {detail}",
            details=[{"parameter": n, "message": m} for n, m in problems],
        )
    return params


def _extra(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    out = dict(current)
    for key in _EXTRA_FIELDS:
        if key in body:
            out[key] = body[key]
    return out


def routes(sb: Sandbox) -> list[Route]:
    async def create(request: Request) -> Response:
        body = await json_object(request)
        model_type = _model_type(body, "flux.1-lora")
        now = sb.now()
        row = ModelRow(
            id=new_id("model_"), created_at=now, updated_at=now, deleted_at=None,
            type=model_type, name=opt_str(body, "name"),
            short_description=opt_str(body, "shortDescription"), tags=[], parameters=None,
            pairs=[], extra=_extra(body, {}), job_id=None, epoch=None,
        )  # fmt: skip
        with sb.store.write() as tx:
            tx.insert_model(row)
            return reply({"model": sb.model_json(tx, request, row)})

    async def retrieve(request: Request) -> Response:
        with sb.store.read() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            return reply({"model": sb.model_json(tx, request, m)})

    async def update(request: Request) -> Response:
        body = await json_object(request)
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            cols = _update_columns(sb, tx, request, m, body)
            tx.update_model(m.id, sb.now(), **cols)
            return reply({"model": sb.model_json(tx, request, sb.model_or_404(tx, m.id))})

    async def update_tags(request: Request) -> Response:
        body = await json_object(request)
        add = sb.deviations.tags(str_list(body, "add"))
        delete = sb.deviations.tags(str_list(body, "delete"))
        strict = body.get("strict", False) is True
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            tags, added, deleted = _apply_tags(m.tags, add, delete, strict=strict)
            if added or deleted:
                tx.update_model(m.id, sb.now(), tags=tags)
        return reply({"added": added, "deleted": deleted})

    async def delete(request: Request) -> Response:
        with sb.store.write() as tx:
            m = sb.model_or_404(tx, request.path_params["model_id"])
            now = sb.now()
            latest = sb.latest(tx, m, now)
            if latest is not None and not latest[1].terminal:
                tx.cancel_job(latest[0].id, now)
            tx.update_model(m.id, now, deleted_at=now)
        return reply({})

    async def list_models(request: Request) -> Response:
        return reply(listing.list_models(sb, request))

    async def get_bulk(request: Request) -> Response:
        body = await json_object(request)
        ids = str_list(body, "modelIds")
        full, minimal = body.get("allTrainingImages") is True, body.get("minimal") is True
        with sb.store.read() as tx:
            found = [m for m in (tx.model(i) for i in dict.fromkeys(ids)) if m is not None]
            models = [sb.model_json(tx, request, m, full=full, bulk=True) for m in found]
        if minimal:
            models = [
                {k: m[k] for k in ("id", "name", "type", "privacy") if k in m} for m in models
            ]
        return reply({"models": models})

    return [
        Route("/models", create, methods=["POST"]),
        Route("/models", list_models, methods=["GET"]),
        Route("/models/get-bulk", get_bulk, methods=["POST"]),
        Route("/models/{model_id}", retrieve, methods=["GET"]),
        Route("/models/{model_id}", update, methods=["PUT"]),
        Route("/models/{model_id}", delete, methods=["DELETE"]),
        Route("/models/{model_id}/tags", update_tags, methods=["PUT"]),
    ]


def _apply_tags(
    current: list[str], add: list[str], delete: list[str], *, strict: bool
) -> tuple[list[str], list[str], list[str]]:
    if strict:
        if dupes := [t for t in add if t in current]:
            raise bad_request(f"Tags already exist on the model: {', '.join(dupes)}")
        if missing := [t for t in delete if t not in current]:
            raise bad_request(f"Tags not found on the model: {', '.join(missing)}")
    added = [t for t in dict.fromkeys(add) if t not in current]
    deleted = [t for t in dict.fromkeys(delete) if t in current or t in added]
    tags = [t for t in [*current, *added] if t not in deleted]
    return tags, added, [t for t in deleted if t in current]


def _update_columns(
    sb: Sandbox, tx: Tx, request: Request, m: ModelRow, body: dict[str, Any]
) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    now = sb.now()
    latest = sb.latest(tx, m, now)
    status = payloads.model_status(latest[1] if latest else None)
    if "type" in body and body["type"] != m.type:
        if status != "new":
            raise bad_request(
                f"The model type can only be changed while the status is new, not {status}"
            )
        cols["type"] = _model_type(body, None)
    for key, col in (("name", "name"), ("shortDescription", "short_description")):
        if key in body:
            cols[col] = opt_str(body, key)
    if "parameters" in body:
        cols["parameters"] = parameters_problems(cols.get("type", m.type), body["parameters"])
    if "epoch" in body:
        if status != "trained":
            raise bad_request(f"The epoch can only be set on a trained model, not {status}")
        cols["epoch"] = opt_str(body, "epoch")
    extra = _extra(body, m.extra)
    if "thumbnail" in body:
        thumb = opt_str(body, "thumbnail")
        extra["thumbnail"] = (
            None
            if thumb is None
            else {"assetId": thumb, "url": payloads.file_url(base_url(request), thumb)}
        )
    if extra != m.extra:
        cols["extra"] = extra
    return cols
