"""GraphQL for the AI tutor chat: sessions, messages, streamed turns, sharing and the
response cache's analytics.

Sending a message (or asking for the greeting) is a mutation that stores the
message and returns at once; the answer's chunks, then its stored message id
(or a failure), arrive through the ``chatEvents`` subscription from whichever
instance works the turn. Subscribe before sending.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from core.errors import NotFound
from models.chat import ChatMessage as ChatMessageModel
from models.chat import ChatSession as ChatSessionModel
from resolvers import chat, chat_cache, chat_pages, content
from resolvers.chat_share import share_url
from schema.catalog_common import decode_id
from schema.content import ContentItem
from schema.pages import Connection, connection, ids_or_zero, parse_int_id


def _session_id(value: strawberry.ID | str) -> int:
    """A session id given as its global ID or as the integer the REST face shows."""
    return parse_int_id(value, "ChatSession", field="sessionId")


def _global(type_name: str, row_id: int | None) -> relay.GlobalID | None:
    return None if row_id is None else relay.GlobalID(type_name, str(row_id))


@strawberry.enum(description="Who wrote a message of a conversation with the AI.")
class ChatMessageRole(Enum):
    USER = strawberry.enum_value("user", description="The person: the learner.")
    ASSISTANT = strawberry.enum_value("assistant", description="The AI.")


@strawberry.type(description="A message of a tutor chat.")
class ChatMessage(relay.Node):
    id: relay.NodeID[int]
    role: ChatMessageRole = strawberry.field(description="Who wrote it.")
    content: str = strawberry.field(description="The text (an MCQ answer as its JSON).")
    meta: JSON = strawberry.field(description='Where an answer came from: {"source": "llm"} '
                                              'or {"source": "cache", "cache_node_id": N}.')
    created_at: datetime = strawberry.field(description="When it was stored.")

    @classmethod
    def from_model(cls, row: ChatMessageModel) -> ChatMessage:
        return cls(id=row.id, role=ChatMessageRole(row.role), content=row.content,
                   meta=row.meta,
                   created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ChatMessage | None]:
        rows = await chat.get_messages_many(info.context, message_ids=ids_or_zero(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of a chat's messages, oldest first.")
class ChatMessageConnection(Connection[ChatMessage]):
    pass


@strawberry.enum(description="Whether a chat still follows the tutor's response cache tree.")
class ChatCacheState(Enum):
    TRACKING = strawberry.enum_value(
        "TRACKING", description="Every message so far was a cacheable one (the greeting, MCQ "
                                "answers): answers may come from the cache.")
    DIVERGED = strawberry.enum_value(
        "DIVERGED", description="A free-form message left the tree; the chat stays off it.")


@strawberry.type(description="A tutor chat of the viewer on a content item.")
class ChatSession(relay.Node):
    id: relay.NodeID[int]
    content_item_id: relay.GlobalID = strawberry.field(
        description="The content item's global ID (a `ContentItem` for `node`).")
    content_context: JSON = strawberry.field(
        description="Snapshot of the content when the chat began: title, description, "
                    "content_type, data_json.")
    share_enabled: bool = strawberry.field(description="Whether the public view is on.")
    share_token: str | None = strawberry.field(description="The public view's token.")
    cache_node_id: relay.GlobalID | None = strawberry.field(
        description="Current position in the response cache tree, as the global ID of a "
                    "`ChatCacheNode` (opaque: the tree is not browsable); null at the root.")
    cache_state: ChatCacheState = strawberry.field(
        description="Whether answers may still come from the response cache.")
    created_at: datetime = strawberry.field(description="When the chat began.")
    updated_at: datetime = strawberry.field(description="Last change.")
    _model: strawberry.Private[ChatSessionModel]

    @classmethod
    def from_model(cls, row: ChatSessionModel) -> ChatSession:
        return cls(id=row.id, content_item_id=_global("ContentItem", row.content_item_id),
                   content_context=row.content_context, share_enabled=row.share_enabled,
                   share_token=row.share_token,
                   cache_node_id=_global("ChatCacheNode", row.cache_node_id),
                   cache_state=ChatCacheState(row.cache_state), created_at=row.created_at,
                   updated_at=row.updated_at, _model=row)

    @strawberry.field(description="The content item the chat is about.")
    async def content_item(self, info: Info) -> ContentItem | None:
        try:
            item = await content.get(info.context, content_id=self._model.content_item_id)
        except NotFound:
            return None
        return ContentItem.from_model(item)

    @strawberry.field(description="The messages, oldest first (first: 1 to 100).")
    async def messages(self, info: Info, first: int | None = None,
                       after: str | None = None) -> ChatMessageConnection:
        page = await chat_pages.get_messages_page(info.context, session=self._model,
                                                  first=first, after=after)
        return connection(ChatMessageConnection, page, ChatMessage.from_model)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str],
                            required: bool = False) -> list[ChatSession | None]:
        rows = await chat.get_many(info.context, session_ids=ids_or_zero(node_ids))
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type(description="A page of the viewer's chats, newest first.")
class ChatSessionConnection(Connection[ChatSession]):
    pass


@strawberry.type(description="A message of a shared chat.")
class SharedChatMessage:
    role: ChatMessageRole = strawberry.field(description="Who wrote it.")
    content: str
    created_at: datetime


@strawberry.type(description="A chat someone shared: read-only.")
class SharedChatSession:
    content_item_id: relay.GlobalID = strawberry.field(
        description="The content item's global ID (a `ContentItem` for `node`).")
    content_context: JSON
    created_at: datetime
    messages: list[SharedChatMessage]


@strawberry.type(description="The tutor response cache's figures.")
class ChatCacheAnalytics:
    cache_hits: int = strawberry.field(description="Answers served from the cache.")
    cache_misses: int = strawberry.field(description="Cacheable turns the model answered.")
    hit_rate: float = strawberry.field(description="Hits per cacheable turn, percent.")
    session_divergence_rate: float = strawberry.field(
        description="Diverged sessions per session, percent.")
    total_cached_nodes: int = strawberry.field(description="Nodes in the cache trees.")
    total_hits_served: int = strawberry.field(description="Sum of the nodes' hit counts.")


@strawberry.type(description="The chat that was created.")
class CreateChatSessionPayload:
    session: ChatSession


@strawberry.type(description="The message was stored; the answer streams on chatEvents.")
class ChatTurnPayload:
    accepted: bool


@strawberry.type(description="The chat's public view.")
class ShareChatSessionPayload:
    share_token: str
    share_url: str
    session: ChatSession


@strawberry.type(description="The chat is no longer shared.")
class UnshareChatSessionPayload:
    session: ChatSession


@strawberry.type(description="A piece of the answer, as it is written (or replayed).")
class ChatChunk:
    content: str


@strawberry.type(description="The answer is complete and stored.")
class ChatDone:
    message_id: relay.GlobalID = strawberry.field(
        description="The stored message's global ID (a `ChatMessage` for `node`).")


@strawberry.type(description="The turn failed; nothing was stored and the chat goes on.")
class ChatFailed:
    status: int = strawberry.field(description="401, 429, 500, 502 or 504")
    detail: str


ChatEvent = Annotated[ChatChunk | ChatDone | ChatFailed,
                      strawberry.union("ChatEvent", description="What a chat turn streams.")]


def _event(event: chat.Event):
    if isinstance(event, chat.Chunk):
        return ChatChunk(content=event.text)
    if isinstance(event, chat.Done):
        return ChatDone(message_id=relay.GlobalID("ChatMessage", str(event.message_id)))
    return ChatFailed(status=event.status, detail=event.detail)


@strawberry.type
class ChatQuery:
    @strawberry.field(description="Your tutor chats, newest first (first: 1 to 100).")
    async def my_chat_sessions(self, info: Info, first: int | None = None,
                               after: str | None = None) -> ChatSessionConnection:
        page = await chat_pages.get_mine_page(info.context, first=first, after=after)
        return connection(ChatSessionConnection, page, ChatSession.from_model)

    @strawberry.field(description="A shared chat by its token (no sign-in needed).")
    async def shared_chat_session(self, info: Info, token: str) -> SharedChatSession:
        session, messages = await chat.get_shared(info.context, token=token)
        return SharedChatSession(
            content_item_id=_global("ContentItem", session.content_item_id),
            content_context=session.content_context,
            created_at=session.created_at,
            messages=[SharedChatMessage(role=ChatMessageRole(m.role), content=m.content,
                                        created_at=m.created_at) for m in messages])

    @strawberry.field(description="The tutor response cache's figures (platform admins).")
    async def chat_cache_analytics(self, info: Info) -> ChatCacheAnalytics:
        return ChatCacheAnalytics(**vars(await chat_cache.analytics(info.context)))


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description="Start a tutor chat on a content item you can see.")
    async def create_chat_session(self, info: Info,
                                  content_item_id: relay.GlobalID) -> CreateChatSessionPayload:
        session = await chat.create(info.context, content_item_id=decode_id(
            content_item_id, "ContentItem"))
        return CreateChatSessionPayload(session=ChatSession.from_model(session))

    @strawberry.mutation(description="Send a message (free text, or an MCQ answer as JSON "
                                      "{questionId, answer}). Subscribe to chatEvents first.")
    async def send_chat_message(self, info: Info, session_id: strawberry.ID,
                                content: str) -> ChatTurnPayload:
        await chat.send_in_background(info.context, session_id=_session_id(session_id),
                                      message=content)
        return ChatTurnPayload(accepted=True)

    @strawberry.mutation(description='Ask for the tutor\'s greeting (sends "Start."). '
                                     "Subscribe to chatEvents first.")
    async def request_chat_greeting(self, info: Info,
                                    session_id: strawberry.ID) -> ChatTurnPayload:
        await chat.send_in_background(info.context, session_id=_session_id(session_id),
                                      message=chat_cache.GREETING)
        return ChatTurnPayload(accepted=True)

    @strawberry.mutation(description="Share the chat read-only; returns its token and URL.")
    async def share_chat_session(self, info: Info,
                                 session_id: strawberry.ID) -> ShareChatSessionPayload:
        session = await chat.share(info.context, session_id=_session_id(session_id))
        return ShareChatSessionPayload(
            share_token=session.share_token,
            share_url=share_url(session.share_token),
            session=ChatSession.from_model(session))

    @strawberry.mutation(description="Stop sharing the chat: its token stops working.")
    async def unshare_chat_session(self, info: Info,
                                   session_id: strawberry.ID) -> UnshareChatSessionPayload:
        session_id = _session_id(session_id)
        await chat.unshare(info.context, session_id=session_id)
        return UnshareChatSessionPayload(session=ChatSession.from_model(
            await chat.get(info.context, session_id=session_id)))


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(description="A chat's streamed turns: chunks, then the stored "
                                         "message id or a failure.")
    async def chat_events(self, info: Info, session_id: strawberry.ID
                          ) -> AsyncGenerator[ChatEvent, None]:
        async for event in chat.events(info.context, session_id=_session_id(session_id)):
            yield _event(event)
