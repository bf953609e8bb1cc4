"""Liveness and readiness probes, served by the main app and by every face's own port.

``/healthz`` says only that the process answers (an orchestrator restarts it when it
stops answering). ``/readyz`` says whether it should get traffic: the database
answers, its schema is at the migrations' head, and the job worker runs (when this
process works the queue). Both answer JSON and are never cached.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.migrate import alembic_config

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


@functools.cache
def migrations_head() -> str | None:
    """The newest revision of the migration chain shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def _database_revision(services) -> str | None:
    async with services.db.session() as session:
        return (await session.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar_one_or_none()


async def readiness(services) -> dict[str, str]:
    """Each check's outcome: ``ok``, ``disabled``, or what is wrong (short, no details)."""
    checks: dict[str, str] = {}
    checks["database"] = "ok" if await services.db.ping() else "unreachable"
    if checks["database"] == "ok":
        try:
            current = await _database_revision(services)
        except Exception as exc:  # no alembic_version table: never migrated
            log.warning("readiness: cannot read the schema revision (%s)", type(exc).__name__)
            current = None
        head = await asyncio.to_thread(migrations_head)
        checks["migrations"] = "ok" if current == head else "behind"
    else:
        checks["migrations"] = "unknown"
    if not services.settings.jobs_enabled:
        checks["jobs"] = "disabled"
    else:
        checks["jobs"] = "ok" if services.jobs is not None and services.jobs.running else "stopped"
    return checks


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    checks = await readiness(request.app.state.services)
    ready = all(value in ("ok", "disabled") for value in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503, headers=NO_STORE)


def routes() -> list[Route]:
    return [Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"])]
