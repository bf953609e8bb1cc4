"""GraphQL for GHL score links, the learner's private session and its completion (the
OpenLesson face's GHL routes call the same resolvers, with the same scopes)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.auth.api_keys import GHL_READ, GHL_WRITE
from models.ghl import GhlLink as LinkModel
from resolvers import ghl
from schema.permissions import agent
from schema.workspace import parse_uuid_id


@strawberry.enum(description="Where a learner session stands.")
class GhlStatus(Enum):
    PENDING = strawberry.enum_value(
        "pending", description="Not finished: waiting for the learner, or under way.")
    COMPLETED = strawberry.enum_value(
        "completed", description="Finished and scored: its result is final.")


@strawberry.type(description="A private, time-boxed learner session on one block.")
class GhlLink:
    id: strawberry.ID = strawberry.field(description="The link's UUID.")
    workspace_id: strawberry.ID = strawberry.field(description="Its workspace.")
    block_id: strawberry.ID = strawberry.field(description="Its block.")
    status: GhlStatus = strawberry.field(description="Whether it is finished.")
    requested_duration_seconds: int = strawberry.field(description="900 or 1800.")
    private_url: str = strawberry.field(description="The learner's URL (a bearer secret).")
    guest_user_id: strawberry.ID | None = strawberry.field(description="Its guest, if any.")
    started_at: datetime | None = strawberry.field(description="The first turn.")
    expires_at: datetime | None = strawberry.field(description="When the time is up.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, info: Info, link: LinkModel) -> GhlLink:
        return cls(id=strawberry.ID(str(link.id)),
                   workspace_id=strawberry.ID(str(link.workspace_id)),
                   block_id=strawberry.ID(str(link.block_id)), status=GhlStatus(link.status),
                   requested_duration_seconds=link.requested_duration_seconds,
                   private_url=ghl.private_url(info.context, link),
                   guest_user_id=strawberry.ID(str(link.guest_user_id))
                   if link.guest_user_id else None, started_at=link.started_at,
                   expires_at=link.expires_at, created_at=link.created_at)


@strawberry.type(description="How the learner did on one marker.")
class GhlMarkerScore:
    id: str = strawberry.field(description="Marker id, e.g. conceptual_clarity.")
    label: str = strawberry.field(description="Its label.")
    score: int = strawberry.field(description="0-100.")
    rationale: str = strawberry.field(description="Why, from the transcript.")


@strawberry.type(description="A session's result; scores are null until it is completed.")
class GhlResult:
    id: strawberry.ID = strawberry.field(description="The link's UUID.")
    workspace_id: strawberry.ID = strawberry.field(description="Its workspace.")
    block_id: strawberry.ID = strawberry.field(description="Its block.")
    status: GhlStatus = strawberry.field(description="Whether it is finished.")
    completed: bool = strawberry.field(description="Whether it is completed.")
    overall_score: int | None = strawberry.field(description="0-100.")
    marker_scores: list[GhlMarkerScore] | None = strawberry.field(description="Per marker.")
    gap_analysis: JSON | None = strawberry.field(
        description="`{summary, gaps: [{title, evidence, severity, suggested_repair}], "
                    "next_practice}`.")
    analysis: JSON | None = strawberry.field(description="Further analysis.")

    @classmethod
    def from_model(cls, link: LinkModel) -> GhlResult:
        done = ghl.completed(link.status)
        return cls(id=strawberry.ID(str(link.id)),
                   workspace_id=strawberry.ID(str(link.workspace_id)),
                   block_id=strawberry.ID(str(link.block_id)), status=GhlStatus(link.status),
                   completed=done, overall_score=link.overall_score if done else None,
                   marker_scores=[GhlMarkerScore(**m) for m in link.marker_scores or []]
                   if done else None,
                   gap_analysis=link.gap_analysis if done else None,
                   analysis=link.analysis if done else None)


@strawberry.input(description="A new GHL link.")
class CreateGhlLinkInput:
    workspace_id: strawberry.ID = strawberry.field(description="The workspace.")
    block_id: strawberry.ID = strawberry.field(description="The block to assess.")
    minutes: int | None = strawberry.field(default=15, description="15 or 30 (else 15).")
    guest_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assign to this guest (org admins).")
    guest_email: str | None = strawberry.field(
        default=None, description="Assign to the guest with this email (org admins).")


@strawberry.type(description="The facilitator's next turn.")
class GhlChatReply:
    message: str = strawberry.field(description="What the facilitator said.")


@strawberry.type(description="The learner's message, stored, before the facilitator answers.")
class GhlLearnerMessage:
    text: str = strawberry.field(description="What the learner said.")


@strawberry.type(description="A piece of the facilitator's reply, as it is written.")
class GhlChatDelta:
    text: str = strawberry.field(description="The next piece of text.")


@strawberry.type(description="The facilitator's reply, whole and stored.")
class GhlChatDone:
    message: str = strawberry.field(description="The whole reply.")


@strawberry.type(description="The turn failed; nothing of the reply was stored.")
class GhlChatFailed:
    code: str = strawberry.field(description="The error code, e.g. LLM_RATE_LIMITED.")
    message: str = strawberry.field(description="What went wrong.")


@strawberry.type(description="The session was completed and scored; the stream ends.")
class GhlSessionCompleted:
    completed: bool = strawberry.field(description="Always true.")


GhlChatEvent = Annotated[
    GhlLearnerMessage | GhlChatDelta | GhlChatDone | GhlChatFailed | GhlSessionCompleted,
    strawberry.union("GhlChatEvent", description="What a private GHL session streams.")]


def _chat_event(event: ghl.ChatEvent):
    if isinstance(event, ghl.LearnerSaid):
        return GhlLearnerMessage(text=event.text)
    if isinstance(event, ghl.Delta):
        return GhlChatDelta(text=event.text)
    if isinstance(event, ghl.ReplyDone):
        return GhlChatDone(message=event.message)
    if isinstance(event, ghl.ChatFailed):
        return GhlChatFailed(code=event.code, message=event.message)
    return GhlSessionCompleted(completed=True)


@strawberry.type
class GhlQuery:
    @strawberry.field(description="A workspace's GHL links you see, newest first (needs "
                                  "`ghl:read`).", extensions=agent(GHL_READ))
    async def ghl_links(self, info: Info, workspace_id: strawberry.ID) -> list[GhlLink]:
        links = await ghl.get_all(info.context,
                                  workspace_id=parse_uuid_id(workspace_id, "workspaceId"))
        return [GhlLink.from_model(info, link) for link in links]

    @strawberry.field(description="A GHL link's result (needs `ghl:read`).",
                      extensions=agent(GHL_READ))
    async def ghl_result(self, info: Info, workspace_id: strawberry.ID,
                         link_id: strawberry.ID) -> GhlResult:
        link = await ghl.get_or_raise_link(
            info.context, workspace_id=parse_uuid_id(workspace_id, "workspaceId"),
            link_id=parse_uuid_id(link_id, "linkId"))
        return GhlResult.from_model(link)


@strawberry.type
class GhlMutation:
    @strawberry.mutation(description="Create a private GHL link for a block (needs "
                                     "`ghl:write`).", extensions=agent(GHL_WRITE))
    async def create_ghl_link(self, info: Info, input: CreateGhlLinkInput) -> GhlLink:
        made = await ghl.create_link(
            info.context, workspace_id=parse_uuid_id(input.workspace_id, "workspaceId"),
            block_id=parse_uuid_id(input.block_id, "blockId"), minutes=input.minutes,
            guest_user_id=parse_uuid_id(input.guest_user_id, "guestUserId")
            if input.guest_user_id else None, guest_email=input.guest_email)
        return GhlLink.from_model(info, made.link)

    @strawberry.mutation(description="The learner's turn in a private GHL session (the "
                                     "private token is the credential).")
    async def ghl_score_chat(self, info: Info, private_token: str,
                             message: str | None = None) -> GhlChatReply:
        return GhlChatReply(message=await ghl.chat(info.context, token=private_token,
                                                   message=message))

    @strawberry.mutation(description="Finish a private GHL session and score it.")
    async def complete_ghl_score(self, info: Info, private_token: str) -> GhlResult:
        return GhlResult.from_model(await ghl.complete(info.context, token=private_token))


@strawberry.type
class GhlSubscription:
    @strawberry.subscription(description="The link's result once it is completed (at once "
                                         "if it already is; needs `ghl:read`).",
                             extensions=agent(GHL_READ))
    async def ghl_link_completed(self, info: Info, workspace_id: strawberry.ID,
                                 link_id: strawberry.ID) -> AsyncGenerator[GhlResult, None]:
        async for link in ghl.completions(
                info.context, workspace_id=parse_uuid_id(workspace_id, "workspaceId"),
                link_id=parse_uuid_id(link_id, "linkId")):
            yield GhlResult.from_model(link)

    @strawberry.subscription(description="A private GHL session's turns as they happen, from "
                                         "whichever instance serves them: the learner's "
                                         "messages, the reply's pieces, then the stored reply "
                                         "(the private token is the credential); ends when "
                                         "the session is completed.")
    async def ghl_score_chat_events(self, info: Info, private_token: str
                                    ) -> AsyncGenerator[GhlChatEvent, None]:
        async for event in ghl.chat_events(info.context, token=private_token):
            yield _chat_event(event)
