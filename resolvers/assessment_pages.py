"""Pages of the viewer's assessments for GraphQL connections, newest first.

A cursor is the session's ``[created_at, id]`` position in that order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from core.context import Context
from core.errors import Validation
from core.pagination import decode_cursor, encode_cursor, page_size
from resolvers.assessment import Listed, list_mine, mine
from resolvers.pages import Page, page_of_fetched


def _cursor(item: Listed) -> str:
    return encode_cursor([item.session.created_at.isoformat(), str(item.session.id)])


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, session_id = decode_cursor(cursor)
        return datetime.fromisoformat(created_at), uuid.UUID(session_id)
    except (TypeError, ValueError, AttributeError):
        raise Validation("Invalid cursor") from None


async def get_mine_page(ctx: Context, *, first: int | None, after: str | None) -> Page:
    """A page of the viewer's sessions, newest first, with readiness for completed ones."""
    size = page_size(first, None)
    position = _position(after) if after else None
    items = await list_mine(ctx, limit=size + 1, after=position)
    return page_of_fetched(items, size, after=after, cursor=_cursor, total=mine(ctx))
