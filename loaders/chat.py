"""Loaders for tutor chats: sessions and messages by id, a session's messages."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from loaders import DbLoader
from models.chat import ChatMessage, ChatSession


class ChatSessionByIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[ChatSession | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(ChatSession).where(ChatSession.id.in_(keys)))).scalars()
            found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class ChatMessageByIdLoader(DbLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[ChatMessage | None]:
        async with self.db.session() as session:
            rows = (await session.execute(
                select(ChatMessage).where(ChatMessage.id.in_(keys)))).scalars()
            found = {row.id: row for row in rows}
        return [found.get(key) for key in keys]


class ChatMessagesBySessionIdLoader(DbLoader):
    """Every message of each session, in order."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[ChatMessage]]:
        async with self.db.session() as session:
            rows = (await session.execute(select(ChatMessage).where(
                ChatMessage.session_id.in_(keys)).order_by(ChatMessage.id))).scalars()
            grouped: dict[int, list[ChatMessage]] = defaultdict(list)
            for row in rows:
                grouped[row.session_id].append(row)
        return [grouped.get(key, []) for key in keys]
