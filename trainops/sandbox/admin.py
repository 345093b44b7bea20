"""`/_sandbox/*`: change a running server's faults, limits and deviations (same credentials as
the API).

GET  /v1/_sandbox/faults          {"faults": [...]} with hit counts
POST /v1/_sandbox/faults          {"faults": [{"method", "pathRegex", "kind", "times",
                                   "seconds", "retryAfter"}]} replaces the list ([] clears);
                                  at most MAX_FAULTS, each pathRegex checked by
                                  `faults.check_pattern` (400 if it could backtrack without bound)
GET  /v1/_sandbox/limits          the current limits
POST /v1/_sandbox/limits          {"max_dataset_images"?, "max_parallel_trainings"?,
                                   "launch_cooldown_s"?} changes the ones given
GET  /v1/_sandbox/deviations      {"truncate-images": false, ...}: every switch
POST /v1/_sandbox/deviations      {"truncate-images": true, ...} changes the ones given
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trainops.sandbox.context import Sandbox
from trainops.sandbox.faults import faults_from_json
from trainops.sandbox.replies import bad_request, json_object, reply


def routes(sb: Sandbox) -> list[Route]:
    async def get_faults(_request: Request) -> Response:
        return reply({"faults": [f.to_json() for f in sb.faults.snapshot()]})

    async def set_faults(request: Request) -> Response:
        body = await json_object(request)
        try:
            faults = faults_from_json(body.get("faults"))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        sb.faults.replace(faults)
        return reply({"faults": [f.to_json() for f in faults]})

    async def get_limits(_request: Request) -> Response:
        return reply(asdict(sb.limits))

    async def set_limits(request: Request) -> Response:
        body = await json_object(request)
        try:
            sb.limits = sb.limits.merged(body)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return reply(asdict(sb.limits))

    async def get_deviations(_request: Request) -> Response:
        return reply(sb.deviations.as_json())

    async def set_deviations(request: Request) -> Response:
        body = await json_object(request)
        try:
            sb.deviations = sb.deviations.merged(body)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return reply(sb.deviations.as_json())

    return [
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", set_faults, methods=["POST"]),
        Route("/_sandbox/limits", get_limits, methods=["GET"]),
        Route("/_sandbox/limits", set_limits, methods=["POST"]),
        Route("/_sandbox/deviations", get_deviations, methods=["GET"]),
        Route("/_sandbox/deviations", set_deviations, methods=["POST"]),
    ]
