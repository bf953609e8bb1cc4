"""Schools: a school admin's school, its teachers, and what its admins may read.

The reference names the ``school_admin`` role (registering with a ``school_name``,
buying ``school_annual`` for a number of students) and puts a ``school_id`` beside the
role in every request's context, and says no more. The choices (``models/school.py``):

- Registering as a school admin makes the school (named by ``school_name``, else
  "<name>'s school"), with the admin on its staff.
- A teacher joins with the school's join code, which an admin of the school makes
  (each new code replaces the last; shown once, stored as a SHA-256 hash): consent is
  the teacher's, so an admin cannot pull in a teacher by naming them. An account is on
  one school's staff at most (joining another is ``already_in_school``). The teacher's
  classes, those they have and those they make, are then the school's.
- A school's admins read its teachers, its classes and their students with their
  reading data (the teacher portal's class reads); they change none of them: a
  class's students stay its teacher's to add. An admin may take a teacher off the
  staff, and the teacher's classes leave the school with them.
- Anyone else's view of a school is NotFound, as a school that does not exist.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import Context
from core.errors import Conflict, Forbidden, NotFound, Validation
from models.roster import SchoolClass, Student
from models.school import SCHOOL_NAME_LENGTH, School, SchoolStaff
from models.user import User
from resolvers import portal_roles

ADMIN, TEACHER = "admin", "teacher"
JOIN_CODE_BYTES = 12


@dataclass(frozen=True)
class StaffMember:
    """Someone on a school's staff."""

    user_id: uuid.UUID
    name: str
    email: str | None
    role: str
    joined_at: datetime


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def school_name_for(*, name: str, school_name: str | None) -> str:
    """What a school admin's new school is called."""
    named = (school_name or "").strip() or f"{name.strip()}'s school"
    return named[:SCHOOL_NAME_LENGTH]


async def create_for_admin(session: AsyncSession, *, admin_id: uuid.UUID,
                           name: str) -> School:
    """A new school with ``admin_id`` as its admin, in ``session``'s transaction."""
    school = School(name=name)
    session.add(school)
    await session.flush()
    session.add(SchoolStaff(user_id=admin_id, school_id=school.id, role=ADMIN))
    return school


async def staff_of(session: AsyncSession, user_id: uuid.UUID | None) -> SchoolStaff | None:
    """The school staff row of ``user_id``, if any."""
    if user_id is None:
        return None
    return await session.get(SchoolStaff, user_id)


async def admin_school_of(session: AsyncSession, user_id: uuid.UUID | None) -> int | None:
    """The school ``user_id`` is an admin of, if any."""
    staff = await staff_of(session, user_id)
    return staff.school_id if staff is not None and staff.role == ADMIN else None


async def school_id_of(ctx: Context, user_id: uuid.UUID) -> int | None:
    """The school ``user_id`` is on the staff of, or a child's class is of (the
    session's ``school_id``)."""
    async with ctx.db.read() as session:
        staff = await staff_of(session, user_id)
        if staff is not None:
            return staff.school_id
        return (await session.execute(select(SchoolClass.school_id).join(
            Student, Student.class_id == SchoolClass.id).where(
            Student.user_id == user_id))).scalar_one_or_none()


async def _mine(ctx: Context, session: AsyncSession) -> tuple[SchoolStaff, School]:
    portal_roles.require_any(ctx, portal_roles.STAFF)
    staff = await staff_of(session, ctx.viewer.require_user())
    if staff is None:
        raise NotFound("Your account is not on a school's staff")
    return staff, await session.get(School, staff.school_id)


async def _admin(ctx: Context, session: AsyncSession) -> School:
    staff, school = await _mine(ctx, session)
    if staff.role != ADMIN:
        raise Forbidden("Only the school's admins may do this",
                        details={"required_role": ["school_admin"]})
    return school


async def get_mine(ctx: Context) -> tuple[School, str]:
    """The viewer's school and their role on its staff (admin or teacher)."""
    async with ctx.db.read() as session:
        staff, school = await _mine(ctx, session)
    return school, staff.role


async def get_staff(ctx: Context) -> list[StaffMember]:
    """The staff of the viewer's school, admins first, then by when they joined (its
    admins only)."""
    async with ctx.db.read() as session:
        school = await _admin(ctx, session)
        rows = (await session.execute(
            select(SchoolStaff, User.display_name, User.email)
            .join(User, User.id == SchoolStaff.user_id)
            .where(SchoolStaff.school_id == school.id)
            .order_by(SchoolStaff.role, SchoolStaff.joined_at, SchoolStaff.user_id))).all()
    return [StaffMember(user_id=s.user_id, name=name, email=email, role=s.role,
                        joined_at=s.joined_at) for s, name, email in rows]


async def get_classes(ctx: Context) -> list[SchoolClass]:
    """The classes of the viewer's school, oldest first (its admins only)."""
    async with ctx.db.read() as session:
        school = await _admin(ctx, session)
        return list((await session.execute(select(SchoolClass).where(
            SchoolClass.school_id == school.id).order_by(SchoolClass.id))).scalars())


async def new_join_code(ctx: Context) -> str:
    """A new code for teachers to join the viewer's school with, replacing the last one
    (its admins only); shown this once."""
    code = secrets.token_urlsafe(JOIN_CODE_BYTES)
    async with ctx.db.transaction() as session:
        school = await _admin(ctx, session)
        school.join_code_hash = hash_code(code)
    return code


async def join(ctx: Context, *, code: str) -> School:
    """Join the school whose join code is ``code`` (teachers), bringing one's classes."""
    portal_roles.require_any(ctx, frozenset({portal_roles.TEACHER}))
    user_id = ctx.viewer.require_user()
    if not code.strip():
        raise Validation("code must not be empty", details={"field": "code"})
    async with ctx.db.transaction() as session:
        school = (await session.execute(select(School).where(
            School.join_code_hash == hash_code(code)))).scalar_one_or_none()
        if school is None:
            raise NotFound("No school has this join code")
        current = await session.get(SchoolStaff, user_id, with_for_update=True)
        if current is not None and current.school_id != school.id:
            raise Conflict("Your account is already on another school's staff",
                           code="already_in_school")
        if current is None:
            session.add(SchoolStaff(user_id=user_id, school_id=school.id, role=TEACHER))
        await session.execute(update(SchoolClass).where(
            SchoolClass.teacher_id == user_id).values(school_id=school.id))
    return school


async def remove_teacher(ctx: Context, *, user_id: uuid.UUID) -> None:
    """Take a teacher off the viewer's school's staff, with their classes (its admins)."""
    async with ctx.db.transaction() as session:
        school = await _admin(ctx, session)
        staff = await session.get(SchoolStaff, user_id, with_for_update=True)
        if staff is None or staff.school_id != school.id:
            raise NotFound("No such teacher on your school's staff")
        if staff.role != TEACHER:
            raise Conflict("A school admin cannot be removed here", code="not_a_teacher")
        await session.delete(staff)
        await session.execute(update(SchoolClass).where(
            SchoolClass.teacher_id == user_id).values(school_id=None))
