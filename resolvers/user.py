"""Users: reading profiles, listing accounts, roles and the learner's dashboard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select, true

from core.auth.viewer import ROLE_PLATFORM_ADMIN, ROLES
from core.context import Context
from core.errors import Forbidden, NotFound, Validation
from core.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor, page_size
from core.planning import VIEWER_ID
from loaders.user import UserByIdLoader
from models.course import Course, CourseOffering, Enrollment, UserSubjectPreference
from models.learning import LearningActivity
from models.user import User
from resolvers.access import is_self_or_admin
from resolvers.activity import current_streak
from resolvers.enrollments import EnrollmentView
from resolvers.pages import Page, page_by_id

# Email and settings are for the user themself and platform admins.
can_see_private = is_self_or_admin


def private_rule(viewer):
    """``can_see_private`` as a SQL condition on users, for planned reads."""
    if viewer.is_admin:
        return true()
    return User.id == VIEWER_ID if viewer.user_id is not None else false()


def may_list_all(viewer) -> bool:
    """Whether the viewer may list every account (``get_all``, planned reads too): platform
    admins."""
    return viewer.user_id is not None and viewer.is_admin


async def get(ctx: Context, *, user_id: uuid.UUID) -> User | None:
    """One user by id, through the request's loader."""
    return await ctx.loaders.get(UserByIdLoader).load(user_id)


async def get_many(ctx: Context, *, user_ids: list[uuid.UUID | None]) -> list[User | None]:
    """Users by id in one batch, in the order asked (None where missing)."""
    wanted = [i for i in user_ids if i is not None]
    found = dict(zip(wanted, await ctx.loaders.get(UserByIdLoader).load_many(wanted),
                     strict=True))
    return [found.get(i) if i is not None else None for i in user_ids]


def _cursor(user: User) -> str:
    return encode_cursor([user.created_at.isoformat(), str(user.id)])


async def get_all(ctx: Context, *, first: int | None = None, after: str | None = None,
                  last: int | None = None, before: str | None = None) -> Page:
    """Accounts in sign-up order, keyset-paginated; platform admins only."""
    if not may_list_all(ctx.viewer):
        ctx.viewer.require_user()
        raise Forbidden("You do not have permission to do this")
    size = page_size(first, last)
    forward = last is None
    query = total = select(User)
    cursor = after if forward else before
    if cursor:
        try:
            created, ident = decode_cursor(cursor)
            key = (datetime.fromisoformat(created), uuid.UUID(ident))
        except (ValueError, TypeError, AttributeError) as exc:
            raise Validation("Invalid cursor") from exc
        if forward:
            query = query.where(or_(User.created_at > key[0],
                                    and_(User.created_at == key[0], User.id > key[1])))
        else:
            query = query.where(or_(User.created_at < key[0],
                                    and_(User.created_at == key[0], User.id < key[1])))
    order = (User.created_at, User.id) if forward else (User.created_at.desc(), User.id.desc())
    async with ctx.db.session() as session:
        users = list((await session.execute(query.order_by(*order).limit(size + 1))).scalars())
    more = len(users) > size
    users = users[:size]
    if not forward:
        users.reverse()
    loader = ctx.loaders.get(UserByIdLoader)
    for user in users:
        loader.prime(user.id, user)
    return Page(items=users, cursors=[_cursor(u) for u in users],
                has_next=more if forward else bool(before),
                has_previous=bool(after) if forward else more, total=total)


AVATAR_MAX_BYTES = 2 * 1024 * 1024
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def image_extension(data: bytes) -> str | None:
    """The image type by its leading bytes (the declared content type is not trusted)."""
    for signature, extension in _IMAGE_SIGNATURES:
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


async def set_avatar(ctx: Context, *, data: bytes) -> User:
    """Store an uploaded avatar image for the viewer and point their profile at it."""
    user_id = ctx.viewer.require_user()
    if not data:
        raise Validation("The uploaded file is empty", details={"field": "file"})
    if len(data) > AVATAR_MAX_BYTES:
        raise Validation("Avatar images must be at most 2 MiB", details={"field": "file"})
    extension = image_extension(data)
    if extension is None:
        raise Validation("Avatar must be a PNG, JPEG, GIF or WebP image",
                         details={"field": "file"})
    key = f"avatars/{user_id}-{uuid.uuid4().hex[:12]}.{extension}"
    url = await ctx.storage.save(key, data)
    async with ctx.db.transaction() as session:
        user = await session.get(User, user_id, with_for_update={"key_share": True})
        previous = ctx.storage.key_for_url(user.avatar_url)
        user.avatar_url = url
    if previous:
        await ctx.storage.delete(previous)
    ctx.loaders.get(UserByIdLoader).clear(user_id).prime(user_id, user)
    return user


async def get_by_number_or_raise(ctx: Context, *, number: int) -> User:
    """The user shown as ``number`` on the course platform; NotFound when none."""
    ctx.viewer.require_user()
    async with ctx.db.session() as session:
        user = (await session.execute(select(User).where(User.number == number))
                ).scalar_one_or_none()
    if user is None:
        raise NotFound("User not found")
    ctx.loaders.get(UserByIdLoader).prime(user.id, user)
    return user


async def get_all_by_offset(ctx: Context, *, skip: int = 0, limit: int = 100) -> list[User]:
    """Accounts ordered by their platform number, offset-paginated; any signed-in user."""
    ctx.viewer.require_user()
    if skip < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise Validation(f"skip must be >= 0 and limit 1 to {MAX_PAGE_SIZE}")
    async with ctx.db.session() as session:
        return list((await session.execute(
            select(User).order_by(User.number).offset(skip).limit(limit))).scalars())


async def get_directory_page(ctx: Context, *, first: int | None = None, after: str | None = None,
                             last: int | None = None, before: str | None = None) -> Page:
    """Accounts ordered by platform number, for any signed-in user (private fields hidden
    by the usual rule)."""
    ctx.viewer.require_user()
    async with ctx.db.session() as session:
        page = await page_by_id(session, select(User), User.number, first=first, after=after,
                                last=last, before=before)
    loader = ctx.loaders.get(UserByIdLoader)
    for user in page.items:
        loader.prime(user.id, user)
    return page


async def set_roles(ctx: Context, *, user_id: uuid.UUID, roles: list[str]) -> User:
    """Replace a user's roles (platform admins only); roles must be known ones."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise Validation(f"Unknown roles: {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(ROLES)})",
                         details={"field": "roles"})
    async with ctx.db.transaction() as session:
        user = await session.get(User, user_id, with_for_update={"key_share": True})
        if user is None:
            raise NotFound("User not found")
        user.roles = sorted(set(roles))
        await session.flush()
        await session.refresh(user)
    ctx.loaders.get(UserByIdLoader).clear(user_id).prime(user_id, user)
    return user


RECOMMENDED_LIMIT = 5
RECENT_ACTIVITY_LIMIT = 10


@dataclass
class Overview:
    """The learner's dashboard."""

    active_enrollments: list[EnrollmentView]
    recommended_courses: list[Course]
    recent_activity: list[LearningActivity]
    completed_courses: int
    current_streak: int


async def get_overview(ctx: Context) -> Overview:
    """Active enrollments, courses to try next, latest activity and the viewer's stats."""
    user_id = ctx.viewer.require_user()
    async with ctx.db.session() as session:
        user = await session.get(User, user_id)
        rows = await session.execute(
            select(Enrollment, CourseOffering, Course)
            .join(CourseOffering, CourseOffering.id == Enrollment.course_offering_id)
            .join(Course, Course.id == CourseOffering.course_id)
            .where(Enrollment.user_id == user_id, Enrollment.status == "ACTIVE")
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()))
        active = [EnrollmentView(enrollment=e, offering=o, course=c, user_number=user.number)
                  for e, o, c in rows]
        enrolled_courses = (select(CourseOffering.course_id)
                            .join(Enrollment, Enrollment.course_offering_id == CourseOffering.id)
                            .where(Enrollment.user_id == user_id))
        preferred = (select(UserSubjectPreference.subject_id)
                     .where(UserSubjectPreference.user_id == user_id))
        recommended = list((await session.execute(
            select(Course).where(Course.is_published.is_(True),
                                 Course.primary_subject_id.in_(preferred),
                                 Course.id.not_in(enrolled_courses))
            .order_by(Course.created_at.desc(), Course.id.desc())
            .limit(RECOMMENDED_LIMIT))).scalars())
        recent = list((await session.execute(
            select(LearningActivity).where(LearningActivity.user_id == user_id)
            .order_by(LearningActivity.occurred_at.desc(), LearningActivity.id.desc())
            .limit(RECENT_ACTIVITY_LIMIT))).scalars())
        completed = (await session.execute(
            select(func.count()).select_from(Enrollment)
            .where(Enrollment.user_id == user_id, Enrollment.status == "COMPLETED"))).scalar_one()
    return Overview(active_enrollments=active, recommended_courses=recommended,
                    recent_activity=recent, completed_courses=completed,
                    current_streak=current_streak(user))
