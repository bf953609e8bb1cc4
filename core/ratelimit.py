"""Fixed-window rate limiting with the counters in PostgreSQL.

Every instance increments the same row, so a limit holds however many
processes serve traffic. One upsert per check: the window rolls over inside
the same statement.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from sqlalchemy import text

from core.db import Database
from core.errors import RateLimited

_HIT = text("""
    INSERT INTO rate_limit_counters (key, window_start, count)
    VALUES (:key, :window_start, 1)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limit_counters.window_start = EXCLUDED.window_start
                     THEN rate_limit_counters.count + 1 ELSE 1 END,
        window_start = EXCLUDED.window_start
    RETURNING count
""")


async def hit(db: Database, *, key: str, limit: int, window_seconds: int,
              message: str = "Too many requests. Please try again later.") -> None:
    """Count one request for ``key``; raise RateLimited once ``limit`` is passed."""
    now = time.time()
    start = math.floor(now / window_seconds) * window_seconds
    async with db.transaction() as session:
        count = (await session.execute(_HIT, {
            "key": key, "window_start": datetime.fromtimestamp(start, UTC)})).scalar_one()
    if count > limit:
        retry_after = max(1, math.ceil(start + window_seconds - now))
        raise RateLimited(message, retry_after=retry_after)
