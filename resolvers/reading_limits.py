"""The reading platform's rate-limit groups (its reference, §39.5), as face checks.

- **API**: every route of the reading platform's faces, 300 requests a minute per
  signed-in user (``LEARNGRAPH_READING_API_RATE_LIMIT``).
- **Admin**: routes only a school's or the platform's administrators may call, 60 a
  minute per user (``LEARNGRAPH_READING_ADMIN_RATE_LIMIT``), counted on top of the API
  group.
- **Auth** (sign-in, registration, password reset: 5 per 15 minutes per address) and
  **child login** (10 per 15 minutes per address) are counted by the account center's
  own resolvers, which know which attempts count.
- **Webhooks** are not limited (a signature proves the sender).

The platform's own services, calling with ``X-Internal-Key``, are not counted: they
carry every learner's traffic (telemetry alone sends thousands of events a second), and
the reference counts by ``user_id``. Counts are held in PostgreSQL (``core.ratelimit``),
so a limit holds across instances; past it the answer is 429 ``rate_limited`` with
``Retry-After``.
"""

from __future__ import annotations

from core import ratelimit
from core.context import Context

WINDOW_SECONDS = 60


async def _count(ctx: Context, group: str, limit: int) -> None:
    user_id = ctx.viewer.user_id
    if user_id is None or ctx.viewer.is_internal_service:
        return
    await ratelimit.hit(ctx.db, key=f"reading:{group}:{user_id}", limit=limit,
                        window_seconds=WINDOW_SECONDS,
                        message=f"Rate limit exceeded: {limit} requests per minute")


async def api_limit(ctx: Context) -> None:
    """Count one request of a signed-in user against the API group."""
    await _count(ctx, "api", ctx.settings.reading_api_rate_limit)


async def admin_limit(ctx: Context) -> None:
    """Count one request of a signed-in user against the admin group."""
    await _count(ctx, "admin", ctx.settings.reading_admin_rate_limit)
