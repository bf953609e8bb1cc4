"""Sliding-window rate limiting with the hits in PostgreSQL.

A key allows at most ``limit`` hits in any ``window_seconds``: its row keeps the
times of its hits still inside the window (never more than ``limit`` of them),
so no burst fits across a window boundary the way it does with fixed windows.
Every instance locks and updates the same row, and the times come from the
database clock, so a limit holds however many processes serve traffic. A
refused hit is not recorded: hammering a limited key does not extend its wait.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from core.db import Database
from core.errors import RateLimited

TOO_MANY = "Too many requests. Please try again later."

# Creates the key's row or locks it, and reads its hits, in one round trip.
_LOCK = text("INSERT INTO rate_limit_hits (key, hits) VALUES (:key, '{}') "
             "ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING hits, now()")
_STORE = text("UPDATE rate_limit_hits SET hits = :hits WHERE key = :key")
_RESET = text("DELETE FROM rate_limit_hits WHERE key = :key")
_EXPIRE = text("DELETE FROM rate_limit_hits WHERE hits[cardinality(hits)] IS NULL "
               "OR hits[cardinality(hits)] < now() - make_interval(secs => :older_than)")


async def hit(db: Database, *, key: str, limit: int, window_seconds: int,
              message: str = TOO_MANY) -> None:
    """Count one hit for ``key``; raise RateLimited (with the seconds until a hit
    leaves the window) when ``limit`` hits already fall inside the window."""
    async with db.transaction() as session:
        hits, now = (await session.execute(_LOCK, {"key": key})).one()
        window = timedelta(seconds=window_seconds)
        kept = sorted(h for h in hits if h > now - window)
        if len(kept) < limit:
            await session.execute(_STORE, {"key": key, "hits": [*kept, now]})
            return
        # Only the newest ``limit`` hits matter for later decisions.
        newest = kept[-limit:] if limit > 0 else []
        if newest != hits:
            await session.execute(_STORE, {"key": key, "hits": newest})
    retry_after = (kept[-limit] + window - now).total_seconds() if limit > 0 else window_seconds
    raise RateLimited(message, retry_after=max(1, math.ceil(retry_after)))


def hit_statement(offset: int, *, gate: str | None = None
                  ) -> tuple[str, Callable[[str, int, int], list[Any]]]:
    """``hit`` as one data-modifying statement to run inside another's WITH (a planned
    read takes its counts so), after ``offset`` parameters of that statement: it returns
    a row when the hit is counted and none when the limit refuses it (nothing recorded),
    or when the condition ``gate`` does not hold (nothing done). Its parameters are
    ``params(key, limit, window_seconds)``. A refusal's retry time is for ``hit`` to
    tell, by running again."""
    k, limit, w = (f"${offset + n}" for n in (1, 2, 3))
    window = f"now() - make_interval(secs => {w})"
    sql = (f"INSERT INTO rate_limit_hits AS r (key, hits) SELECT {k}::text, ARRAY[now()] "
           f"WHERE {gate or 'true'} AND {limit}::integer > 0 "
           f"ON CONFLICT (key) DO UPDATE SET hits = ARRAY(SELECT h FROM unnest(r.hits) h "
           f"WHERE h > {window} ORDER BY h) || now() "
           f"WHERE (SELECT count(*) FROM unnest(r.hits) h WHERE h > {window}) < {limit} "
           f"RETURNING 1")

    def params(key: str, limit: int, window_seconds: int) -> list[Any]:
        return [key, limit, float(window_seconds)]

    return sql, params


async def reset(db: Database, *, key: str) -> None:
    """Forget every hit of ``key``."""
    async with db.transaction() as session:
        await session.execute(_RESET, {"key": key})


async def expire(db: Database, *, older_than_seconds: int) -> int:
    """Drop keys whose last hit is older than ``older_than_seconds``; how many went."""
    async with db.transaction() as session:
        result = await session.execute(_EXPIRE, {"older_than": older_than_seconds})
    return result.rowcount
