"""Workshop sessions: the facilitator's sign-in, attendee registration, who is signed in,
and the attendee list.

The facilitator account is the deployment's configuration (an id and a
password); signing in with it acts as one User (an INSTRUCTOR), created the
first time and linked in ``codelab_facilitators``. An attendee registers to one
codelab with its attendance code and becomes a guest User (no email, no
password) enrolled in the codelab's offering; the attendee's email, if given,
is unique within the codelab. Both get an ordinary sign-in session, so their
cookie resolves to the Viewer like every other credential.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.exc import IntegrityError

from core import ratelimit
from core.auth.viewer import ROLE_INSTRUCTOR, Viewer
from core.context import Context
from core.errors import (
    Conflict,
    Forbidden,
    NotConfigured,
    NotFound,
    Unauthenticated,
    Validation,
)
from core.planning import VIEWER_ID
from loaders.catalog import CourseByIdLoader
from loaders.codelab import CodelabByCourseIdLoader
from models.codelab import CodelabAttendee, CodelabFacilitator
from models.course import Course, Enrollment
from models.user import User
from resolvers import auth, codelab_audit, codelabs
from resolvers.catalog import is_unique_violation
from resolvers.codelabs import CodelabView

NAME_MAX = 100
EMAIL_MAX = 320
ROLE_ADMIN = "admin"
ROLE_ATTENDEE = "attendee"
DUPLICATE_EMAIL = "An attendee with this email is already registered in this codelab"


@dataclass(frozen=True)
class Attendee:
    """An attendee as every face shows it."""

    row: CodelabAttendee
    enrollment: Enrollment
    name: str

    @property
    def is_completed(self) -> bool:
        return self.enrollment.status == "COMPLETED"


@dataclass(frozen=True)
class Registration:
    attendee: Attendee
    session: auth.CookieSession


@dataclass(frozen=True)
class SessionInfo:
    """Who is signed in to the workshop face: ``sub`` is the facilitator's account id or
    the attendee's user id."""

    sub: str
    role: str
    codelab_id: int | None
    attendee_user_id: uuid.UUID | None
    expires_at: datetime | None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def facilitator_login(ctx: Context, *, admin_id: str,
                            admin_password: str) -> auth.CookieSession:
    """Check the configured facilitator credentials and open a session for their User."""
    settings = ctx.settings
    if not settings.codelabs_admin_password:
        raise NotConfigured("Facilitator login is not configured")
    # Per address and per account, as every sign-in (the facilitator is one account
    # that anyone on the network can try).
    account = await auth.count_sign_in(ctx, account=admin_id, action="codelabs-login")
    id_ok = _same(admin_id, settings.codelabs_admin_id)
    if not (_same(admin_password, settings.codelabs_admin_password) and id_ok):
        raise Unauthenticated("Invalid credentials")
    await auth.sign_in_succeeded(ctx, key=account)
    user = await _facilitator_user(ctx, settings.codelabs_admin_id)
    async with ctx.db.transaction() as session:
        codelab_audit.record(session, ctx, action=codelab_audit.LOGIN, actor=user,
                             target_id=settings.codelabs_admin_id)
    return await auth.start_cookie_session(ctx, user,
                                           ttl_seconds=settings.session_cookie_ttl_seconds)


async def _facilitator_user(ctx: Context, admin_id: str) -> User:
    async with ctx.db.transaction() as session:
        link = await session.get(CodelabFacilitator, admin_id, with_for_update=True)
        if link is not None:
            user = await session.get(User, link.user_id)
            if not user.is_active:
                raise Forbidden("Inactive user")
            return user
        user = User(display_name=admin_id, roles=[ROLE_INSTRUCTOR])
        session.add(user)
        await session.flush()
        session.add(CodelabFacilitator(admin_id=admin_id, user_id=user.id))
    return user


async def facilitator_account_id(ctx: Context) -> str | None:
    """The configured account id the viewer signed in as, if it did."""
    if ctx.viewer.user_id is None:
        return None
    async with ctx.db.session() as session:
        return (await session.execute(select(CodelabFacilitator.admin_id).where(
            CodelabFacilitator.user_id == ctx.viewer.user_id))).scalar_one_or_none()


async def current_session(ctx: Context) -> SessionInfo:
    """The viewer's workshop identity: an attendee of one codelab, or a facilitator (an
    instructor or platform admin); Unauthenticated for anyone else."""
    user_id = ctx.viewer.user_id
    if user_id is None:
        raise Unauthenticated("Login required")
    expires_at = await auth.session_expires_at(ctx)
    attendee = await codelabs.viewer_attendee(ctx)
    if attendee is not None:
        return SessionInfo(sub=str(user_id), role=ROLE_ATTENDEE, codelab_id=attendee.course_id,
                           attendee_user_id=user_id, expires_at=expires_at)
    if ctx.viewer.is_admin or ctx.viewer.has_role(ROLE_INSTRUCTOR):
        account = await facilitator_account_id(ctx)
        return SessionInfo(sub=account or str(user_id), role=ROLE_ADMIN, codelab_id=None,
                           attendee_user_id=None, expires_at=expires_at)
    raise Unauthenticated("Login required")


def _check_registration(name: str, code: str, email: str | None) -> str | None:
    if not name.strip() or len(name) > NAME_MAX or "\x00" in name:
        raise Validation(f"name must be 1 to {NAME_MAX} characters", details={"field": "name"})
    if not code or len(code) > codelabs.CODE_MAX:
        raise Validation("code is required", details={"field": "code"})
    if email is None or not email.strip():
        return None
    if len(email) > EMAIL_MAX:
        raise Validation("Invalid email address", details={"field": "email"})
    return auth.normalize_email(email)


async def register(ctx: Context, *, codelab_id: int, name: str, code: str,
                   email: str | None) -> Registration:
    """Register to a codelab with its attendance code; the registrant becomes a guest
    user enrolled in it, signed in. Wrong codes are rate limited per address."""
    email = _check_registration(name, code, email)
    view = await _registrable(ctx, codelab_id)
    if not _same(code.strip(), view.codelab.attendance_code):
        await ratelimit.hit(ctx.db, key=f"codelabs-code:{ctx.client_ip}",
                            limit=ctx.settings.rate_limit_login,
                            window_seconds=ctx.settings.rate_limit_window_seconds)
        raise Forbidden("Invalid attendance code")
    user = User(display_name=name.strip(), roles=[])
    try:
        async with ctx.db.transaction() as session:
            session.add(user)
            await session.flush()
            enrollment = Enrollment(user_id=user.id, course_offering_id=view.codelab.offering_id,
                                    status="ACTIVE")
            session.add(enrollment)
            await session.flush()
            row = CodelabAttendee(enrollment_id=enrollment.id, course_id=codelab_id,
                                  user_id=user.id, email=email, current_step=1)
            session.add(row)
            await session.flush()
            await session.refresh(enrollment)
            await session.refresh(row)
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(DUPLICATE_EMAIL) from None
        raise
    cookie = await auth.start_cookie_session(
        ctx, user, ttl_seconds=ctx.settings.codelabs_attendee_session_ttl_seconds)
    return Registration(attendee=Attendee(row=row, enrollment=enrollment, name=user.display_name),
                        session=cookie)


async def _registrable(ctx: Context, codelab_id: int) -> CodelabView:
    """The codelab to register to: public ones by anyone, private ones too (the code is
    the key), but never one that does not exist."""
    course = await ctx.loaders.get(CourseByIdLoader).load(codelab_id)
    codelab = await ctx.loaders.get(CodelabByCourseIdLoader).load(codelab_id)
    if course is None or codelab is None:
        raise NotFound(codelabs.CODELAB_NOT_FOUND)
    return CodelabView(course=course, codelab=codelab)


async def get_all(ctx: Context, *, codelab_id: int) -> list[Attendee]:
    """A codelab's attendees, newest first: for its facilitators and its own attendees
    (attendees do not see each other's email)."""
    view = await codelabs.get(ctx, codelab_id=codelab_id)
    await codelabs.require_member(ctx, view)
    async with ctx.db.session() as session:
        rows = (await session.execute(
            select(CodelabAttendee, Enrollment, User.display_name)
            .join(Enrollment, Enrollment.id == CodelabAttendee.enrollment_id)
            .join(User, User.id == CodelabAttendee.user_id)
            .where(CodelabAttendee.course_id == codelab_id)
            .order_by(Enrollment.enrolled_at.desc(), Enrollment.id.desc()))).all()
    return [Attendee(row=r, enrollment=e, name=n) for r, e, n in rows]


def shows_email(ctx: Context, view: CodelabView, attendee: Attendee) -> bool:
    """An attendee's email is for the codelab's facilitators and the attendee."""
    return (codelabs.can_facilitate(ctx.viewer, view.course)
            or attendee.row.user_id == ctx.viewer.user_id)


def email_rule(viewer: Viewer):
    """``shows_email`` as a SQL condition on attendees, for planned reads."""
    own = (CodelabAttendee.user_id == VIEWER_ID if viewer.user_id is not None
           else false())
    return or_(select(Course.id).where(Course.id == CodelabAttendee.course_id,
                                       codelabs.facilitate_rule(viewer)).exists(), own)


def name_value():
    """An attendee's name (its user's), as a SQL expression on attendees."""
    return select(User.display_name).where(User.id == CodelabAttendee.user_id) \
        .scalar_subquery()


def legacy_id_value():
    """``attendee_<hex>`` of an attendee, as a SQL expression on attendees."""
    return func.concat("attendee_", func.replace(cast(CodelabAttendee.user_id, Text), "-", ""))
