"""Operations routes: `/health` for load balancers and people, `/metrics` for Prometheus.

Both read the app's one `QueryService`; neither touches the store beyond reading which build
`current` points at, so they stay cheap and answer even while every worker is busy.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from kg.errors import KgError
from kg.web.metrics import PROMETHEUS_MEDIA_TYPE
from kg.web.service import QueryService

__all__ = ["router"]

router = APIRouter(tags=["operations"])


def _service(request: Request) -> QueryService:
    """The app's query service (set by `create_app` on `app.state.query_service`)."""
    service = request.app.state.query_service
    assert isinstance(service, QueryService)
    return service


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 with the store version and live workers when queries can be answered, else 503."""
    service = _service(request)
    pids = service.executor.worker_pids()
    body: dict[str, Any] = {
        "status": "ok",
        "store_version": None,
        "workers": len(pids),
        "worker_pids": pids,
        "busy_workers": service.executor.busy_workers(),
        "worker_restarts": service.executor.restarts,
    }
    try:
        body["store_version"] = service.store_version()
    except KgError as exc:
        body.update(status="unavailable", reason=str(exc))
    if not pids:
        body.update(status="unavailable", reason="no live query worker")
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get("/metrics")
def metrics(request: Request) -> PlainTextResponse:
    """The endpoint's counters and latency histogram in the Prometheus text format."""
    return PlainTextResponse(
        _service(request).metrics.render(), media_type=PROMETHEUS_MEDIA_TYPE
    )
