"""``GET /metrics`` (Prometheus), ``GET /health/live`` and ``GET /health/ready``.

Liveness says the process answers HTTP; readiness says it can do its work (database, packet folder,
keys), 503 naming the checks that failed. Both are public: a load balancer or an orchestrator asks
them without credentials, and they tell nothing beyond ok / a short fixed reason. ``/metrics`` follows
``access.metrics_access``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder
from pydantic import BaseModel

from shared.sync import ErrorBody, ErrorCode
from sync_server.api.deps import StateDep
from sync_server.errors import ApiError
from sync_server.observability.access import MetricsAccess, metrics_access
from sync_server.observability.readiness import check_readiness

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["alive"] = "alive"


class ReadinessBody(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]  # database, blob_store, keys -> "ok" or a short reason
    failed: list[str]


@router.get("/health/live")
def live() -> Liveness:
    return Liveness()


@router.get("/health/ready", response_model=ReadinessBody, responses={503: {"model": ReadinessBody}})
def ready(state: StateDep) -> JSONResponse:
    settings = state.settings
    result = check_readiness(
        engine=state.engine,
        blob_dir=settings.blob_dir,
        data_dir=settings.data_dir,
        min_free_bytes=settings.min_free_disk_mb * 1024 * 1024,
        blobs=state.blobs,
    )
    body = ReadinessBody(
        status="ready" if result.ready else "not_ready", checks=result.checks, failed=result.failed
    )
    return JSONResponse(body.model_dump(), status_code=200 if result.ready else 503)


@router.get(
    "/metrics",
    include_in_schema=False,
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def metrics(request: Request, state: StateDep) -> Response:
    client = request.client.host if request.client else None
    access = metrics_access(
        client_host=client,
        authorization=request.headers.get("authorization"),
        token=state.settings.metrics_token,
    )
    if access is MetricsAccess.TOKEN_NEEDED:
        raise ApiError(
            401,
            ErrorCode.unauthenticated,
            "metrics need the bearer token (metrics_token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if access is MetricsAccess.NOT_LOOPBACK:
        raise ApiError(
            403,
            ErrorCode.forbidden,
            "metrics are served to clients on this machine only; set OPENREG_SERVER_METRICS_TOKEN to "
            "scrape from elsewhere",
        )
    encoder, content_type = choose_encoder(request.headers.get("accept", "")[:1000])
    return Response(encoder(request.app.state.metrics), media_type=content_type)
