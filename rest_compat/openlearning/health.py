"""GET /api/health."""

from __future__ import annotations

from resolvers import health
from rest_compat.base import FaceRequest, JSONResponse, Route


async def get_health(req: FaceRequest) -> JSONResponse:
    if await health.database_ok(req.ctx):
        return JSONResponse({"status": "ok", "database": None})
    return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)


ROUTES = [
    Route("GET", "/health", get_health, summary="Health check with a database probe",
          responses={200: "ok", 503: "database unreachable"}, tag="health"),
]
