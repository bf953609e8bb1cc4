"""Liveness of the process and its database."""

from __future__ import annotations

from core.context import Context


async def database_ok(ctx: Context) -> bool:
    """True when the database answers."""
    return await ctx.db.ping()
