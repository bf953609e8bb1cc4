"""The history of prompt labels: every move of a label from one version to another,
onto a new version, or off the name (removed), with who did it and when.

Each write to a name's labels (``resolvers/prompts.py``) takes the name's lock,
reads where its labels are, makes its change and calls :func:`record_changes`,
which stores one event per label whose version changed, ``latest`` included.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import NotFound
from models.prompts import Prompt, PromptLabelEvent
from models.user import User


@dataclass(frozen=True)
class LabelEvent:
    event: PromptLabelEvent
    actor_number: int | None
    actor_name: str | None


@dataclass(frozen=True)
class HistoryPage:
    events: list[LabelEvent]
    total: int


async def holders(session: AsyncSession, name: str) -> dict[str, int]:
    """Each label of ``name`` and the version carrying it."""
    label = func.unnest(Prompt.labels).label("label")
    rows = (await session.execute(select(label, Prompt.version).where(
        Prompt.name == name))).all()
    return {row.label: row.version for row in rows}


async def record_changes(session: AsyncSession, name: str, before: dict[str, int],
                         *, actor: object) -> None:
    """One event per label of ``name`` that moved, appeared or went since ``before``."""
    await session.flush()
    after = await holders(session, name)
    events = [PromptLabelEvent(name=name, label=label, from_version=before.get(label),
                               to_version=after.get(label), actor_id=actor)
              for label in sorted(set(before) | set(after))
              if before.get(label) != after.get(label)]
    session.add_all(events)


async def get_history(ctx: Context, *, name: str, label: str | None = None, offset: int = 0,
                      limit: int = 50) -> HistoryPage:
    """A name's label events, newest first (optionally of one label); NotFound when the name
    never had any."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    conditions = [PromptLabelEvent.name == name]
    if label is not None:
        conditions.append(PromptLabelEvent.label == label)
    async with ctx.db.read() as db:
        total = (await db.execute(select(func.count()).select_from(PromptLabelEvent).where(
            *conditions))).scalar_one()
        if not total and not (await db.execute(select(func.count()).select_from(
                PromptLabelEvent).where(PromptLabelEvent.name == name))).scalar_one():
            raise NotFound(f"Prompt not found: '{name}'")
        rows = (await db.execute(
            select(PromptLabelEvent, User.number, User.display_name)
            .outerjoin(User, User.id == PromptLabelEvent.actor_id).where(*conditions)
            .order_by(PromptLabelEvent.id.desc()).offset(offset).limit(limit))).all()
    return HistoryPage(events=[LabelEvent(e, n, d) for e, n, d in rows], total=total)
