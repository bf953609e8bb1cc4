"""Pages of tutor chats for GraphQL connections: the viewer's sessions newest first, a
session's messages oldest first. Cursors are ``[id]``."""

from __future__ import annotations

from core.context import Context
from core.pagination import decode_id_cursor, encode_cursor, page_size
from models.chat import ChatSession
from resolvers import chat
from resolvers.pages import Page, page_list, page_of_fetched


def _cursor(row: ChatSession) -> str:
    return encode_cursor([row.id])


async def get_mine_page(ctx: Context, *, first: int | None, after: str | None) -> Page:
    """A page of the viewer's sessions, newest first."""
    size = page_size(first, None)
    before_id = decode_id_cursor(after) if after else None
    rows = await chat.get_all_mine(ctx, limit=size + 1, before_id=before_id)
    return page_of_fetched(rows, size, after=after, cursor=_cursor, total=chat.mine(ctx))


async def get_messages_page(ctx: Context, *, session: ChatSession, first: int | None,
                            after: str | None) -> Page:
    """A page of the messages of a session already loaded for the viewer, oldest first
    (batched per request across sessions)."""
    return page_list(await chat.messages_of(ctx, session=session), first=first, after=after)
