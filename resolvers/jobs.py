"""Background job handlers. Importing this module registers every handler.

Domain modules with background work register their handlers with
``core.jobs.job`` and are imported here.
"""

from __future__ import annotations

from sqlalchemy import text

from core import budget, idempotency, ratelimit
from core.jobs import job
from resolvers import (
    accounts,  # also registers the account center's mail job
    chat_cache,  # noqa: F401 — registers the cache cleanup job
    materials,  # noqa: F401 — registers the materials job
    orchestrator,  # noqa: F401 — registers the assessment preparation job
    reading_bot,  # noqa: F401 — registers the learner bot's runs
    reading_telemetry,  # noqa: F401 — registers the learner bot's telemetry jobs
    teacher_notifications,  # noqa: F401 — registers the teachers' notification sweep
)

KEEP_FINISHED_DAYS = 7


@job("jobs.prune", every_seconds=3600)
async def prune_finished_jobs(services, payload: dict) -> None:
    """Fail jobs whose workers died on their last attempt; forget week-old finished jobs."""
    async with services.db.transaction() as session:
        await session.execute(text(
            "UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), "
            "locked_by = NULL, locked_until = NULL, "
            "last_error = coalesce(last_error, 'worker stopped during the last attempt') "
            "WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts"))
        await session.execute(text(
            "DELETE FROM jobs WHERE status IN ('done', 'failed') "
            "AND finished_at < now() - make_interval(days => :days)"),
            {"days": KEEP_FINISHED_DAYS})


@job("ratelimit.expire", every_seconds=3600)
async def expire_rate_limits(services, payload: dict) -> None:
    """Forget rate-limit keys (addresses, accounts) with no hit inside any window."""
    settings = services.settings
    await ratelimit.expire(services.db, older_than_seconds=max(
        settings.rate_limit_window_seconds, settings.login_lockout_window_seconds,
        settings.reading_auth_window_seconds, accounts.RESEND_WINDOW_SECONDS))


@job("idempotency.expire", every_seconds=3600)
async def expire_idempotency_keys(services, payload: dict) -> None:
    """Forget idempotency keys and their responses past their 24 hours."""
    await idempotency.expire(services.db)


@job("budget.expire", every_seconds=3600)
async def expire_query_budgets(services, payload: dict) -> None:
    """Forget query budgets whose hour ended (the next operation starts a new one)."""
    await budget.expire(services.db)
