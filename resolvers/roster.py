"""The teacher portal's classes and students.

A class belongs to the teacher (or school admin) who created it; only they, and
platform admins, change it, and only they, platform admins and the admins of the
class's school (``resolvers/school.py``) read it: another teacher's class is
Forbidden, a class nobody has is NotFound. Each student is a child's account with the
``CHILD`` role: a username unique across the platform (the first name in ASCII, lower case, and a
three-digit number: ``sofia001``) and a four-digit PIN shown once, in the answer that
created it, and stored only as an argon2id hash.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import Select, false, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import passwords
from core.context import Context
from core.errors import Conflict, Forbidden, NotFound
from core.planning import VIEWER_ID
from models.reading import Learner, QuizResult, ReadingSession
from models.roster import CLASS_NAME_LENGTH, STUDENT_NAME_LENGTH, SchoolClass, Student
from models.school import SchoolStaff
from models.user import ChildCredential, User
from resolvers import portal_roles, school
from resolvers.reading import Input
from resolvers.reading_assessment import PASS_PCT

# Year levels as schools count them: 0 is reception/kindergarten.
YearLevel = Annotated[int, Field(ge=0, le=13)]
ClassName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=CLASS_NAME_LENGTH)]
StudentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=STUDENT_NAME_LENGTH,
                                               pattern=r"^[^\x00-\x1f\x7f]+$")]
MAX_STUDENTS_PER_CLASS = 300
# Days without a finished reading session before a student needs attention.
INACTIVE_DAYS = 7
TREND_LENGTH = 3
# PINs are four digits: a slow hash cannot make them hard to guess, sign-in limits do
# that. OWASP's minimum argon2id cost (time, memory KiB, parallelism) keeps a roster
# import quick; checking a PIN for an unknown username should use it too.
PIN_COST = (2, 19 * 1024, 1)
_HASHING = asyncio.Semaphore(2)


class ClassIn(Input):
    """A new class."""

    name: ClassName
    year_level: YearLevel | None = None


class StudentIn(Input):
    """A new student."""

    name: StudentName
    year_level: YearLevel


@dataclass(frozen=True)
class NewStudent:
    """A student just created, with the PIN shown this once."""

    student: Student
    username: str
    pin: str


@dataclass(frozen=True)
class StudentView:
    """A student with what the reading platform knows of them."""

    student: Student
    username: str
    reading_level: float | None
    books_read: int
    total_miles: float
    comprehension_trend: list[float]
    attention_flag: bool
    latest_report: str | None
    last_read_at: datetime | None


# ----------------------------------------------------------------- classes


async def create_class(ctx: Context, *, data: ClassIn) -> SchoolClass:
    """A new class of the signed-in teacher or school admin."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    teacher_id = ctx.viewer.require_user()
    async with ctx.db.transaction() as session:
        staff = await school.staff_of(session, teacher_id)
        row = SchoolClass(teacher_id=teacher_id, name=data.name, year_level=data.year_level,
                          school_id=staff.school_id if staff is not None else None)
        session.add(row)
        await session.flush()
        await session.refresh(row)
    return row


def _check_owner(ctx: Context, row: SchoolClass | None) -> SchoolClass:
    if row is None:
        raise NotFound("Class not found")
    if row.teacher_id != ctx.viewer.user_id and not ctx.viewer.is_admin:
        raise Forbidden("This class is another teacher's")
    return row


async def get_class_or_raise(ctx: Context, session: AsyncSession, class_id: int, *,
                             lock: bool = False) -> SchoolClass:
    """The viewer's class ``class_id``: NotFound, or Forbidden when it is someone else's."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    return _check_owner(ctx, await session.get(SchoolClass, class_id, with_for_update=lock))


async def get_readable_class_or_raise(ctx: Context, session: AsyncSession,
                                      class_id: int) -> SchoolClass:
    """Class ``class_id`` if the viewer may read it: theirs, or one of the school they
    are an admin of; NotFound or Forbidden otherwise."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    row = await session.get(SchoolClass, class_id)
    if (row is not None and row.teacher_id != ctx.viewer.user_id
            and row.school_id is not None
            and await school.admin_school_of(session, ctx.viewer.user_id) == row.school_id):
        return row
    return _check_owner(ctx, row)


def readable_rule(viewer):
    """The classes the viewer may read (``get_readable_class_or_raise``): a platform
    admin every one; a teacher or school admin theirs and those of the school they are an
    admin of; anyone else none. A SQL condition on classes, for ``node`` and planned
    reads; the viewer's id is ``VIEWER_ID``."""
    if viewer.user_id is None:
        return false()
    if viewer.is_admin:
        return true()
    if not portal_roles.STAFF & viewer.roles:
        return false()
    return or_(SchoolClass.teacher_id == VIEWER_ID, SchoolClass.school_id.in_(
        select(SchoolStaff.school_id).where(SchoolStaff.user_id == VIEWER_ID,
                                            SchoolStaff.role == school.ADMIN)))


def mine_rule(viewer):
    """The viewer's own classes (``get_classes``), as a SQL condition on classes."""
    return SchoolClass.teacher_id == VIEWER_ID if viewer.user_id is not None else false()


def may_list(viewer) -> bool:
    """Whether the viewer may list classes at all (teachers, school admins, admins)."""
    return viewer.user_id is not None and (viewer.is_admin
                                           or bool(portal_roles.STAFF & viewer.roles))


def student_rule(viewer):
    """The students the viewer may read: those of a class they may read."""
    return Student.class_id.in_(select(SchoolClass.id).where(readable_rule(viewer)))


async def get_readable_many(ctx: Context, *, class_ids: list[int]) -> list[SchoolClass | None]:
    """Classes by id in one query; None where missing or not the viewer's to read."""
    async with ctx.db.read() as session:
        found = {row.id: row for row in (await session.execute(
            select(SchoolClass).where(SchoolClass.id.in_(class_ids),
                                      readable_rule(ctx.viewer)),
            {VIEWER_ID.key: ctx.viewer.user_id})).scalars()}
    return [found.get(i) for i in class_ids]


async def get_students_many(ctx: Context, *, student_ids: list[int]
                            ) -> list[StudentView | None]:
    """Students by id with their reading data; None where missing or not the viewer's to
    read."""
    async with ctx.db.read() as session:
        rows = [tuple(row) for row in (await session.execute(
            with_usernames().where(Student.id.in_(student_ids), student_rule(ctx.viewer)),
            {VIEWER_ID.key: ctx.viewer.user_id}))]
        found = {view.student.id: view for view in await _enrich(session, rows)}
    return [found.get(i) for i in student_ids]


async def get_classes(ctx: Context) -> list[SchoolClass]:
    """The signed-in teacher's classes, oldest first."""
    portal_roles.require_any(ctx, portal_roles.STAFF)
    async with ctx.db.read() as session:
        return list((await session.execute(
            select(SchoolClass).where(mine_rule(ctx.viewer)).order_by(SchoolClass.id),
            {VIEWER_ID.key: ctx.viewer.user_id})).scalars())


async def get_class(ctx: Context, *, class_id: int) -> SchoolClass:
    """One of the viewer's classes, or of the school they are an admin of."""
    async with ctx.db.read() as session:
        return await get_readable_class_or_raise(ctx, session, class_id)


async def count_students(ctx: Context, *, class_id: int) -> int:
    async with ctx.db.read() as session:
        return (await session.execute(select(func.count()).where(
            Student.class_id == class_id))).scalar_one()


# ----------------------------------------------------------------- usernames and PINs


def username_stem(name: str) -> str:
    """The ASCII letters of the first word of ``name``, lower case (``reader`` when it
    has none): ``"Zoë Smith"`` gives ``zoe``."""
    first = name.strip().split()[0] if name.strip() else ""
    ascii_letters = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z]", "", ascii_letters.lower())[:20]
    return stem or "reader"


def new_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


async def hash_pin(pin: str) -> str:
    """argon2id hash of a PIN, off the event loop (two at a time)."""
    async with _HASHING:
        return await passwords.hash_password(pin, cost=PIN_COST)


async def _next_numbers(session: AsyncSession, stems: set[str]) -> dict[str, int]:
    """The highest number each stem's usernames use now."""
    if not stems:
        return {}
    rows = await session.execute(text(
        "SELECT substring(lower(username) from '^[a-z]+') AS stem, "
        "max(substring(username from '[0-9]+$')::numeric) FROM child_credentials "
        "WHERE substring(lower(username) from '^[a-z]+') = ANY(:stems) "
        "AND lower(username) ~ '^[a-z]+[0-9]+$' GROUP BY 1"), {"stems": sorted(stems)})
    return {stem: int(number) for stem, number in rows}


async def add_students(ctx: Context, session: AsyncSession, school_class: SchoolClass,
                       people: Sequence[StudentIn]) -> list[NewStudent]:
    """Create ``people`` in ``school_class`` inside ``session``'s transaction (the class
    row locked by the caller); their PINs in the clear, this once."""
    have = (await session.execute(select(func.count()).where(
        Student.class_id == school_class.id))).scalar_one()
    if have + len(people) > MAX_STUDENTS_PER_CLASS:
        raise Conflict(f"A class holds at most {MAX_STUDENTS_PER_CLASS} students",
                       code="class_full", details={"limit": MAX_STUDENTS_PER_CLASS,
                                                   "students": have})
    pins = [new_pin() for _ in people]
    hashes = await asyncio.gather(*(hash_pin(pin) for pin in pins))
    # Usernames are numbered per stem: one allocation at a time across the platform.
    await session.execute(text(
        "SELECT pg_advisory_xact_lock(hashtext('child_credentials.username'))"))
    numbers = await _next_numbers(session, {username_stem(p.name) for p in people})
    accounts = [User(id=uuid.uuid4(), display_name=p.name, roles=[portal_roles.CHILD])
                for p in people]
    session.add_all(accounts)
    await session.flush()  # the accounts before the students that name them
    created = []
    for person, account, pin, pin_hash in zip(people, accounts, pins, hashes, strict=True):
        stem = username_stem(person.name)
        numbers[stem] = numbers.get(stem, 0) + 1
        username = f"{stem}{numbers[stem]:03d}"
        session.add(ChildCredential(user_id=account.id, username=username, pin_hash=pin_hash))
        student = Student(class_id=school_class.id, user_id=account.id, name=person.name,
                          year_level=person.year_level)
        session.add(student)
        created.append(NewStudent(student=student, username=username, pin=pin))
    await session.flush()
    for item in created:
        await session.refresh(item.student)
    return created


async def create_student(ctx: Context, *, class_id: int, data: StudentIn) -> NewStudent:
    """One new student in the viewer's class; the PIN is in the answer only."""
    async with ctx.db.transaction() as session:
        school_class = await get_class_or_raise(ctx, session, class_id, lock=True)
        return (await add_students(ctx, session, school_class, [data]))[0]


# ----------------------------------------------------------------- the class list


async def _enrich(session: AsyncSession,
                  students: list[tuple[Student, str]]) -> list[StudentView]:
    ids = [s.user_id for s, _ in students]
    if not ids:
        return []
    learners = {row.id: row for row in (await session.execute(
        select(Learner).where(Learner.id.in_(ids)))).scalars()}
    reading = {row.learner_id: row for row in (await session.execute(select(
        ReadingSession.learner_id,
        func.count(func.distinct(ReadingSession.book_id)).filter(
            ReadingSession.completed).label("books"),
        func.coalesce(func.sum(ReadingSession.miles), 0.0).label("miles"),
        func.max(ReadingSession.ended_at).label("last"))
        .where(ReadingSession.learner_id.in_(ids)).group_by(ReadingSession.learner_id)))}
    ranked = (select(QuizResult.learner_id, QuizResult.score_pct, QuizResult.id,
                     func.row_number().over(partition_by=QuizResult.learner_id,
                                            order_by=QuizResult.id.desc()).label("n"))
              .where(QuizResult.learner_id.in_(ids)).subquery())
    trends: dict[uuid.UUID, list[float]] = {}
    for learner_id, score, _ in (await session.execute(
            select(ranked.c.learner_id, ranked.c.score_pct, ranked.c.id)
            .where(ranked.c.n <= TREND_LENGTH).order_by(ranked.c.id))):
        trends.setdefault(learner_id, []).append(round(score, 1))
    now = datetime.now(UTC)
    views = []
    for student, username in students:
        learner = learners.get(student.user_id)
        stats = reading.get(student.user_id)
        trend = trends.get(student.user_id, [])
        last = stats.last if stats else None
        idle_since = last or student.created_at
        views.append(StudentView(
            student=student, username=username,
            reading_level=learner.reading_level if learner else None,
            books_read=stats.books if stats else 0,
            total_miles=round(stats.miles, 1) if stats else 0.0,
            comprehension_trend=trend,
            attention_flag=bool(trend and trend[-1] < PASS_PCT)
            or now - idle_since > timedelta(days=INACTIVE_DAYS),
            latest_report=learner.latest_report if learner else None, last_read_at=last))
    return views


async def list_students(ctx: Context, *, class_id: int, after: int | None = None,
                        limit: int = MAX_STUDENTS_PER_CLASS) -> tuple[list[StudentView], bool]:
    """The class's students after the id ``after``, with their reading data; whether
    more follow."""
    async with ctx.db.read() as session:
        await get_readable_class_or_raise(ctx, session, class_id)
        query = students_of(class_id)
        if after is not None:
            query = query.where(Student.id > after)
        rows = [tuple(row) for row in (await session.execute(
            query.order_by(Student.id).limit(limit + 1)))]
        return await _enrich(session, rows[:limit]), len(rows) > limit


def students_of(class_id: int) -> Select:
    """A class's students with their usernames, as the query ``list_students`` reads its
    pages from."""
    return with_usernames().where(Student.class_id == class_id)


def with_usernames() -> Select:
    """Students with their sign-in usernames."""
    return select(Student, ChildCredential.username).join(
        ChildCredential, ChildCredential.user_id == Student.user_id)


async def students_of_learners(session: AsyncSession,
                               learner_ids: Sequence[uuid.UUID]) -> list[Student]:
    """The students whose learner ids are ``learner_ids`` (children in a class)."""
    if not learner_ids:
        return []
    return list((await session.execute(select(Student).where(
        Student.user_id.in_(list(learner_ids))))).scalars())
