"""The catalog's reference data: universities, their departments, and subjects.

Anyone may read them; only platform admins write them. The paging and
write helpers at the top are shared by the other catalog resolvers
(courses, enrollments, modules, content).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.context import Context
from core.errors import Conflict, NotFound, Validation
from core.pagination import decode_cursor, encode_cursor, page_size
from loaders.catalog import DepartmentByIdLoader, SubjectByIdLoader, UniversityByIdLoader
from models.course import Department, Subject, University
from resolvers.pages import Page


@dataclass(frozen=True)
class PageArgs:
    """How a list is paged: a GraphQL cursor page (first/after) or a REST offset page."""

    first: int | None = None
    after: str | None = None
    skip: int | None = None
    limit: int | None = None

    @classmethod
    def offset(cls, skip: int, limit: int) -> PageArgs:
        return cls(skip=skip, limit=limit)


async def paginate(ctx: Context, query: Select, columns: tuple, page: PageArgs) -> Page:
    """Run ``query`` ordered by integer ``columns``: keyset for cursors, offset for REST."""
    query = query.order_by(*columns)
    if page.skip is not None:
        async with ctx.db.session() as session:
            rows = list((await session.execute(
                query.offset(page.skip).limit(page.limit))).scalars())
        return Page(items=rows)
    size = page_size(page.first, None)
    if page.after:
        values = decode_cursor(page.after)
        if len(values) != len(columns) or not all(isinstance(v, int) for v in values):
            raise Validation("Invalid cursor")
        query = query.where(tuple_(*columns) > tuple_(*values))
    async with ctx.db.session() as session:
        rows = list((await session.execute(query.limit(size + 1))).scalars())
    names = [c.key for c in columns]
    items = rows[:size]
    return Page(items=items,
                cursors=[encode_cursor([getattr(r, n) for n in names]) for r in items],
                has_next=len(rows) > size, has_previous=bool(page.after))


def page_in_memory(rows: list[Any], names: tuple[str, ...], page: PageArgs) -> Page:
    """Page an already loaded, already ordered list (a loader's batch) like ``paginate``."""
    if page.skip is not None:
        end = None if page.limit is None else page.skip + page.limit
        return Page(items=rows[page.skip:end])
    size = page_size(page.first, None)
    if page.after:
        values = decode_cursor(page.after)
        if len(values) != len(names) or not all(isinstance(v, int) for v in values):
            raise Validation("Invalid cursor")
        rows = [r for r in rows if [getattr(r, n) for n in names] > values]
    items = rows[:size]
    return Page(items=items,
                cursors=[encode_cursor([getattr(r, n) for n in names]) for r in items],
                has_next=len(rows) > size, has_previous=bool(page.after))


def is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "23505"


def is_fk_violation(exc: IntegrityError) -> bool:
    """A foreign key (23503) or ON DELETE RESTRICT (23001) refused the change."""
    return getattr(exc.orig, "sqlstate", None) in ("23503", "23001")


async def flush_unique(session: AsyncSession, conflict: str) -> None:
    """Flush, turning a unique-constraint violation into Conflict(conflict)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise Conflict(conflict) from None
        raise


async def get_row(session: AsyncSession, model: type, row_id: int, message: str, *,
                  lock: bool = False) -> Any:
    """The row by primary key, or NotFound(message)."""
    row = await session.get(model, row_id, with_for_update=lock)
    if row is None:
        raise NotFound(message)
    return row


def apply(row: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)


# --- universities -------------------------------------------------------------------


async def get_university(ctx: Context, *, university_id: int) -> University:
    """One university, or NotFound."""
    university = await ctx.loaders.get(UniversityByIdLoader).load(university_id)
    if university is None:
        raise NotFound("University not found")
    return university


async def get_all_universities(ctx: Context, *, page: PageArgs) -> Page:
    """Universities in id order."""
    return await paginate(ctx, select(University), (University.id,), page)


async def create_university(ctx: Context, *, fields: dict[str, Any]) -> University:
    """Add a university (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        university = University(**fields)
        session.add(university)
        await flush_unique(session, "A university with this name already exists")
        await session.refresh(university)
    return university


async def update_university(ctx: Context, *, university_id: int,
                            changes: dict[str, Any]) -> University:
    """Change some of a university's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        university = await get_row(session, University, university_id, "University not found",
                                   lock=True)
        apply(university, changes)
        await flush_unique(session, "A university with this name already exists")
        await session.refresh(university)
    return university


async def delete_university(ctx: Context, *, university_id: int) -> None:
    """Remove a university and its departments; its courses keep existing without it."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await _delete(ctx, University, university_id, "University not found")


async def _delete(ctx: Context, model: type, row_id: int, message: str) -> None:
    async with ctx.db.transaction() as session:
        deleted = (await session.execute(
            delete(model).where(model.id == row_id).returning(model.id))).scalar_one_or_none()
    if deleted is None:
        raise NotFound(message)


# --- departments --------------------------------------------------------------------


async def get_department(ctx: Context, *, department_id: int) -> Department:
    """One department, or NotFound."""
    department = await ctx.loaders.get(DepartmentByIdLoader).load(department_id)
    if department is None:
        raise NotFound("Department not found")
    return department


async def get_all_departments(ctx: Context, *, university_id: int, page: PageArgs) -> Page:
    """A university's departments in id order."""
    await get_university(ctx, university_id=university_id)
    query = select(Department).where(Department.university_id == university_id)
    return await paginate(ctx, query, (Department.id,), page)


async def create_department(ctx: Context, *, university_id: int,
                            fields: dict[str, Any]) -> Department:
    """Add a department to a university (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        await get_row(session, University, university_id, "University not found", lock=True)
        department = Department(university_id=university_id, **fields)
        session.add(department)
        await flush_unique(session, "This university already has a department with this name")
        await session.refresh(department)
    return department


async def update_department(ctx: Context, *, department_id: int,
                            changes: dict[str, Any]) -> Department:
    """Change some of a department's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        department = await get_row(session, Department, department_id, "Department not found",
                                   lock=True)
        apply(department, changes)
        await flush_unique(session, "This university already has a department with this name")
        await session.refresh(department)
    return department


async def delete_department(ctx: Context, *, department_id: int) -> None:
    """Remove a department (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await _delete(ctx, Department, department_id, "Department not found")


# --- subjects -----------------------------------------------------------------------


async def get_subject(ctx: Context, *, subject_id: int) -> Subject:
    """One subject, or NotFound."""
    subject = await ctx.loaders.get(SubjectByIdLoader).load(subject_id)
    if subject is None:
        raise NotFound("Subject not found")
    return subject


async def get_all_subjects(ctx: Context, *, page: PageArgs) -> Page:
    """Subjects in id order."""
    return await paginate(ctx, select(Subject), (Subject.id,), page)


async def create_subject(ctx: Context, *, fields: dict[str, Any]) -> Subject:
    """Add a subject (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        subject = Subject(**fields)
        session.add(subject)
        await flush_unique(session, "A subject with this name already exists")
        await session.refresh(subject)
    return subject


async def update_subject(ctx: Context, *, subject_id: int, changes: dict[str, Any]) -> Subject:
    """Change some of a subject's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        subject = await get_row(session, Subject, subject_id, "Subject not found", lock=True)
        apply(subject, changes)
        await flush_unique(session, "A subject with this name already exists")
        await session.refresh(subject)
    return subject


async def delete_subject(ctx: Context, *, subject_id: int) -> None:
    """Remove a subject (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await _delete(ctx, Subject, subject_id, "Subject not found")

