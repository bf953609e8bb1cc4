"""The catalog's reference data: universities, their departments, and subjects.

Anyone may read them; only platform admins write them. The paging and
write helpers at the top are shared by the other catalog resolvers
(courses, enrollments, modules, content).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_PLATFORM_ADMIN
from core.context import Context
from core.errors import Conflict, NotFound, Validation
from core.pagination import decode_cursor, encode_cursor, page_size
from loaders.catalog import (
    DepartmentByIdLoader,
    DepartmentsByUniversityIdLoader,
    SubjectByIdLoader,
    UniversityByIdLoader,
)
from models.course import Department, Subject, University
from resolvers.changes import reject_nulls
from resolvers.pages import Page, page_by_id

UNIVERSITY_NOT_FOUND = "University not found"
UNIVERSITY_EXISTS = "A university with this name already exists"
DEPARTMENT_NOT_FOUND = "Department not found"
DEPARTMENT_EXISTS = "This university already has a department with this name"
SUBJECT_NOT_FOUND = "Subject not found"
SUBJECT_EXISTS = "A subject with this name already exists"


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


async def paginate(ctx: Context, query: Select, id_column, page: PageArgs) -> Page:
    """Run ``query`` ordered by its unique integer ``id_column``: keyset for cursors
    (``page_by_id``), offset for REST."""
    async with ctx.db.session() as session:
        if page.skip is not None:
            rows = list((await session.execute(
                query.order_by(id_column).offset(page.skip).limit(page.limit))).scalars())
            return Page(items=rows)
        return await page_by_id(session, query, id_column, first=page.first, after=page.after,
                                last=None, before=None)


def page_in_memory(rows: list[Any], names: tuple[str, ...], page: PageArgs) -> Page:
    """Page an already loaded, already ordered list (a loader's batch) like ``paginate``."""
    if page.skip is not None:
        end = None if page.limit is None else page.skip + page.limit
        return Page(items=rows[page.skip:end])
    size = page_size(page.first, None)
    total = len(rows)
    if page.after:
        values = decode_cursor(page.after)
        if len(values) != len(names) or not all(isinstance(v, int) for v in values):
            raise Validation("Invalid cursor")
        rows = [r for r in rows if [getattr(r, n) for n in names] > values]
    items = rows[:size]
    return Page(items=items,
                cursors=[encode_cursor([getattr(r, n) for n in names]) for r in items],
                has_next=len(rows) > size, has_previous=bool(page.after), total=total)


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


async def next_sequence_index(session: AsyncSession, column: Any, *where: Any) -> int:
    """Where a new sibling goes: one past the largest ``column`` among the rows matching
    ``where``, or 0 when there are none."""
    last = (await session.execute(select(func.max(column)).where(*where))).scalar_one()
    return 0 if last is None else last + 1


async def locked_row(session: AsyncSession, model: type, values: dict[str, Any],
                     key: tuple[str, ...]) -> Any:
    """The row of ``model`` with ``values``' unique ``key``, inserted with ``values`` if
    missing, row-locked (so concurrent upserts of one key run one after the other)."""
    await session.execute(pg_insert(model).values(**values).on_conflict_do_nothing())
    return (await session.execute(
        select(model).filter_by(**{k: values[k] for k in key}).with_for_update()
        .execution_options(populate_existing=True))).scalar_one()


def apply(row: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)


async def create_row(ctx: Context, row: Any, *, conflict: str) -> Any:
    """Insert ``row`` in its own transaction; a duplicate name is Conflict(conflict)."""
    async with ctx.db.transaction() as session:
        session.add(row)
        await flush_unique(session, conflict)
        await session.refresh(row)
    return row


async def update_row(ctx: Context, model: type, row_id: int, changes: dict[str, Any], *,
                     not_found: str, conflict: str) -> Any:
    """Apply ``changes`` to a locked row in its own transaction; Validation for a null
    in a NOT NULL column, NotFound or Conflict."""
    reject_nulls(model, changes)
    async with ctx.db.transaction() as session:
        row = await get_row(session, model, row_id, not_found, lock=True)
        apply(row, changes)
        await flush_unique(session, conflict)
        await session.refresh(row)
    return row


async def delete_row(ctx: Context, model: type, row_id: int, *, not_found: str,
                     in_use: str | None = None) -> None:
    """Delete a row by id; NotFound, or Conflict(in_use) when a foreign key refuses it."""
    try:
        async with ctx.db.transaction() as session:
            deleted = (await session.execute(
                delete(model).where(model.id == row_id).returning(model.id))).scalar_one_or_none()
    except IntegrityError as exc:
        if in_use is not None and is_fk_violation(exc):
            raise Conflict(in_use) from None
        raise
    if deleted is None:
        raise NotFound(not_found)


# --- universities -------------------------------------------------------------------


async def get_university(ctx: Context, *, university_id: int) -> University:
    """One university, or NotFound."""
    university = await ctx.loaders.get(UniversityByIdLoader).load(university_id)
    if university is None:
        raise NotFound(UNIVERSITY_NOT_FOUND)
    return university


async def get_all_universities(ctx: Context, *, page: PageArgs) -> Page:
    """Universities in id order (primed, so their departments need no second read of them)."""
    result = await paginate(ctx, select(University), University.id, page)
    loader = ctx.loaders.get(UniversityByIdLoader)
    for university in result.items:
        loader.prime(university.id, university)
    return result


async def create_university(ctx: Context, *, fields: dict[str, Any]) -> University:
    """Add a university (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    return await create_row(ctx, University(**fields), conflict=UNIVERSITY_EXISTS)


async def update_university(ctx: Context, *, university_id: int,
                            changes: dict[str, Any]) -> University:
    """Change some of a university's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    return await update_row(ctx, University, university_id, changes,
                            not_found=UNIVERSITY_NOT_FOUND, conflict=UNIVERSITY_EXISTS)


async def delete_university(ctx: Context, *, university_id: int) -> None:
    """Remove a university and its departments; its courses keep existing without it."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await delete_row(ctx, University, university_id, not_found=UNIVERSITY_NOT_FOUND)


# --- departments --------------------------------------------------------------------


async def get_department(ctx: Context, *, department_id: int) -> Department:
    """One department, or NotFound."""
    department = await ctx.loaders.get(DepartmentByIdLoader).load(department_id)
    if department is None:
        raise NotFound(DEPARTMENT_NOT_FOUND)
    return department


async def get_all_departments(ctx: Context, *, university_id: int, page: PageArgs) -> Page:
    """A university's departments in id order, batched per request across universities."""
    await get_university(ctx, university_id=university_id)
    rows = await ctx.loaders.get(DepartmentsByUniversityIdLoader).load(university_id)
    return page_in_memory(rows, ("id",), page)


async def create_department(ctx: Context, *, university_id: int,
                            fields: dict[str, Any]) -> Department:
    """Add a department to a university (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    async with ctx.db.transaction() as session:
        await get_row(session, University, university_id, UNIVERSITY_NOT_FOUND, lock=True)
        department = Department(university_id=university_id, **fields)
        session.add(department)
        await flush_unique(session, DEPARTMENT_EXISTS)
        await session.refresh(department)
    return department


async def update_department(ctx: Context, *, department_id: int,
                            changes: dict[str, Any]) -> Department:
    """Change some of a department's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    return await update_row(ctx, Department, department_id, changes,
                            not_found=DEPARTMENT_NOT_FOUND, conflict=DEPARTMENT_EXISTS)


async def delete_department(ctx: Context, *, department_id: int) -> None:
    """Remove a department (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await delete_row(ctx, Department, department_id, not_found=DEPARTMENT_NOT_FOUND)


# --- subjects -----------------------------------------------------------------------


async def get_subject(ctx: Context, *, subject_id: int) -> Subject:
    """One subject, or NotFound."""
    subject = await ctx.loaders.get(SubjectByIdLoader).load(subject_id)
    if subject is None:
        raise NotFound(SUBJECT_NOT_FOUND)
    return subject


async def get_all_subjects(ctx: Context, *, page: PageArgs) -> Page:
    """Subjects in id order."""
    return await paginate(ctx, select(Subject), Subject.id, page)


async def create_subject(ctx: Context, *, fields: dict[str, Any]) -> Subject:
    """Add a subject (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    return await create_row(ctx, Subject(**fields), conflict=SUBJECT_EXISTS)


async def update_subject(ctx: Context, *, subject_id: int, changes: dict[str, Any]) -> Subject:
    """Change some of a subject's fields (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    return await update_row(ctx, Subject, subject_id, changes, not_found=SUBJECT_NOT_FOUND,
                            conflict=SUBJECT_EXISTS)


async def delete_subject(ctx: Context, *, subject_id: int) -> None:
    """Remove a subject (platform admins)."""
    ctx.viewer.require_role(ROLE_PLATFORM_ADMIN)
    await delete_row(ctx, Subject, subject_id, not_found=SUBJECT_NOT_FOUND)

