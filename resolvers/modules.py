"""A course's module tree: reading it, adding, moving, reordering and deleting modules.

A module is visible when its course is. Writes need the course's creator or a
platform admin. Structural changes (create, move, reorder) take a lock on the
course row first, so concurrent moves in one course run one after the other
and the cycle check of a move sees every earlier move.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sqlalchemy import false, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.viewer import ROLE_INSTRUCTOR
from core.context import Context
from core.errors import NotFound, Validation
from core.planning import VIEWER_ID
from loaders.catalog import (
    CourseByIdLoader,
    ModuleByIdLoader,
    ModuleProgressRowsLoader,
    ModuleRowsByParentsLoader,
    ModulesByParentIdLoader,
    RootModulesByCourseIdLoader,
)
from models.course import Course, Module
from models.learning import ModuleProgress
from resolvers import courses
from resolvers.catalog import PageArgs, apply, get_row, next_sequence_index, page_in_memory
from resolvers.changes import reject_nulls
from resolvers.pages import Page

MODULE_NOT_FOUND = "Module not found"

_IS_ANCESTOR = text("""
WITH RECURSIVE up(id, parent_module_id) AS (
    SELECT id, parent_module_id FROM modules WHERE id = :start
    UNION ALL
    SELECT m.id, m.parent_module_id FROM modules m JOIN up ON m.id = up.parent_module_id
)
SELECT EXISTS (SELECT 1 FROM up WHERE id = :module_id)
""")


def visible_rule(viewer):
    """A module is seen with its course (``get``): as a SQL condition on modules."""
    return Module.course_id.in_(select(Course.id).where(courses.visible_rule(viewer)))


async def get(ctx: Context, *, module_id: int) -> Module:
    """A module of a course the viewer may see, or NotFound."""
    module = await ctx.loaders.get(ModuleByIdLoader).load(module_id)
    if module is None or not courses.can_see(
            ctx.viewer, await ctx.loaders.get(CourseByIdLoader).load(module.course_id)):
        raise NotFound(MODULE_NOT_FOUND)
    return module


async def get_all_for_course(ctx: Context, *, course_id: int) -> list[Module]:
    """Every module of a course, flat: roots first, then by parent and sequence."""
    await courses.get(ctx, course_id=course_id)
    query = (select(Module).where(Module.course_id == course_id)
             .order_by(Module.parent_module_id.asc().nulls_first(), Module.sequence_index,
                       Module.id))
    async with ctx.db.session() as session:
        return list((await session.execute(query)).scalars())


async def get_roots(ctx: Context, *, course_id: int, page: PageArgs) -> Page:
    """A course's top-level modules in sequence order, by the course's id (a course the
    viewer may see, ``courses.get``)."""
    await courses.get(ctx, course_id=course_id)
    return await roots_of(ctx, course_id=course_id, page=page)


async def roots_of(ctx: Context, *, course_id: int, page: PageArgs) -> Page:
    """``get_roots`` of a course the viewer has already reached (its tree follows it, as
    ``courses.stats_of`` says), one batched read for many courses."""
    roots = await ctx.loaders.get(RootModulesByCourseIdLoader).load(course_id)
    result = page_in_memory(roots, ("sequence_index", "id"), page)
    loader = ctx.loaders.get(ModuleByIdLoader)
    for module in result.items:
        loader.prime(module.id, module)
    return result


async def get_children(ctx: Context, *, module_id: int) -> list[Module]:
    """A module's direct children in sequence order."""
    await get(ctx, module_id=module_id)
    return await ctx.loaders.get(ModulesByParentIdLoader).load(module_id)


def children_many(ctx: Context, *, module_ids: list[int]) -> Awaitable[list[list[Any]]]:
    """Each module's direct children in sequence order, as read-only rows, in one batch
    (for modules already shown: no visibility check)."""
    return ctx.loaders.get(ModuleRowsByParentsLoader).load(tuple(module_ids))


async def viewer_progress(ctx: Context, *, module_id: int) -> Any | None:
    """The viewer's latest progress row on a module; None when there is none or no viewer."""
    return (await viewer_progress_many(ctx, module_ids=[module_id]))[0]


def viewer_progress_rule(viewer):
    """Whose progress ``viewer_progress_many`` reads, as a SQL condition for planned
    reads: the viewer's own rows, none without a user."""
    return ModuleProgress.user_id == VIEWER_ID if viewer.user_id is not None else false()


async def viewer_progress_many(ctx: Context, *, module_ids: list[int]) -> list[Any | None]:
    """The viewer's latest progress row on each module (read-only rows), in one batch;
    Nones without a viewer."""
    if ctx.viewer.user_id is None:
        return [None] * len(module_ids)
    return await ctx.loaders.get(ModuleProgressRowsLoader).load(
        (ctx.viewer.user_id, tuple(module_ids)))


async def _next_index(session: AsyncSession, course_id: int, parent_id: int | None) -> int:
    parent = (Module.parent_module_id.is_(None) if parent_id is None
              else Module.parent_module_id == parent_id)
    return await next_sequence_index(session, Module.sequence_index,
                                     Module.course_id == course_id, parent)


async def _check_parent(session: AsyncSession, course_id: int, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = await session.get(Module, parent_id)
    if parent is None:
        raise Validation(f"Parent module {parent_id} does not exist",
                         details={"field": "parent_module_id"})
    if parent.course_id != course_id:
        raise Validation("The parent module belongs to another course",
                         details={"field": "parent_module_id"})


def _check_index(values: dict[str, Any]) -> None:
    if values.get("sequence_index") is not None and values["sequence_index"] < 0:
        raise Validation("sequence_index must be >= 0", details={"field": "sequence_index"})


async def create(ctx: Context, *, fields: dict[str, Any]) -> Module:
    """Add a module to a course, under a parent of the same course or at the top.

    Without ``sequence_index`` it goes after its last sibling.
    """
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    _check_index(fields)
    values = dict(fields)
    async with ctx.db.transaction() as session:
        await courses.lock_for_change(ctx, session, values["course_id"])
        await _check_parent(session, values["course_id"], values.get("parent_module_id"))
        if values.get("sequence_index") is None:
            values["sequence_index"] = await _next_index(session, values["course_id"],
                                                         values.get("parent_module_id"))
        module = Module(**values)
        session.add(module)
        await session.flush()
        await session.refresh(module)
    return module


async def reorder(ctx: Context, *, module_ids: list[int]) -> list[Module]:
    """Give a parent's children a new order: ``module_ids`` lists every child once; their
    ``sequence_index`` becomes 0..n-1 in one transaction."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    if not module_ids:
        raise Validation("module_ids must not be empty", details={"field": "module_ids"})
    if len(set(module_ids)) != len(module_ids):
        raise Validation("module_ids contains duplicates", details={"field": "module_ids"})
    async with ctx.db.transaction() as session:
        first = await get_row(session, Module, module_ids[0], MODULE_NOT_FOUND)
        await courses.lock_for_change(ctx, session, first.course_id)
        parent = (Module.parent_module_id.is_(None) if first.parent_module_id is None
                  else Module.parent_module_id == first.parent_module_id)
        siblings = {m.id for m in (await session.execute(
            select(Module).where(Module.course_id == first.course_id, parent)
            .order_by(Module.id).with_for_update(key_share=True))).scalars()}
        found = {m for m in (await session.execute(
            select(Module.id).where(Module.id.in_(module_ids)))).scalars()}
        if found != set(module_ids):
            raise NotFound(MODULE_NOT_FOUND)
        if not set(module_ids) <= siblings:
            raise Validation("All modules must be siblings: the same course and the same "
                             "parent", details={"field": "module_ids"})
        if set(module_ids) != siblings:
            raise Validation("module_ids must list every child of the parent exactly once",
                             details={"field": "module_ids"})
        for index, module_id in enumerate(module_ids):
            await session.execute(update(Module).where(Module.id == module_id)
                                  .values(sequence_index=index))
        rows = {m.id: m for m in (await session.execute(
            select(Module).where(Module.id.in_(module_ids))
            .execution_options(populate_existing=True))).scalars()}
    return [rows[i] for i in module_ids]


async def update_module(ctx: Context, *, module_id: int, changes: dict[str, Any]) -> Module:
    """Change a module's fields, or move it under another parent of the same course (or to
    the top). A module can never move under itself or one of its descendants."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    reject_nulls(Module, changes)
    _check_index(changes)
    async with ctx.db.transaction() as session:
        found = await get_row(session, Module, module_id, MODULE_NOT_FOUND)
        await courses.lock_for_change(ctx, session, found.course_id)
        module = await get_row(session, Module, module_id, MODULE_NOT_FOUND, lock=True)
        if "parent_module_id" in changes and changes["parent_module_id"] != \
                module.parent_module_id:
            new_parent = changes["parent_module_id"]
            await _check_parent(session, module.course_id, new_parent)
            if new_parent is not None and (await session.execute(
                    _IS_ANCESTOR, {"start": new_parent, "module_id": module.id})).scalar_one():
                raise Validation("A module cannot be moved under itself or one of its "
                                 "descendants", details={"field": "parent_module_id"})
            if "sequence_index" not in changes:
                changes = {**changes, "sequence_index": await _next_index(
                    session, module.course_id, new_parent)}
        apply(module, changes)
        await session.flush()
        await session.refresh(module)
    return module


async def delete(ctx: Context, *, module_id: int) -> None:
    """Delete a module with its subtree and content."""
    ctx.viewer.require_role(ROLE_INSTRUCTOR)
    async with ctx.db.transaction() as session:
        module = await get_row(session, Module, module_id, MODULE_NOT_FOUND)
        await courses.lock_for_change(ctx, session, module.course_id)
        await session.delete(module)
