"""Feature requests: learners submit them, instructors and admins triage them.

A request belongs to its author; the author sees their own, instructors and
platform admins see and update every request. Lists are newest first
(``created_at`` then ``id``, both descending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, false, func, null, or_, select, true

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import NotFound, Validation
from core.pagination import decode_cursor, encode_cursor, page_size
from core.planning import VIEWER_ID
from models.feedback import FEATURE_REQUEST_STATUSES, FeatureRequest
from models.user import User
from resolvers.access import is_staff
from resolvers.changes import OMITTED
from resolvers.pages import Page, page_of_fetched

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000


@dataclass(frozen=True)
class FeatureRequestRow:
    """A feature request with the author fields every face shows."""

    request: FeatureRequest
    user_number: int
    user_email: str | None
    user_name: str


@dataclass(frozen=True)
class FeatureRequestPage:
    """An offset page (the REST face) with the total number of matches."""

    rows: list[FeatureRequestRow]
    total: int


def author_email(ctx: Context, row: FeatureRequestRow) -> str | None:
    """The author's email for the author themself, instructors and admins; None for others."""
    if is_staff(ctx.viewer) or (ctx.viewer.user_id is not None
                                and ctx.viewer.user_id == row.request.user_id):
        return row.user_email
    return None


def visible_rule(viewer):
    """Who reads a request by id (``get_many``): its author, instructors and admins, as a
    SQL condition on requests (for a signed-in viewer: others are refused)."""
    if is_staff(viewer):
        return true()
    return FeatureRequest.user_id == VIEWER_ID if viewer.user_id is not None else false()


def may_triage(viewer) -> bool:
    """Who lists every request (``get_connection``'s ``mine=False``)."""
    return viewer.user_id is not None and is_staff(viewer)


def author_value(column):
    """A column of a request's author, as a SQL expression on requests."""
    return select(column).where(User.id == FeatureRequest.user_id).scalar_subquery()


def author_email_value(viewer):
    """``author_email`` as a SQL expression on requests."""
    return author_value(User.email) if is_staff(viewer) else (
        select(User.email).where(User.id == FeatureRequest.user_id,
                                 FeatureRequest.user_id == VIEWER_ID).scalar_subquery()
        if viewer.user_id is not None else null())


def _check_text(title: str, description: str) -> None:
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise Validation(f"Title must be between {TITLE_MIN} and {TITLE_MAX} characters",
                         details={"field": "title"})
    if not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
        raise Validation(f"Description must be between {DESCRIPTION_MIN} and {DESCRIPTION_MAX} "
                         "characters", details={"field": "description"})


def _check_status(status: str | None) -> None:
    if status is not None and status not in FEATURE_REQUEST_STATUSES:
        raise Validation(f"Status must be one of: {', '.join(FEATURE_REQUEST_STATUSES)}",
                         details={"field": "status"})


def _base_query() -> Select:
    return select(FeatureRequest, User.number, User.email, User.display_name).join(
        User, User.id == FeatureRequest.user_id)


def _row(row) -> FeatureRequestRow:
    request, number, email, name = row
    return FeatureRequestRow(request=request, user_number=number, user_email=email,
                             user_name=name)


def _scoped(ctx: Context, *, mine: bool, status: str | None) -> Select:
    """The listing query for the viewer: their own requests, or all (instructor+)."""
    if mine:
        query = _base_query().where(FeatureRequest.user_id == ctx.viewer.require_user())
    else:
        ctx.viewer.require_role(ROLE_INSTRUCTOR)
        query = _base_query()
    _check_status(status)
    if status is not None:
        query = query.where(FeatureRequest.status == status)
    return query


async def create(ctx: Context, *, title: str, description: str) -> FeatureRequestRow:
    """Submit a feature request as the viewer; it starts as pending."""
    user_id = ctx.viewer.require_user()
    _check_text(title, description)
    async with ctx.db.transaction() as session:
        request = FeatureRequest(user_id=user_id, title=title, description=description,
                                 status="pending")
        session.add(request)
        await session.flush()
        await session.refresh(request)
        row = (await session.execute(_base_query().where(
            FeatureRequest.id == request.id))).one()
    return _row(row)


async def get_all(ctx: Context, *, mine: bool, status: str | None = None, skip: int = 0,
                  limit: int = 20) -> FeatureRequestPage:
    """The viewer's requests (``mine``) or every request (instructor+), offset-paginated."""
    query = _scoped(ctx, mine=mine, status=status)
    async with ctx.db.session() as session:
        total = (await session.execute(
            select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(
            FeatureRequest.created_at.desc(), FeatureRequest.id.desc())
            .offset(skip).limit(limit))).all()
    return FeatureRequestPage(rows=[_row(r) for r in rows], total=total)


def _cursor(request: FeatureRequest) -> str:
    return encode_cursor([request.created_at.isoformat(), request.id])


async def get_connection(ctx: Context, *, mine: bool, status: str | None = None,
                         first: int | None = None,
                         after: str | None = None) -> Page:
    """Like ``get_all`` but keyset-paginated forwards for GraphQL connections."""
    query = total = _scoped(ctx, mine=mine, status=status)
    size = page_size(first, None)
    if after:
        try:
            created, ident = decode_cursor(after)
            key = (datetime.fromisoformat(created), int(ident))
        except (ValueError, TypeError) as exc:
            raise Validation("Invalid cursor") from exc
        query = query.where(or_(FeatureRequest.created_at < key[0],
                                and_(FeatureRequest.created_at == key[0],
                                     FeatureRequest.id < key[1])))
    async with ctx.db.session() as session:
        rows = (await session.execute(query.order_by(
            FeatureRequest.created_at.desc(), FeatureRequest.id.desc()).limit(size + 1))).all()
    return page_of_fetched([_row(r) for r in rows], size, after=after,
                           cursor=lambda r: _cursor(r.request), total=total)


async def get_many(ctx: Context, *, ids: list[int | None]) -> list[FeatureRequestRow | None]:
    """Requests by id in the order asked; None where missing or not the viewer's to see."""
    user_id = ctx.viewer.require_user()
    wanted = [i for i in ids if i is not None]
    async with ctx.db.session() as session:
        rows = (await session.execute(_base_query().where(
            FeatureRequest.id.in_(wanted)))).all() if wanted else []
    triage = is_staff(ctx.viewer)
    found = {r.request.id: r for r in map(_row, rows)
             if triage or r.request.user_id == user_id}
    return [found.get(i) if i is not None else None for i in ids]


async def update(ctx: Context, *, feature_request_id: int, status: str | None = None,
                 admin_notes: str | None = OMITTED) -> FeatureRequestRow:
    """Change a request's status and/or admin notes (instructor+); either may be omitted."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    _check_status(status)
    async with ctx.db.transaction() as session:
        request = await session.get(FeatureRequest, feature_request_id,
                                    with_for_update={"key_share": True})
        if request is None:
            raise NotFound("Feature request not found")
        if status is not None:
            request.status = status
        if admin_notes is not OMITTED:
            request.admin_notes = admin_notes
        await session.flush()
        await session.refresh(request)
        row = (await session.execute(_base_query().where(
            FeatureRequest.id == request.id))).one()
    return _row(row)

