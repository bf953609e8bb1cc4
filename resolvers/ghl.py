"""GHL score links: private, time-boxed learner sessions on one block of a workspace.

An agent creates a link (15 or 30 minutes); the learner opens its private URL
without an account and talks with a Socratic facilitator (one question at a
time); completing the session has the model score it against markers, and the
result (overall score, marker scores, gap analysis) is stored and announced.

Who sees a link: a platform admin; an admin of the workspace's organization; the
guest it is assigned to; otherwise the member who created it. Anyone else gets
GHL_LINK_NOT_FOUND.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select, true

from core.auth import api_keys, secrets_box
from core.auth.viewer import Viewer
from core.context import Context
from core.db import xact_lock
from core.errors import Conflict, DomainError, Forbidden, Gone, NotFound, Validation
from core.planning import VIEWER_GUEST_ID, VIEWER_ID, viewer_params
from models.ghl import GhlLink
from models.organization import OrganizationGuest, OrganizationMember
from models.workspace import Workspace, WorkspaceBlock
from resolvers import organization
from resolvers.auth import normalize_email
from resolvers.evidence import BlockNotFound
from resolvers.workspace import get_or_raise, llm_key

COMPLETED = "completed"
DURATIONS = (15, 30)
MAX_MESSAGE_CHARS = 4000
MAX_TURNS = 60  # learner and facilitator messages in one session

CHAT_SYSTEM = """You facilitate a GHL score session: a short, private conversation in which a \
learner shows what they understand about one topic. Topic: {topic}. Block: {block}. \
What the learner should show: {description}.
Be Socratic: ask one concise question at a time, follow up on the learner's own words, and do \
not lecture or give answers unless the learner asks. Keep each turn to two or three sentences."""

SCORE_SYSTEM = """You score a GHL session transcript. Choose 3 to 6 markers of understanding \
for the block (ids in snake_case, e.g. conceptual_clarity, causal_reasoning), score each 0-100 \
with a one-sentence rationale quoting the learner, give an overall score 0-100, and a gap \
analysis: a summary, the gaps (title, evidence from the transcript, severity low/medium/high, \
a suggested repair) and what to practise next. Judge only what the learner said."""


class GhlLinkNotFound(NotFound):
    code = "GHL_LINK_NOT_FOUND"


class MarkerScore(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    label: str = Field(min_length=1, max_length=100)
    score: int = Field(ge=0, le=100)
    rationale: str = Field(default="", max_length=2000)


class Gap(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    evidence: str = Field(default="", max_length=2000)
    severity: Literal["low", "medium", "high"]
    suggested_repair: str = Field(default="", max_length=2000)


class GapAnalysis(BaseModel):
    summary: str = Field(max_length=4000)
    gaps: list[Gap] = Field(default_factory=list, max_length=10)
    next_practice: list[str] = Field(default_factory=list, max_length=10)


class Scoring(BaseModel):
    """What the model must return when it scores a session."""

    overall_score: int = Field(ge=0, le=100)
    marker_scores: list[MarkerScore] = Field(min_length=1, max_length=10)
    gap_analysis: GapAnalysis
    summary: str = Field(default="", max_length=4000)


@dataclass(frozen=True)
class CreatedLink:
    link: GhlLink
    token: str


def topic(link_id: uuid.UUID) -> str:
    return f"ghl_link:{link_id}"


def private_url(ctx: Context, link: GhlLink) -> str:
    token = secrets_box.decrypt(ctx.settings.secret_key, link.token_ciphertext)
    return f"{ctx.settings.public_url.rstrip('/')}/ghl-score/session/{token}"


def duration_seconds(minutes: Any) -> int:
    """15 or 30 minutes; anything else is 15, as the contract says."""
    is_int = isinstance(minutes, int) and not isinstance(minutes, bool)
    return (minutes if is_int and minutes in DURATIONS else 15) * 60


async def _assignee(ctx: Context, *, workspace: Workspace, guest_user_id: uuid.UUID | None,
                    guest_email: str | None) -> uuid.UUID | None:
    """The guest a new link is for: a guest key's own self; an org admin's choice."""
    if ctx.viewer.guest_id is not None:
        return ctx.viewer.guest_id
    if guest_user_id is None and not guest_email:
        return None
    membership = await organization.get_membership(ctx)
    if membership is None or not membership.is_admin or \
            membership.organization.id != workspace.organization_id:
        raise Forbidden("Only an organization admin may assign a link to a guest")
    org_id = membership.organization.id
    async with ctx.db.session() as session:
        if guest_user_id is not None:
            guest = (await session.execute(select(OrganizationGuest.id).where(
                OrganizationGuest.id == guest_user_id,
                OrganizationGuest.organization_id == org_id))).scalar_one_or_none()
        else:
            email = normalize_email(guest_email or "")
            guest = (await session.execute(select(OrganizationGuest.id).where(
                OrganizationGuest.organization_id == org_id,
                func.lower(OrganizationGuest.email) == email.lower()))).scalar_one_or_none()
    if guest is None:
        raise NotFound("Guest not found in this organization", code="GUEST_NOT_FOUND")
    return guest


async def create_link(ctx: Context, *, workspace_id: uuid.UUID, block_id: uuid.UUID,
                      minutes: Any = 15, guest_user_id: uuid.UUID | None = None,
                      guest_email: str | None = None) -> CreatedLink:
    """A private link for one block of a workspace the viewer may read."""
    workspace = await get_or_raise(ctx, workspace_id=workspace_id)
    async with ctx.db.session() as session:
        block = (await session.execute(select(WorkspaceBlock.id).where(
            WorkspaceBlock.id == block_id, WorkspaceBlock.workspace_id == workspace_id))
        ).scalar_one_or_none()
    if block is None:
        raise BlockNotFound("Block not found in this workspace")
    guest = await _assignee(ctx, workspace=workspace, guest_user_id=guest_user_id,
                            guest_email=guest_email)
    token = secrets.token_urlsafe(32)
    link = GhlLink(id=uuid.uuid4(), workspace_id=workspace_id, block_id=block_id,
                   created_by=ctx.viewer.user_id, guest_user_id=guest,
                   token_hash=api_keys.hash_token(token),
                   token_ciphertext=secrets_box.encrypt(ctx.settings.secret_key, token),
                   requested_duration_seconds=duration_seconds(minutes))
    async with ctx.db.transaction() as session:
        session.add(link)
    return CreatedLink(link=link, token=token)


def visible_rule(viewer: Viewer):
    """Which links the viewer sees (see the module's docstring), as a SQL condition on
    the links table, for the resolvers and planned reads alike (the workspace's own rule
    applies besides)."""
    if viewer.is_admin:
        return true()
    if viewer.guest_id is not None:
        return GhlLink.guest_user_id == VIEWER_GUEST_ID
    administered = select(Workspace.id).join(
        OrganizationMember, OrganizationMember.organization_id == Workspace.organization_id
    ).where(OrganizationMember.user_id == VIEWER_ID, OrganizationMember.is_admin.is_(True))
    return or_(GhlLink.workspace_id.in_(administered), GhlLink.created_by == VIEWER_ID)


def completed(status: Any) -> Any:
    """Whether a link's session is completed (its scores are shown then): of a status, or
    of a status column as a SQL condition."""
    return status == COMPLETED


async def get_all(ctx: Context, *, workspace_id: uuid.UUID) -> list[GhlLink]:
    """The workspace's links the viewer sees, newest first."""
    await get_or_raise(ctx, workspace_id=workspace_id)
    async with ctx.db.session() as session:
        return list((await session.execute(select(GhlLink).where(
            GhlLink.workspace_id == workspace_id, visible_rule(ctx.viewer)).order_by(
            GhlLink.created_at.desc(), GhlLink.id), viewer_params(ctx.viewer))).scalars())


async def get_or_raise_link(ctx: Context, *, workspace_id: uuid.UUID,
                            link_id: uuid.UUID) -> GhlLink:
    """One link the viewer sees (with its result once completed)."""
    await get_or_raise(ctx, workspace_id=workspace_id)
    async with ctx.db.session() as session:
        link = (await session.execute(select(GhlLink).where(
            GhlLink.id == link_id, GhlLink.workspace_id == workspace_id,
            visible_rule(ctx.viewer)), viewer_params(ctx.viewer))).scalar_one_or_none()
    if link is None:
        raise GhlLinkNotFound("GHL link not found")
    return link


# ----------------------------------------------------------------- the learner's side


@dataclass(frozen=True)
class _Session:
    link: GhlLink
    workspace: Workspace
    block: WorkspaceBlock


async def _open(ctx: Context, token: str) -> _Session:
    if not token or len(token) > 200:
        raise GhlLinkNotFound("GHL link not found")
    async with ctx.db.session() as session:
        row = (await session.execute(select(GhlLink, Workspace, WorkspaceBlock)
               .join(Workspace, Workspace.id == GhlLink.workspace_id)
               .join(WorkspaceBlock, WorkspaceBlock.id == GhlLink.block_id)
               .where(GhlLink.token_hash == api_keys.hash_token(token)))).first()
    if row is None:
        raise GhlLinkNotFound("GHL link not found")
    return _Session(*row)


def _expired(link: GhlLink, now: datetime) -> bool:
    return link.expires_at is not None and link.expires_at <= now


def _messages(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transcript as Messages API turns: alternating, starting with the learner."""
    turns: list[dict[str, Any]] = []
    for item in transcript:
        if turns and turns[-1]["role"] == item["role"]:
            turns[-1]["content"] += "\n\n" + item["content"]
        else:
            turns.append({"role": item["role"], "content": item["content"]})
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": "(The learner opened the session.)"})
    return turns


async def _append(ctx: Context, link_id: uuid.UUID, item: dict[str, Any], *,
                  start: bool = False) -> GhlLink:
    async with ctx.db.transaction() as session:
        await xact_lock(session, f"ghl_link:{link_id}")
        link = await session.get(GhlLink, link_id)
        now = datetime.now(UTC)
        if link.status == "completed":
            raise Conflict("This session is already completed", code="GHL_SESSION_COMPLETED")
        if _expired(link, now):
            raise Gone("This session's time is up", code="GHL_SESSION_EXPIRED")
        if len(link.transcript) >= MAX_TURNS:
            raise Validation(f"A session has at most {MAX_TURNS} messages")
        if start and link.started_at is None:
            link.started_at = now
            link.expires_at = now + timedelta(seconds=link.requested_duration_seconds)
        link.transcript = [*link.transcript, {**item, "at": now.isoformat()}]
    return link


@dataclass(frozen=True)
class LearnerSaid:
    """The learner's message, stored, before the facilitator answers it."""

    text: str


@dataclass(frozen=True)
class Delta:
    """A piece of the facilitator's reply, as it is written."""

    text: str


@dataclass(frozen=True)
class ReplyDone:
    """The facilitator's reply, whole and stored."""

    message: str


@dataclass(frozen=True)
class ChatFailed:
    """The turn failed (the model, or the session's time ran out); the session goes on."""

    code: str
    message: str


@dataclass(frozen=True)
class SessionCompleted:
    """The session was completed and scored; no turn follows."""


ChatEvent = LearnerSaid | Delta | ReplyDone | ChatFailed | SessionCompleted


def chat_topic(link_id: uuid.UUID) -> str:
    """The broker topic carrying a session's turns to every instance."""
    return f"ghl_chat:{link_id}"


def _chat_message(event: ChatEvent) -> dict[str, Any]:
    if isinstance(event, LearnerSaid):
        return {"type": "learner", "text": event.text}
    if isinstance(event, Delta):
        return {"type": "delta", "text": event.text}
    if isinstance(event, ReplyDone):
        return {"type": "done", "message": event.message}
    if isinstance(event, ChatFailed):
        return {"type": "error", "code": event.code, "message": event.message}
    return {"type": "completed"}


def _chat_event(message: dict[str, Any]) -> ChatEvent | None:
    kind = message.get("type")
    if kind == "learner":
        return LearnerSaid(message["text"])
    if kind == "delta":
        return Delta(message["text"])
    if kind == "done":
        return ReplyDone(message["message"])
    if kind == "error":
        return ChatFailed(code=message["code"], message=message["message"])
    if kind == "completed":
        return SessionCompleted()
    return None


async def chat_stream(ctx: Context, *, token: str, message: str | None) -> AsyncIterator[str]:
    """The facilitator's next turn, streamed; the learner's message (if any) and the
    reply are added to the transcript (the reply before the stream ends). The turn is
    also published on the session's topic, for ``chat_events`` on any instance."""
    opened = await _open(ctx, token)
    text = (message or "").strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise Validation(f"message must be at most {MAX_MESSAGE_CHARS} characters",
                         details={"field": "message"})
    if not text and opened.link.transcript:
        raise Validation("message is required once the session has begun",
                         details={"field": "message"})
    link = await _append(ctx, opened.link.id, {"role": "user", "content": text},
                         start=True) if text else opened.link
    if not text:  # the opening question starts the clock too
        link = await _start(ctx, link.id)
    key = await llm_key(ctx, opened.workspace.organization_id, opened.workspace.owner_user_id)
    system = CHAT_SYSTEM.format(topic=opened.workspace.root_topic[:500],
                                block=opened.block.title,
                                description=opened.block.description[:1000])
    async with ctx.broker.stream(chat_topic(link.id)) as out:
        if text:
            out.send(_chat_message(LearnerSaid(text)))
        parts: list[str] = []
        try:
            async for delta in ctx.llm.stream_text(api_key=key, system=system,
                                                   messages=_messages(link.transcript),
                                                   max_tokens=400):
                parts.append(delta)
                out.send(_chat_message(Delta(delta)))
                yield delta
            reply = "".join(parts)
            await _append(ctx, link.id, {"role": "assistant", "content": reply})
        except DomainError as exc:
            out.send(_chat_message(ChatFailed(code=exc.code, message=exc.message)))
            raise
        except Exception:
            out.send(_chat_message(ChatFailed(code="INTERNAL_SERVER_ERROR",
                                              message="Internal server error")))
            raise
        out.send(_chat_message(ReplyDone(reply)))


async def chat_events(ctx: Context, *, token: str) -> AsyncIterator[ChatEvent]:
    """The session's turns as they are published (by any instance), for the holder of
    its private token; ends once the session is completed."""
    opened = await _open(ctx, token)
    async with ctx.broker.subscribe(chat_topic(opened.link.id)) as messages:
        if opened.link.status == "completed":
            yield SessionCompleted()
            return
        async for message in messages:
            event = _chat_event(message)
            if event is None:
                continue
            yield event
            if isinstance(event, SessionCompleted):
                return


async def _start(ctx: Context, link_id: uuid.UUID) -> GhlLink:
    async with ctx.db.transaction() as session:
        await xact_lock(session, f"ghl_link:{link_id}")
        link = await session.get(GhlLink, link_id)
        if link.status == "completed":
            raise Conflict("This session is already completed", code="GHL_SESSION_COMPLETED")
        if link.started_at is None:
            link.started_at = datetime.now(UTC)
            link.expires_at = link.started_at + timedelta(
                seconds=link.requested_duration_seconds)
    return link


async def chat(ctx: Context, *, token: str, message: str | None) -> str:
    """The facilitator's next turn, whole."""
    return "".join([d async for d in chat_stream(ctx, token=token, message=message)])


async def complete(ctx: Context, *, token: str) -> GhlLink:
    """Score the session with the model, store the result and announce it."""
    opened = await _open(ctx, token)
    link = opened.link
    if link.status == "completed":
        raise Conflict("This session is already completed", code="GHL_SESSION_COMPLETED")
    if not any(t["role"] == "user" and t["content"] for t in link.transcript):
        raise Validation("The learner has not said anything yet")
    lines = "\n".join(f"{'Learner' if t['role'] == 'user' else 'Facilitator'}: {t['content']}"
                      for t in link.transcript)
    key = await llm_key(ctx, opened.workspace.organization_id, opened.workspace.owner_user_id)
    scoring = await ctx.llm.complete_structured(
        api_key=key, system=SCORE_SYSTEM, output=Scoring, tool_name="score_session",
        description="The session's marker scores and gap analysis.",
        messages=[{"role": "user", "content": f"Topic: {opened.workspace.root_topic[:500]}\n"
                   f"Block: {opened.block.title}\n{opened.block.description[:1000]}\n\n"
                   f"Transcript:\n{lines}"}])
    async with ctx.db.transaction() as session:
        await xact_lock(session, f"ghl_link:{link.id}")
        link = await session.get(GhlLink, link.id)
        if link.status == "completed":
            raise Conflict("This session is already completed", code="GHL_SESSION_COMPLETED")
        link.status = "completed"
        link.completed_at = datetime.now(UTC)
        link.overall_score = scoring.overall_score
        link.marker_scores = [m.model_dump() for m in scoring.marker_scores]
        link.gap_analysis = scoring.gap_analysis.model_dump()
        link.analysis = {"summary": scoring.summary,
                         "learner_turns": sum(t["role"] == "user" for t in link.transcript)}
    await ctx.broker.publish(topic(link.id), {"kind": "GHL_COMPLETED", "link_id": str(link.id)})
    await ctx.broker.publish(chat_topic(link.id), _chat_message(SessionCompleted()))
    return link


async def completions(ctx: Context, *, workspace_id: uuid.UUID,
                      link_id: uuid.UUID) -> AsyncIterator[GhlLink]:
    """The link once it is completed (at once if it already is), for a viewer who sees it."""
    link = await get_or_raise_link(ctx, workspace_id=workspace_id, link_id=link_id)
    async with ctx.broker.subscribe(topic(link_id)) as events:
        if link.status != "completed":
            async for _ in events:
                link = await get_or_raise_link(ctx, workspace_id=workspace_id, link_id=link_id)
                if link.status == "completed":
                    break
    yield link


